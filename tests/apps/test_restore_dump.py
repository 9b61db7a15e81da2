# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dump detection and the restore script of playbooks/omero_restore.yml, against a real PostgreSQL.

The test starts its own PostgreSQL cluster (Debian's postgresql package, run as the
``postgres`` user on a free port), dumps a small fake OMERO schema in each format,
and runs the exact script the playbook would run in the restore helper pod.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "roles" / "omero_training" / "files" / "omero_restore_dump.py"
_spec = importlib.util.spec_from_file_location("omero_restore_dump", SCRIPT)
restore = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(restore)

PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")

FAKE_OMERO = """
CREATE SEQUENCE seq_dbpatch;
CREATE TABLE dbpatch (
    id bigint PRIMARY KEY DEFAULT nextval('seq_dbpatch'),
    currentversion varchar(255) NOT NULL,
    currentpatch integer NOT NULL,
    previousversion varchar(255) NOT NULL,
    previouspatch integer NOT NULL,
    finished timestamp without time zone,
    message varchar(255)
);
INSERT INTO dbpatch (currentversion, currentpatch, previousversion, previouspatch, finished, message)
VALUES ('OMERO5.3', 0, 'OMERO5.2', 0, now(), 'Database ready.'),
       ('OMERO5.4', 0, 'OMERO5.3', 0, now(), 'Database ready.');
CREATE TABLE image (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO image SELECT g, 'image ' || g FROM generate_series(1, 25) AS g;
"""


# --------------------------------------------------------------------------- #
# Header detection (no database needed)
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"PGDMP\x01\x0e\x00\x04\x08\x01\x01", "custom"),
        (b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n", "plain"),
        (b"\n\nCREATE TABLE t (id int);\n", "plain"),
        (b"SET client_encoding = 'UTF8';", "plain"),
        (gzip.compress(b"--\n-- PostgreSQL database dump\n--\n"), "plain-gzip"),
        (gzip.compress(b"SELECT pg_catalog.set_config('search_path', '', false);\n" * 500)[:300], "plain-gzip"),
    ],
)
def test_detect_format(head, expected):
    assert restore.detect_format(head) == expected


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a PostgreSQL dump"),
        (b"hello world, no SQL here", "not a PostgreSQL dump"),
        (b"-- looks like SQL\x00but has NUL bytes", "not a PostgreSQL dump"),
        (gzip.compress(b"PGDMP\x01\x0e"), "gzip-compressed custom-format"),
        (gzip.compress(b"just text"), "does not contain SQL"),
    ],
)
def test_detect_format_rejects(head, message):
    with pytest.raises(restore.DumpError, match=message):
        restore.detect_format(head)


def test_detect_file_errors(tmp_path):
    with pytest.raises(restore.DumpError, match="does not exist"):
        restore.detect_file(str(tmp_path / "missing.dump"))
    with pytest.raises(restore.DumpError, match="is a directory"):
        restore.detect_file(str(tmp_path))
    (tmp_path / "empty.sql").write_bytes(b"")
    with pytest.raises(restore.DumpError, match="empty"):
        restore.detect_file(str(tmp_path / "empty.sql"))


@pytest.mark.parametrize(
    ("fmt", "tool", "present", "absent"),
    [
        ("custom", "pg_restore", ["pg_restore", "--no-owner", "--role omero", "--single-transaction"], ["SET ROLE"]),
        ("tar", "pg_restore", ["pg_restore", "--exit-on-error"], ["gzip -dc"]),
        ("plain", "psql", ["cat /b/d.sql", "ON_ERROR_STOP=1", "SET ROLE omero;"], ["pg_restore", "gzip"]),
        ("plain-gzip", "psql", ["gzip -dc /b/d.sql", "--single-transaction"], ["pg_restore"]),
    ],
)
def test_restore_script_picks_the_tool(fmt, tool, present, absent):
    plan = restore.restore_script(fmt, "/b/d.sql", "omero", "omero", connection={"host": "/run/pg"})
    assert plan["tool"] == tool
    for text in present:
        assert text in plan["script"]
    for text in absent:
        assert text not in plan["script"]
    # The live database is only dropped after the load into the staging copy.
    script = plan["script"]
    assert script.index("omero_restore") < script.index("dropdb --host /run/pg --if-exists --force omero\n")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "directory"}, "unknown dump format"),
        ({"database": "omero; DROP"}, "not a plain PostgreSQL identifier"),
        ({"owner": "o'wner"}, "not a plain PostgreSQL identifier"),
        ({"database": "d" * 56}, "too long"),
    ],
)
def test_restore_script_rejects(kwargs, message):
    args = {"fmt": "custom", "path": "/x", "database": "omero", "owner": "omero"}
    args.update(kwargs)
    with pytest.raises(restore.DumpError, match=message):
        restore.restore_script(args.pop("fmt"), args.pop("path"), args.pop("database"), args.pop("owner"))


def test_cli_detect_base64_and_errors(tmp_path):
    head = base64.b64encode(b"PGDMP\x01\x0e\x00").decode()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "detect", "--base64", "-"],
        input=head,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and '"format": "custom"' in done.stdout
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "detect", "--file", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "ERROR:" in done.stderr and "does not exist" in done.stderr


# --------------------------------------------------------------------------- #
# Against a real PostgreSQL
# --------------------------------------------------------------------------- #
def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("Debian's postgresql package (/usr/lib/postgresql/15/bin) is not installed")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("starting a throw-away PostgreSQL needs root (to run it as the postgres user)")
    # pytest's own temporary directories are private to root: the server needs its own.
    base = pathlib.Path(tempfile.mkdtemp(prefix="ome-k8s-restore-pg-"))
    data = base / "data"
    shutil.chown(base, "postgres", "postgres")
    port = _free_port()

    def as_postgres(*argv, **kwargs):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, text=True, **kwargs
        )

    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    as_postgres(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(base / "log"),
        "-o",
        "-p %d -k %s -c listen_addresses=127.0.0.1" % (port, base),
        "start",
    )
    env = dict(
        os.environ, PATH="%s:%s" % (PG_BIN, os.environ["PATH"]), PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="postgres"
    )
    try:
        yield {"port": port, "env": env, "dir": base}
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def _psql(pg, database, sql):
    done = subprocess.run(
        ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
        env=pg["env"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def dumps(postgres):
    """A source database owned by a role that the target cluster does not use, dumped four ways."""
    _psql(postgres, "postgres", "CREATE ROLE legacy_owner LOGIN; CREATE ROLE omero LOGIN")
    _psql(postgres, "postgres", "CREATE DATABASE omero_source OWNER legacy_owner")
    _psql(postgres, "omero_source", "SET ROLE legacy_owner;" + FAKE_OMERO)
    out = postgres["dir"]
    files = {
        "custom": out / "omero.pgdump",
        "tar": out / "omero.tar",
        "plain": out / "omero.sql",
    }
    for fmt, path in files.items():
        flag = {"custom": "-Fc", "tar": "-Ft", "plain": "-Fp"}[fmt]
        subprocess.run(["pg_dump", flag, "-f", str(path), "omero_source"], env=postgres["env"], check=True)
    files["plain-gzip"] = out / "omero.sql.gz"
    files["plain-gzip"].write_bytes(gzip.compress(files["plain"].read_bytes()))
    return files


def _run_restore(postgres, fmt, path, database="omero", backup=None):
    plan = restore.restore_script(
        fmt,
        str(path),
        database,
        "omero",
        connection={"host": "127.0.0.1", "port": postgres["port"], "user": "postgres"},
        backup=backup,
    )
    return plan, subprocess.run(
        ["bash", "-c", plan["script"]], env=postgres["env"], capture_output=True, text=True, check=False
    )


@pytest.mark.integration
@pytest.mark.parametrize("fmt", ["custom", "tar", "plain", "plain-gzip"])
def test_restore_each_format_into_a_real_database(postgres, dumps, fmt):
    path = dumps[fmt]
    assert restore.detect_file(str(path)) == fmt
    # Something already in the target database must be replaced, not merged.
    _psql(postgres, "postgres", "DROP DATABASE IF EXISTS omero WITH (FORCE)")
    _psql(postgres, "postgres", "CREATE DATABASE omero OWNER omero")
    _psql(postgres, "omero", "CREATE TABLE leftover (id int)")

    plan, done = _run_restore(postgres, fmt, path)
    assert done.returncode == 0, done.stderr
    assert plan["tool"] == ("pg_restore" if fmt in ("custom", "tar") else "psql")
    assert "restored %s dump" % fmt in done.stdout
    assert _psql(postgres, "omero", "SELECT count(*) FROM image") == "25"
    assert _psql(postgres, "omero", "SELECT to_regclass('leftover') IS NULL") == "t"
    assert _psql(postgres, "omero", "SELECT tableowner FROM pg_tables WHERE tablename = 'dbpatch'") == "omero"
    assert _psql(postgres, "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'omero_restore'") == "0"
    version = _psql(postgres, "omero", "SELECT currentversion, currentpatch FROM dbpatch ORDER BY id DESC LIMIT 1")
    assert version == "OMERO5.4|0"


@pytest.mark.integration
def test_a_broken_dump_leaves_the_live_database_alone(postgres, dumps, tmp_path):
    _psql(postgres, "postgres", "DROP DATABASE IF EXISTS omero WITH (FORCE)")
    _psql(postgres, "postgres", "CREATE DATABASE omero OWNER omero")
    _psql(postgres, "omero", "SET ROLE omero; CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)")
    broken = postgres["dir"] / "broken.sql"
    broken.write_text(dumps["plain"].read_text() + "\nSELECT * FROM no_such_table;\n")
    os.chmod(broken, 0o644)
    assert restore.detect_file(str(broken)) == "plain"
    done = _run_restore(postgres, "plain", broken)[1]
    assert done.returncode != 0
    assert "no_such_table" in done.stderr
    assert _psql(postgres, "omero", "SELECT count(*) FROM precious") == "1"
    assert _psql(postgres, "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'omero_restore'") == "0"


@pytest.mark.integration
def test_restored_schema_through_omero_db_status(postgres, dumps):
    """The playbook checks the restored schema with ome.k8s.omero_db_status; use its probe when present."""
    module_path = ROOT / "plugins" / "modules" / "omero_db_status.py"
    if not module_path.exists():
        pytest.skip("plugins/modules/omero_db_status.py is not in the tree yet (written by another part)")
    done = _run_restore(postgres, "custom", dumps["custom"])[1]
    assert done.returncode == 0, done.stderr
    ansible = ROOT / ".venv" / "bin" / "ansible"
    result = subprocess.run(
        [
            str(ansible),
            "localhost",
            "-m",
            "ome.k8s.omero_db_status",
            "-a",
            "login_host=127.0.0.1 port=%d login_user=postgres db=omero expected_version=OMERO5.4 "
            "expected_patch=0 timeout=20" % postgres["port"],
        ],
        env=dict(
            postgres["env"],
            ANSIBLE_COLLECTIONS_PATH=os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".ansible" / "collections")),
            ANSIBLE_CALLBACK_RESULT_FORMAT="json",
            ANSIBLE_NOCOLOR="1",
        ),
        capture_output=True,
        text=True,
        check=False,
        cwd=str(ROOT),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(result.stdout.split("=>", 1)[1])
    assert status["state"] == "current"
    assert (status["current_version"], status["current_patch"]) == ("OMERO5.4", 0)
    assert status["previous_version"] == "OMERO5.3"


@pytest.mark.integration
def test_the_database_being_replaced_is_saved_and_checked_first(postgres, dumps):
    _psql(postgres, "postgres", "DROP DATABASE IF EXISTS omero WITH (FORCE)")
    _psql(postgres, "postgres", "CREATE DATABASE omero OWNER omero")
    _psql(postgres, "omero", "SET ROLE omero; CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)")
    saved = postgres["dir"] / "omero-before-restore.pgdump"
    done = _run_restore(postgres, "custom", dumps["custom"], backup=str(saved))[1]
    assert done.returncode == 0, done.stderr
    assert "saved the previous database omero to %s" % saved in done.stdout
    assert not pathlib.Path(str(saved) + ".partial").exists()
    listing = subprocess.run(
        ["pg_restore", "--list", str(saved)], env=postgres["env"], capture_output=True, text=True, check=True
    )
    assert "TABLE public precious" in listing.stdout
    assert _psql(postgres, "omero", "SELECT count(*) FROM image") == "25"


@pytest.mark.integration
def test_no_backup_no_restore(postgres, dumps):
    # The backup cannot be written: the script stops before the live database is touched.
    _psql(postgres, "postgres", "DROP DATABASE IF EXISTS omero WITH (FORCE)")
    _psql(postgres, "postgres", "CREATE DATABASE omero OWNER omero")
    _psql(postgres, "omero", "SET ROLE omero; CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)")
    done = _run_restore(postgres, "custom", dumps["custom"], backup="/nonexistent/dir/omero.pgdump")[1]
    assert done.returncode != 0
    assert _psql(postgres, "omero", "SELECT count(*) FROM precious") == "1"
    assert _psql(postgres, "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'omero_restore'") == "0"
