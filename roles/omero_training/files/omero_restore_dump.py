# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide how to load a PostgreSQL dump into an OMERO database.

Pure Python, no database driver: the playbook runs it on the controller, and the
commands it prints run inside the restore helper pod (PostgreSQL client image).

Sub-commands:

``detect --file PATH``   classify a local dump by its header.
``detect --base64 -``    classify the first bytes of a dump, base64-encoded on stdin
                         (the playbook reads them from the pod with ``head | base64``).
``plan``                 print, as JSON, the shell script that recreates the database
                         and loads the dump with pg_restore or psql.

Formats: ``custom`` (``pg_dump -Fc``, magic ``PGDMP``), ``tar`` (``pg_dump -Ft``),
``plain`` (SQL text) and ``plain-gzip`` (gzip-compressed SQL text).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import io
import json
import re
import shlex
import sys

HEADER_BYTES = 4096
PG_RESTORE_FORMATS = ("custom", "tar")
PSQL_FORMATS = ("plain", "plain-gzip")
FORMATS = PG_RESTORE_FORMATS + PSQL_FORMATS

# What the start of a plain pg_dump (or a hand-written SQL file) looks like.
_SQL_START = re.compile(
    r"^\s*(--|/\*|\\connect|\\restrict|SET\s|SELECT\s|CREATE\s|BEGIN|START\s+TRANSACTION|COMMENT\s|ALTER\s|DROP\s)",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class DumpError(ValueError):
    """The file is missing, empty or not a PostgreSQL dump."""


def _looks_like_sql(head):
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A header cut in the middle of a multi-byte character is still text.
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return bool(_SQL_START.match(text))


def detect_format(head):
    """Classify a dump from its first bytes; raise DumpError if it is not one."""
    if not head:
        raise DumpError("the dump is empty")
    if head.startswith(b"PGDMP"):
        return "custom"
    if len(head) >= 262 and head[257:262] == b"ustar" and b"toc.dat" in head[:100]:
        return "tar"
    if head.startswith(b"\x1f\x8b"):
        try:
            inner = gzip.GzipFile(fileobj=io.BytesIO(head)).read(HEADER_BYTES)
        except (OSError, EOFError):
            # A truncated header still yields what was decompressed before the cut.
            inner = _gunzip_prefix(head)
        if inner.startswith(b"PGDMP"):
            raise DumpError("a gzip-compressed custom-format dump: gunzip it first (pg_restore reads it plain)")
        if _looks_like_sql(inner):
            return "plain-gzip"
        raise DumpError("a gzip file that does not contain SQL text")
    if _looks_like_sql(head):
        return "plain"
    raise DumpError("not a PostgreSQL dump: expected the custom-format magic PGDMP, a pg_dump tar archive or SQL text")


def _gunzip_prefix(head):
    import zlib

    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return decompressor.decompress(head, HEADER_BYTES)
    except zlib.error:
        return b""


def detect_file(path):
    """Classify a dump on disk."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEADER_BYTES)
    except FileNotFoundError as exc:
        raise DumpError("%s does not exist" % path) from exc
    except IsADirectoryError as exc:
        raise DumpError("%s is a directory, not a dump file" % path) from exc
    except OSError as exc:
        raise DumpError("cannot read %s: %s" % (path, exc.strerror)) from exc
    return detect_format(head)


def _check_identifier(kind, value):
    if not _IDENTIFIER.match(value or ""):
        raise DumpError("%s %r is not a plain PostgreSQL identifier" % (kind, value))


def restore_script(fmt, path, database, owner, *, connection=None, jobs=1, backup=None):
    """Return the bash script that loads the dump and then replaces ``database`` with it.

    The dump is loaded into ``<database>_restore`` first; the live database is
    dropped and replaced by the staging copy only when the load succeeded, so a
    broken dump leaves the existing data untouched.

    ``connection`` holds libpq options (``host``, ``port``, ``user``) passed to every
    tool; the password comes from the environment (``PGPASSWORD``), never the script.
    pg_restore runs with ``--no-owner --role`` so objects belong to ``owner`` whatever
    the source cluster called its user; plain dumps lose their ``ALTER ... OWNER TO``
    lines and run through psql as ``owner`` with ``ON_ERROR_STOP`` in a single
    transaction. Run the script with bash (it uses ``pipefail``).

    With ``backup`` (a file path), an existing ``database`` is first dumped there (custom format) and the dump
    read back with ``pg_restore --list``; the script stops before changing anything when either fails.
    """
    if fmt not in FORMATS:
        raise DumpError("unknown dump format %r (expected one of %s)" % (fmt, ", ".join(FORMATS)))
    _check_identifier("database", database)
    if len(database) > 55:
        raise DumpError("database name %r is too long for a staging copy (55 characters at most)" % database)
    _check_identifier("owner", owner)
    connection = connection or {}
    conn = []
    for key, flag in (("host", "--host"), ("port", "--port"), ("user", "--username")):
        if connection.get(key) not in (None, ""):
            conn += [flag, str(connection[key])]
    staging = database + "_restore"
    quoted_path = shlex.quote(path)
    lines = [
        "set -euo pipefail",
        "test -s %s || { echo %s >&2; exit 3; }" % (quoted_path, shlex.quote("dump %s is missing or empty" % path)),
    ]
    if backup:
        partial = shlex.quote(backup + ".partial")
        exists = shlex.join(
            [
                "psql",
                *conn,
                "--dbname",
                "postgres",
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--command",
                "SELECT 1 FROM pg_database WHERE datname = '%s'" % database,
            ]
        )
        lines += [
            # The database about to be replaced is saved and checked first.
            # An assignment, so that a failing psql stops the script (set -e) instead of skipping the backup.
            "previous=$(%s)" % exists,
            'if [ "$previous" = 1 ]; then',
            "  " + shlex.join(["pg_dump", *conn, "--format=custom", "--file", backup + ".partial", database]),
            "  pg_restore --list %s > /dev/null" % partial,
            "  mv %s %s" % (partial, shlex.quote(backup)),
            "  echo %s" % shlex.quote("saved the previous database %s to %s" % (database, backup)),
            "fi",
        ]
    lines += [
        # Load into a staging database; the live one is replaced only once the load succeeded.
        shlex.join(["dropdb", *conn, "--if-exists", "--force", staging]),
        shlex.join(["createdb", *conn, "--owner", owner, "--encoding", "UTF8", "--template", "template0", staging]),
        "trap %s ERR" % shlex.quote(shlex.join(["dropdb", *conn, "--if-exists", "--force", staging])),
    ]
    if fmt in PG_RESTORE_FORMATS:
        restore = [
            "pg_restore",
            *conn,
            "--dbname",
            staging,
            "--no-owner",
            "--no-privileges",
            "--role",
            owner,
            "--exit-on-error",
        ]
        if int(jobs) > 1:
            restore += ["--jobs", str(int(jobs))]
        else:
            restore += ["--single-transaction"]
        lines.append(shlex.join([*restore, path]))
        tool = "pg_restore"
    else:
        psql = [
            "psql",
            *conn,
            "--dbname",
            staging,
            "--no-psqlrc",
            "--quiet",
            "--set",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "--output",
            "/dev/null",
        ]
        setrole = "SET ROLE %s;" % owner
        source = ("cat %s" if fmt == "plain" else "gzip -dc %s") % quoted_path
        # Ownership statements name the source cluster's roles: drop them, SET ROLE decides instead.
        strip_owner = "sed -E '/^ALTER [A-Z ]+ .* OWNER TO [^;]+;$/d'"
        lines.append("{ echo %s; %s | %s; } | %s" % (shlex.quote(setrole), source, strip_owner, shlex.join(psql)))
        tool = "psql"
    lines += [
        "trap - ERR",
        shlex.join(["dropdb", *conn, "--if-exists", "--force", database]),
        shlex.join(
            [
                "psql",
                *conn,
                "--dbname",
                "postgres",
                "--no-psqlrc",
                "--quiet",
                "--set",
                "ON_ERROR_STOP=1",
                "--command",
                'ALTER DATABASE "%s" RENAME TO "%s"' % (staging, database),
            ]
        ),
        "echo %s" % shlex.quote("restored %s dump %s into database %s with %s" % (fmt, path, database, tool)),
    ]
    return {"format": fmt, "tool": tool, "script": "\n".join(lines) + "\n"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    detect = sub.add_parser("detect", help="classify a dump")
    source = detect.add_mutually_exclusive_group(required=True)
    source.add_argument("--file")
    source.add_argument("--base64", metavar="SOURCE", help="'-' for stdin")
    plan = sub.add_parser("plan", help="print the restore script as JSON")
    plan.add_argument("--format", required=True, choices=FORMATS)
    plan.add_argument("--path", required=True)
    plan.add_argument("--database", required=True)
    plan.add_argument("--owner", required=True)
    plan.add_argument("--host", default="")
    plan.add_argument("--port", default="")
    plan.add_argument("--user", default="")
    plan.add_argument("--jobs", type=int, default=1)
    plan.add_argument("--backup", default="", help="save an existing database here first")
    args = parser.parse_args(argv)
    try:
        if args.command == "detect":
            if args.file:
                result = {"format": detect_file(args.file), "path": args.file}
            else:
                data = sys.stdin.read() if args.base64 == "-" else args.base64
                try:
                    head = base64.b64decode("".join(data.split()), validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise DumpError("the header is not valid base64: %s" % exc) from exc
                result = {"format": detect_format(head)}
        else:
            result = restore_script(
                args.format,
                args.path,
                args.database,
                args.owner,
                connection={"host": args.host, "port": args.port, "user": args.user},
                jobs=args.jobs,
                backup=args.backup or None,
            )
    except DumpError as exc:
        sys.stderr.write("ERROR: %s\n" % exc)
        return 2
    json.dump(result, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
