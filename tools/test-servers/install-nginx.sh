#!/bin/sh
# Install nginx and openssl, the TLS front end of the readiness integration tests.
# Idempotent: does nothing when the packages are already there. Needs root and the Debian archive.
set -eu

PACKAGES="nginx openssl"

# The packages still missing become the positional parameters.
set --
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        set -- "$@" "$pkg"
    fi
done
if [ "$#" -eq 0 ]; then
    echo "install-nginx: already installed: $PACKAGES"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "$@"
echo "install-nginx: installed: $*"
