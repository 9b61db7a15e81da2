"""roles/postgresql/files/postgresql_roles.sh against a real PostgreSQL (Debian's postgresql-15).

The cluster is set up as the official image sets it up (socket trusted, TCP asks for a SCRAM password) and the
script runs with the environment the StatefulSet gives it. Covers a new cluster, a cluster of the earlier
layout (the application role was the image's superuser), idempotence and a changed password.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "roles" / "postgresql" / "files" / "postgresql_roles.sh"
PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")
ADMIN_PASSWORD = "admin-password-0123456789"
APP_PASSWORD = "app-password-0123456789ab"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bootstrap_user):
        if not (PG_BIN / "initdb").exists():
            pytest.skip("Debian's postgresql package (/usr/lib/postgresql/15/bin) is not installed")
        if os.geteuid() != 0:
            pytest.skip("starting a throw-away PostgreSQL needs root (to run it as the postgres user)")
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="ome-k8s-pgroles-"))
        os.chmod(self.base, 0o755)
        shutil.chown(self.base, "postgres", "postgres")
        self.data = self.base / "data"
        self.port = _free_port()
        pwfile = self.base / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        shutil.chown(pwfile, "postgres", "postgres")
        self._as_postgres(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            bootstrap_user,
            "--pwfile",
            pwfile,
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = off\n"
                % (self.port, self.base)
            )
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.base / "log", "-w", "start")

    def _as_postgres(self, *argv, env=None, check=True):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, argv)],
            capture_output=True,
            text=True,
            check=check,
            env=env,
            timeout=120,
        )

    def env(self, **extra):
        env = dict(
            os.environ, PATH="%s:%s" % (PG_BIN, os.environ["PATH"]), PGHOST=str(self.base), PGPORT=str(self.port)
        )
        for key in ("PGUSER", "PGPASSWORD", "PGDATABASE"):
            env.pop(key, None)
        env.update(extra)
        return env

    def run_script(
        self, admin="postgres", admin_password=ADMIN_PASSWORD, app="omero", app_password=APP_PASSWORD, db="omero"
    ):
        env = self.env(
            POSTGRES_USER=admin,
            POSTGRES_PASSWORD=admin_password,
            POSTGRESQL_APP_USER=app,
            POSTGRESQL_APP_PASSWORD=app_password,
            POSTGRESQL_APP_DATABASE=db,
        )
        proc = self._as_postgres("sh", SCRIPT, env=env, check=False)
        assert proc.returncode == 0, proc.stderr
        assert app_password not in proc.stdout + proc.stderr
        return proc.stdout.splitlines()

    def query(self, sql, user, db="postgres"):
        proc = self._as_postgres(
            "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", db, "-c", sql, env=self.env()
        )
        return proc.stdout.strip()

    def login(self, user, password, db="postgres"):
        proc = subprocess.run(
            ["psql", "-X", "-h", "127.0.0.1", "-U", user, "-d", db, "-c", "SELECT 1"],
            env=self.env(PGPASSWORD=password),
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.returncode == 0

    def close(self):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def cluster(request):
    made = []

    def make(bootstrap_user="postgres"):
        made.append(Cluster(bootstrap_user))
        return made[-1]

    yield make
    for c in made:
        c.close()


ATTRS = "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = 'omero'"
OWNER = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'omero'"


def test_new_cluster_gets_an_ordinary_owner_and_is_then_left_alone(cluster):
    c = cluster()
    out = c.run_script()
    assert "changed: created role omero" in out
    assert "changed: created database omero" in out
    assert c.query(ATTRS, "postgres") == "f|f|f|t"
    assert c.query(OWNER, "postgres") == "omero"
    assert c.login("omero", APP_PASSWORD, db="omero")
    assert c.login("postgres", ADMIN_PASSWORD)
    # The owner creates its tables (PostgreSQL 15+ gives the public schema to the database owner).
    c.query("CREATE TABLE t (id int)", "omero", db="omero")
    assert c.run_script() == []


def test_changed_password_reaches_postgresql(cluster):
    c = cluster()
    c.run_script()
    new = "another-app-password-987654"
    assert c.run_script(app_password=new) == ["changed: set the password of omero"]
    assert c.login("omero", new, db="omero")
    assert not c.login("omero", APP_PASSWORD, db="omero")
    assert c.run_script(app_password=new) == []


def test_superuser_application_role_is_demoted(cluster):
    c = cluster()
    c.query("CREATE ROLE omero LOGIN SUPERUSER CREATEDB PASSWORD '%s'" % APP_PASSWORD, "postgres")
    c.query("CREATE DATABASE omero OWNER postgres", "postgres")
    out = c.run_script()
    assert any(line.startswith("changed: made omero an ordinary role") for line in out)
    assert "changed: gave database omero to omero" in out
    assert c.query(ATTRS, "postgres") == "f|f|f|t"
    assert c.query(OWNER, "postgres") == "omero"


def test_earlier_layout_gets_an_administration_role_and_a_warning(cluster):
    # Before: the image made the application role the cluster's (bootstrap) superuser, with no `postgres` role.
    c = cluster(bootstrap_user="omero")
    c.query("CREATE DATABASE omero", "omero")
    c.query("ALTER ROLE omero PASSWORD '%s'" % APP_PASSWORD, "omero")
    out = c.run_script()
    assert out[0] == "changed: created the administration role postgres"
    assert any(line.startswith("warning: omero initialised this cluster") for line in out)
    assert c.login("postgres", ADMIN_PASSWORD)
    assert c.query("SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'", "postgres") == "t"
    assert [line for line in c.run_script() if line.startswith("changed")] == []
