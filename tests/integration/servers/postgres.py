"""A real PostgreSQL (Debian's postgresql-15) in a temporary directory, on a free loopback port.

The cluster runs as the `postgres` system user when the tests run as root (PostgreSQL refuses root),
listens on 127.0.0.1 only, keeps its Unix socket in its own directory and asks for a password over TCP.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from . import free_port, port_open, wait_until

OMERO_ROLE = "omero"
OMERO_PASSWORD = "omero-test-password-0451"
SUPERUSER_PASSWORD = "postgres-test-password-7788"

DBPATCH_DDL = """
CREATE TABLE dbpatch (
    id bigint PRIMARY KEY,
    currentpatch integer NOT NULL,
    currentversion varchar(255) NOT NULL,
    finished timestamp without time zone,
    message varchar(255),
    previouspatch integer NOT NULL,
    previousversion varchar(255) NOT NULL
);
ALTER TABLE dbpatch OWNER TO omero;
"""

# Databases in each state of the OMERO schema: name -> rows (version, patch, prev version, prev patch, finished)
SCHEMA_DATABASES = {
    "omero_empty": None,
    "omero_no_rows": [],
    "omero_current": [("OMERO4.4", 0, "OMERO4.4", 0, True), ("OMERO5.4", 0, "OMERO5.3", 0, True)],
    "omero_older": [("OMERO5.3", 0, "OMERO5.2", 0, True)],
    "omero_newer": [("OMERO5.4", 0, "OMERO5.3", 0, True), ("OMERO5.5", 0, "OMERO5.4", 0, True)],
    "omero_newer_patch": [("OMERO5.4", 0, "OMERO5.3", 0, True), ("OMERO5.4", 1, "OMERO5.4", 0, True)],
    "omero_unfinished": [("OMERO5.3", 0, "OMERO5.2", 0, True), ("OMERO5.4", 0, "OMERO5.3", 0, False)],
    "omero_only_unfinished": [("OMERO5.4", 0, "OMERO4.4", 0, False)],
    "omero_tens": [("OMERO5.10", 0, "OMERO5.9", 0, True)],
    "omero_not_omero": [("5.4", 0, "5.3", 0, True)],
}


def find_bindir():
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


class PostgresServer:
    """One cluster: initdb once, then start/stop/kill it as the tests need."""

    def __init__(self, base, port=None, bindir=None, superuser="postgres", superuser_password=SUPERUSER_PASSWORD):
        self.base = Path(base)
        # The role initdb makes the cluster's bootstrap superuser, as the postgres image's POSTGRES_USER does.
        self.superuser = superuser
        self.superuser_password = superuser_password
        self.data = self.base / "data"
        self.socket_dir = self.base / "socket"
        self.log = self.base / "server.log"
        self.port = port or free_port()
        self.bindir = Path(bindir or find_bindir())

    # Running as root: every PostgreSQL command runs as the postgres user.
    def _cmd(self, *args):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _run(self, *args, check=True, input_text=None):
        proc = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, check=False, input=input_text, timeout=120
        )
        if check and proc.returncode:
            raise RuntimeError("%s failed (%s): %s" % (args[0], proc.returncode, proc.stderr or proc.stdout))
        return proc

    def init(self):
        self.base.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in (self.base, self.socket_dir, pwfile):
                os.chown(path, user.pw_uid, user.pw_gid)
        pwfile.chmod(0o600)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.superuser,
            "--pwfile",
            str(pwfile),
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
        )
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
                "fsync = off\nlogging_collector = off\n" % (self.port, self.socket_dir)
            )
        return self

    def start(self):
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self, mode="fast"):
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)
        wait_until(lambda: not port_open(self.port), 30, "PostgreSQL on port %d to stop" % self.port)

    def postmaster_pid(self):
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self):
        """SIGKILL the postmaster and its children, as a crash would."""
        pid = self.postmaster_pid()
        if pid:
            children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
            os.kill(pid, signal.SIGKILL)
            for child in children.stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(child), signal.SIGKILL)
        wait_until(lambda: not port_open(self.port), 30, "PostgreSQL on port %d to die" % self.port)
        (self.data / "postmaster.pid").unlink(missing_ok=True)

    def is_running(self):
        return port_open(self.port)

    def env(self, **extra):
        """The environment of a client on the server's socket, with the server's binaries first on PATH."""
        env = dict(os.environ, PATH="%s:%s" % (self.bindir, os.environ["PATH"]), PGHOST=str(self.socket_dir))
        env["PGPORT"] = str(self.port)
        for key in ("PGUSER", "PGPASSWORD", "PGDATABASE"):
            env.pop(key, None)
        env.update(extra)
        return env

    def run_as_postgres(self, *args, env=None):
        """Run a command as the user the server runs as (root cannot); its CompletedProcess, unchecked."""
        return subprocess.run(
            self._cmd(*map(str, args)), capture_output=True, text=True, check=False, env=env, timeout=120
        )

    def psql(self, sql, db="postgres"):
        return self._run(
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            self.superuser,
            "-d",
            db,
            input_text=sql,
        ).stdout

    def connection(self, db, user=OMERO_ROLE, password=OMERO_PASSWORD):
        """Module arguments for `db` as `user`."""
        return dict(login_host="127.0.0.1", port=self.port, login_user=user, login_password=password, db=db)


def load_schema_databases(server):
    server.psql("CREATE ROLE %s LOGIN PASSWORD '%s';" % (OMERO_ROLE, OMERO_PASSWORD))
    for name, rows in SCHEMA_DATABASES.items():
        server.psql("CREATE DATABASE %s OWNER %s;" % (name, OMERO_ROLE))
        if rows is None:
            continue
        sql = [DBPATCH_DDL]
        for number, (version, patch, prev_version, prev_patch, finished) in enumerate(rows, start=1):
            sql.append(
                "INSERT INTO dbpatch VALUES (%d, %d, '%s', %s, 'test', %d, '%s');"
                % (number, patch, version, "now()" if finished else "NULL", prev_patch, prev_version)
            )
        server.psql("\n".join(sql), db=name)


def _require_postgres():
    if find_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed; run tools/test-deps.sh as root")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root but there is no postgres user to run PostgreSQL as")


@contextlib.contextmanager
def postgres_base():
    """A directory the postgres user can reach (pytest's own tmp dirs are private to root)."""
    base = tempfile.mkdtemp(prefix="ome-k8s-postgres-")
    os.chmod(base, 0o755)
    try:
        yield Path(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A running PostgreSQL with one database per OMERO schema state (SCHEMA_DATABASES), role `omero`."""
    _require_postgres()
    with postgres_base() as base:
        server = PostgresServer(base / "cluster").init().start()
        try:
            load_schema_databases(server)
            yield server
        finally:
            server.stop("immediate")


@pytest.fixture
def postgres_stopped():
    """A fresh cluster with the SCHEMA_DATABASES, initialised but NOT running; stopped after the test."""
    _require_postgres()
    with postgres_base() as base:
        server = PostgresServer(base / "cluster").init().start()
        try:
            load_schema_databases(server)
            server.stop()
            yield server
        finally:
            if server.is_running() or server.postmaster_pid():
                server.stop("immediate")
