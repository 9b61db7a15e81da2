#!/bin/sh
# Install Debian's Redmine (5.0.x) for the readiness integration tests, without any interactive
# database configuration: the tests make their own sqlite instance directory and database.yml.
# Idempotent: does nothing when the packages are already there. Needs root and the Debian archive.
set -eu

PACKAGES="redmine redmine-sqlite ruby-webrick sqlite3"

# The packages still missing become the positional parameters.
set --
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        set -- "$@" "$pkg"
    fi
done
if [ "$#" -eq 0 ]; then
    echo "install-redmine: already installed:$PACKAGES"
    exit 0
fi

# dbconfig-common must not try to create or migrate a database of its own.
debconf-set-selections <<'SEL'
redmine redmine/instances/default/dbconfig-install boolean false
redmine redmine/instances/default/dbconfig-upgrade boolean false
redmine redmine/instances/default/dbconfig-remove boolean false
redmine redmine/instances/default/database-type select sqlite3
SEL

export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "$@"
echo "install-redmine: installed: $*"
