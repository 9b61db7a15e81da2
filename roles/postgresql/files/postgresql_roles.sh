#!/bin/sh
# shellcheck shell=sh
# Makes the application role an ordinary one that owns its database, and both passwords those of the Secrets.
# Runs in the PostgreSQL container (ome.k8s.postgresql) twice over: from /docker-entrypoint-initdb.d when the
# image creates a new cluster, and through `kubectl exec` on every deploy, for clusters created before and for
# changed passwords. Idempotent; prints one "changed: ..." line per change.
#
# Environment (from the Secrets, never the command line): POSTGRES_USER/POSTGRES_PASSWORD, the superuser kept for
# administration; POSTGRESQL_APP_USER/POSTGRESQL_APP_PASSWORD/POSTGRESQL_APP_DATABASE, the application's.
# psql reads the passwords with \getenv, so they never appear in a process list. Connections use the local
# socket (PGHOST unset), which the image trusts; a password is tested over 127.0.0.1, which asks for it.
set -eu
: "${POSTGRES_USER:?}" "${POSTGRES_PASSWORD:?}"
: "${POSTGRESQL_APP_USER:?}" "${POSTGRESQL_APP_PASSWORD:?}" "${POSTGRESQL_APP_DATABASE:?}"
export PGDATABASE=postgres

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -v admin="$POSTGRES_USER" -v app="$POSTGRESQL_APP_USER" \
          -v db="$POSTGRESQL_APP_DATABASE" "$@"; }

# A cluster created before this script existed has the application role as its only superuser (the image made
# POSTGRES_USER one): the administration role is created through it.
if psql -X -q -U "$POSTGRES_USER" -c '' >/dev/null 2>&1; then
    export PGUSER="$POSTGRES_USER"
else
    export PGUSER="$POSTGRESQL_APP_USER"
    sql <<'SQL'
\getenv admin_password POSTGRES_PASSWORD
SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', :'admin', :'admin_password')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'admin') \gexec
SQL
    echo "changed: created the administration role $POSTGRES_USER"
    export PGUSER="$POSTGRES_USER"
fi

# Role and database. The bootstrap superuser (the role that initialised the cluster) cannot lose its attributes:
# reported, for the documented dump-and-restore migration.
sql <<'SQL'
SELECT 'changed: created role ' || :'app' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app');
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
SELECT 'changed: made ' || :'app' || ' an ordinary role (login, no superuser, createdb, createrole)'
  FROM pg_roles WHERE rolname = :'app' AND oid <> 10
   AND (NOT rolcanlogin OR rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls);
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', :'app')
  FROM pg_roles WHERE rolname = :'app' AND oid <> 10
   AND (NOT rolcanlogin OR rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls) \gexec
SELECT 'warning: ' || :'app' || ' initialised this cluster and stays a superuser; see the PostgreSQL docs'
  FROM pg_roles WHERE rolname = :'app' AND oid = 10;
SELECT 'changed: created database ' || :'db' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db');
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'app')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT 'changed: gave database ' || :'db' || ' to ' || :'app'
  FROM pg_database WHERE datname = :'db' AND pg_get_userbyid(datdba) <> :'app';
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'app')
  FROM pg_database WHERE datname = :'db' AND pg_get_userbyid(datdba) <> :'app' \gexec
SQL

# Passwords: set from the environment when logging in with it fails (during initialisation the server does not
# listen on 127.0.0.1, so the new roles get theirs here).
for role in admin app; do
    if [ "$role" = admin ]; then name=$POSTGRES_USER var=POSTGRES_PASSWORD; else name=$POSTGRESQL_APP_USER var=POSTGRESQL_APP_PASSWORD; fi
    if ! PGPASSWORD=$(printenv "$var") psql -X -q -h 127.0.0.1 -U "$name" -c '' >/dev/null 2>&1; then
        sql -v role="$name" -v var="$var" <<'SQL'
\getenv password :var
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') \gexec
SQL
        echo "changed: set the password of $name"
    fi
done
