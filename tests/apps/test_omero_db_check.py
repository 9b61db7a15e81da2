# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply-mode schema check of ome.k8s.omero_server (ome.k8s.omero_db_status, then the decision) against a
real PostgreSQL holding OMERO schemas in each state (the integration tests' server fixture), without a
cluster: the database is given as an external one, so no Service is looked up."""

from __future__ import annotations

import importlib
import re
import sys

import harness
import pytest

# The integration tests' throw-away PostgreSQL (tests/integration/servers/postgres.py).
sys.path.insert(0, str(harness.REPO_ROOT / "tests" / "integration"))
pg = importlib.import_module("servers.postgres")
OMERO_PASSWORD = pg.OMERO_PASSWORD

PLAYBOOK = "tests/apps/playbooks/omero_db_check.yml"


@pytest.fixture(scope="module")
def postgres_server():
    """A running PostgreSQL with one database per OMERO schema state, role omero."""
    if pg.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries (Debian package postgresql-15) are not installed")
    with pg.postgres_base() as base:
        server = pg.PostgresServer(base / "cluster").init().start()
        try:
            pg.load_schema_databases(server)
            yield server
        finally:
            server.stop("immediate")


def _check(tmp_path, server, db, **extra):
    variables = {
        "ome_k8s_render_dir": "",
        "omero_server_db_port": server.port,
        "omero_server_db_name": db,
        "omero_test_db_password": OMERO_PASSWORD,
    }
    variables.update(extra)
    return harness.run_playbook(PLAYBOOK, tmp_path, extra_vars=variables)


@pytest.mark.parametrize("db", ["omero_current", "omero_empty"])
def test_rollout_goes_ahead_without_backup(tmp_path, postgres_server, db):
    proc = _check(tmp_path, postgres_server, db)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert "OMERO_TEST_BACKUP_NEEDED=False" in proc.stdout
    assert OMERO_PASSWORD not in proc.stdout


def test_upgrade_is_refused_unless_allowed(tmp_path, postgres_server):
    proc = _check(tmp_path, postgres_server, "omero_older")
    output = " ".join(proc.stdout.split())
    assert proc.returncode != 0
    assert "has schema OMERO5.3__0 and" in output
    assert "Set omero_server_allow_db_upgrade: true" in output
    assert "OMERO_TEST_BACKUP_NEEDED" not in output
    assert OMERO_PASSWORD not in proc.stdout


def test_newer_schema_is_refused_even_when_upgrades_are_allowed(tmp_path, postgres_server):
    proc = _check(tmp_path, postgres_server, "omero_newer", omero_server_allow_db_upgrade=True)
    output = " ".join(proc.stdout.split())
    assert proc.returncode != 0
    assert re.search(r"has schema OMERO5\.5__0, newer than OMERO5\.4__0", output), output[-3000:]


def test_wrong_password_fails_the_check(tmp_path, postgres_server):
    proc = _check(tmp_path, postgres_server, "omero_current", omero_test_db_password="wrong-password-123")
    assert proc.returncode != 0
    assert "OMERO_TEST_BACKUP_NEEDED" not in proc.stdout
    assert "Read the schema version of the OMERO database" in proc.stdout
