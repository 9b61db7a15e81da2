"""roles/postgresql/files/postgresql_roles.sh against a real PostgreSQL (Debian's postgresql-15).

The cluster is set up as the official image sets it up (socket trusted, TCP asks for a SCRAM password) and the
script runs with the environment the StatefulSet gives it. Covers a new cluster, a cluster of the earlier
layout (the application role was the image's superuser), idempotence and a changed password.
"""

from __future__ import annotations

import contextlib
import importlib
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "roles" / "postgresql" / "files" / "postgresql_roles.sh"
ADMIN_PASSWORD = "admin-password-0123456789"
APP_PASSWORD = "app-password-0123456789ab"

# The integration tests' throw-away PostgreSQL (tests/integration/servers/postgres.py).
sys.path.insert(0, str(ROOT / "tests" / "integration"))
pg = importlib.import_module("servers.postgres")


class Cluster:
    """A fresh PostgreSQL as the postgres image leaves it, and the roles script run against it."""

    def __init__(self, server):
        self.server = server

    def run_script(
        self, admin="postgres", admin_password=ADMIN_PASSWORD, app="omero", app_password=APP_PASSWORD, db="omero"
    ):
        env = self.server.env(
            POSTGRES_USER=admin,
            POSTGRES_PASSWORD=admin_password,
            POSTGRESQL_APP_USER=app,
            POSTGRESQL_APP_PASSWORD=app_password,
            POSTGRESQL_APP_DATABASE=db,
        )
        # A copy beside the cluster: the postgres user may not reach the checkout (a private temporary clone).
        script = self.server.base / SCRIPT.name
        shutil.copyfile(SCRIPT, script)
        proc = self.server.run_as_postgres("sh", script, env=env)
        assert proc.returncode == 0, proc.stderr
        assert app_password not in proc.stdout + proc.stderr
        return proc.stdout.splitlines()

    def query(self, sql, user, db="postgres"):
        proc = self.server.run_as_postgres(
            "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", db, "-c", sql, env=self.server.env()
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    def login(self, user, password, db="postgres"):
        proc = subprocess.run(
            ["psql", "-X", "-h", "127.0.0.1", "-U", user, "-d", db, "-c", "SELECT 1"],
            env=self.server.env(PGPASSWORD=password),
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.returncode == 0


@pytest.fixture
def cluster():
    if pg.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries (Debian package postgresql-15) are not installed")
    with contextlib.ExitStack() as stack:

        def make(bootstrap_user="postgres"):
            base = stack.enter_context(pg.postgres_base())
            server = pg.PostgresServer(base / "cluster", superuser=bootstrap_user, superuser_password=ADMIN_PASSWORD)
            server.init().start()
            stack.callback(server.stop, "immediate")
            return Cluster(server)

        yield make


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
