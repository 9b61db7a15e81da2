#!/bin/bash
# Entrypoint of the ome.k8s PostgreSQL test image, written for ome.k8s (docs/testing-images.md).
#
# `postgres [options]`, or options alone: starts PostgreSQL in PGDATA. When PGDATA holds no cluster yet, creates
# one first: superuser POSTGRES_USER (default postgres) with password POSTGRES_PASSWORD, socket connections
# trusted, TCP connections with a password (scram-sha-256), the database POSTGRES_DB (default POSTGRES_USER),
# then /docker-entrypoint-initdb.d/* against a server that listens on the socket only. Any other command
# (psql, pg_dump, sh, ...) runs as it is.
#
# Not `set -u`: init scripts that are sourced run in this shell and may test variables that are unset.
set -Eeo pipefail

log() { printf 'ome-k8s-postgres-entrypoint: %s\n' "$*" >&2; }

# The initialisation scripts: *.sh executed when executable, otherwise sourced; *.sql fed to psql. In name order.
run_init_files() {
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    log "running $f"
                    "$f"
                else
                    log "sourcing $f"
                    # shellcheck disable=SC1090
                    . "$f"
                fi
                ;;
            *.sql)
                log "running $f"
                psql -X -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" --file="$f"
                ;;
            */\*) ;;  # an empty directory
            *) log "ignoring $f" ;;
        esac
    done
}

init_cluster() {
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        log "PGDATA ($PGDATA) holds no cluster and POSTGRES_PASSWORD is not set: it is the superuser's password for connections over TCP"
        exit 1
    fi
    export POSTGRES_USER="${POSTGRES_USER:-postgres}"
    export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"

    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    log "creating a cluster in $PGDATA with superuser $POSTGRES_USER"
    # The password through a pipe, never on a command line.
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
    # initdb admits TCP from the loopback only; every other address with a password as well.
    printf '\n# ome.k8s test image: any address, with a password\nhost all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    printf "\n# ome.k8s test image: the server listens on every address once initialised\nlisten_addresses = '*'\n" \
        >> "$PGDATA/postgresql.conf"

    # Socket only, so that nothing connects before the initialisation is complete.
    pg_ctl --pgdata="$PGDATA" --wait --options="-c listen_addresses=''" start
    if [ "$POSTGRES_DB" != postgres ]; then
        psql -X -q -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres --set=db="$POSTGRES_DB" \
            <<<'CREATE DATABASE :"db";'
    fi
    run_init_files
    pg_ctl --pgdata="$PGDATA" --wait --mode=fast stop
    log "cluster created"
}

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
    log "PostgreSQL does not run as root: run the image as uid 999 (its default user) or another uid"
    exit 1
fi
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    init_cluster
fi
exec "$@"
