#!/usr/bin/env bash
# Install Debian's Redmine (5.0.x) for the readiness integration tests, without any interactive
# database configuration: the tests make their own sqlite instance directory and database.yml.
# Idempotent: does nothing when the packages are already there. Needs root and the Debian archive.
set -euo pipefail

packages=(redmine redmine-sqlite ruby-webrick sqlite3)
# shellcheck source=tools/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
mapfile -t missing < <(apt_missing "${packages[@]}")
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-redmine: already installed: ${packages[*]}"
    exit 0
fi

# dbconfig-common must not try to create or migrate a database of its own.
debconf-set-selections <<'SEL'
redmine redmine/instances/default/dbconfig-install boolean false
redmine redmine/instances/default/dbconfig-upgrade boolean false
redmine redmine/instances/default/dbconfig-remove boolean false
redmine redmine/instances/default/database-type select sqlite3
SEL

apt_install "${missing[@]}"
echo "install-redmine: installed: ${missing[*]}"
