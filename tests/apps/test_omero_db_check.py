# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply-mode schema checks of ome.k8s.omero_server against a real PostgreSQL holding OMERO schemas in each
state (the integration tests' server fixture), without a cluster: the check of an external database
(ome.k8s.omero_db_status, then the decision), and the script that reads the stack's own database inside its pod
(roles/omero_server/files/omero_schema.sh, classified by ome.k8s.omero_schema_state)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import harness
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ome.k8s.plugins.filter.omero_schema_state import omero_schema_state

# The integration tests' throw-away PostgreSQL (tests/integration/servers/postgres.py).
sys.path.insert(0, str(harness.REPO_ROOT / "tests" / "integration"))
pg = importlib.import_module("servers.postgres")
OMERO_PASSWORD = pg.OMERO_PASSWORD

PLAYBOOK = "tests/apps/playbooks/omero_db_check.yml"
SCHEMA_SCRIPT = harness.REPO_ROOT / "roles/omero_server/files/omero_schema.sh"


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
    assert "Read the schema version of the external OMERO database" in proc.stdout


def _schema_in_pod(server, db):
    """Run the in-pod schema script the way the PostgreSQL container would (POSTGRES_USER/_PASSWORD set)."""
    env = dict(
        os.environ,
        PATH="%s:%s" % (server.bindir, os.environ["PATH"]),
        POSTGRES_USER=pg.OMERO_ROLE,
        POSTGRES_PASSWORD=OMERO_PASSWORD,
        PGPORT=str(server.port),
    )
    return subprocess.run(["sh", str(SCHEMA_SCRIPT), db], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("db", "state", "version", "in_progress"),
    [
        ("omero_empty", "uninitialised", None, False),
        ("omero_no_rows", "uninitialised", None, False),
        ("omero_only_unfinished", "uninitialised", None, True),
        ("omero_current", "current", "OMERO5.4", False),
        ("omero_older", "upgrade_needed", "OMERO5.3", False),
        ("omero_unfinished", "upgrade_needed", "OMERO5.3", True),
        ("omero_newer", "newer_than_expected", "OMERO5.5", False),
        ("omero_newer_patch", "newer_than_expected", "OMERO5.4", False),
        ("omero_tens", "newer_than_expected", "OMERO5.10", False),
    ],
)
def test_in_pod_script_reads_each_schema_state(postgres_server, db, state, version, in_progress):
    proc = _schema_in_pod(postgres_server, db)
    assert proc.returncode == 0, proc.stderr
    facts = omero_schema_state(proc.stdout.strip(), "OMERO5.4", 0)
    assert (facts["state"], facts["current_version"], facts["in_progress"]) == (state, version, in_progress)
    assert OMERO_PASSWORD not in proc.stdout + proc.stderr


def test_in_pod_script_output_of_a_foreign_table_is_refused(postgres_server):
    proc = _schema_in_pod(postgres_server, "omero_not_omero")
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(AnsibleFilterError, match="not an OMERO schema version"):
        omero_schema_state(proc.stdout.strip(), "OMERO5.4", 0)


def test_in_pod_script_fails_on_a_missing_database(postgres_server):
    proc = _schema_in_pod(postgres_server, "omero_missing")
    assert proc.returncode != 0
    assert "omero_missing" in proc.stderr
