# shellcheck shell=sh
# Prints the OMERO schema of database $1 as one JSON object: the latest finished dbpatch row and whether a newer
# row is unfinished, or {} without a dbpatch table. Runs in the PostgreSQL container (ome.k8s.postgresql), as the
# user of its POSTGRES_USER/POSTGRES_PASSWORD environment, over the pod's loopback.
set -eu
export PGHOST=127.0.0.1 PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD" PGDATABASE="$1"
query() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
dbpatch=$(query "SELECT to_regclass('dbpatch') IS NOT NULL")
if [ "$dbpatch" != t ]; then
    echo '{}'
    exit 0
fi
query "WITH latest AS (
         SELECT id, currentversion, currentpatch, previousversion, previouspatch FROM dbpatch
         WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1)
       SELECT json_build_object(
         'current_version', l.currentversion, 'current_patch', l.currentpatch,
         'previous_version', l.previousversion, 'previous_patch', l.previouspatch,
         'in_progress', EXISTS (SELECT 1 FROM dbpatch u WHERE u.finished IS NULL AND u.id > coalesce(l.id, -1)))
       FROM (SELECT 1) AS one LEFT JOIN latest AS l ON true"
