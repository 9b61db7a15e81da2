# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/omero_restore.yml: guards (run with ansible-playbook, rc and message) and the helper pod."""

from __future__ import annotations

import gzip

import harness
import pytest
from invariants import check_all

PLAYBOOK = "playbooks/omero_restore.yml"
LOCHY = "inventories/lochy"
STOP_STEP = "Stop OMERO.server"


def _run(tmp_path, **extra):
    return harness.run_playbook(PLAYBOOK, tmp_path, LOCHY, extra)


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "omero.sql.gz"
    path.write_bytes(gzip.compress(b"--\n-- PostgreSQL database dump\n--\nSET statement_timeout = 0;\n"))
    return str(path)


def test_refuses_the_production_namespace_first(tmp_path, dump):
    # Neither confirmed nor allowed: the production check is the one that answers.
    proc = _run(tmp_path, omero_restore_namespace="omero", omero_restore_dump=dump)
    assert proc.returncode != 0
    assert "Refusing to work on namespace 'omero': it is the production OMERO namespace" in proc.stdout
    assert "Not restoring" not in proc.stdout
    assert STOP_STEP not in proc.stdout


def test_refuses_production_even_when_confirmed(tmp_path, dump):
    proc = _run(tmp_path, omero_restore_namespace="omero", omero_restore_confirm="omero", omero_restore_dump=dump)
    assert proc.returncode != 0
    assert "it is the production OMERO namespace" in proc.stdout
    assert STOP_STEP not in proc.stdout


def test_refuses_without_confirmation(tmp_path, dump):
    proc = _run(tmp_path, omero_restore_namespace="omero-training", omero_restore_dump=dump)
    assert proc.returncode != 0
    assert "Not restoring: this replaces the OMERO database of namespace 'omero-training'" in proc.stdout
    assert "-e omero_restore_confirm=omero-training" in proc.stdout
    assert STOP_STEP not in proc.stdout


def test_refuses_a_confirmation_for_another_namespace(tmp_path, dump):
    proc = _run(
        tmp_path, omero_restore_namespace="omero-dev", omero_restore_confirm="omero-training", omero_restore_dump=dump
    )
    assert proc.returncode != 0
    assert "Not restoring" in proc.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a PostgreSQL dump"),
        (b"", "the dump is empty"),
    ],
)
def test_refuses_a_file_that_is_not_a_dump(tmp_path, content, message):
    bad = tmp_path / "picture.dump"
    bad.write_bytes(content)
    proc = _run(
        tmp_path,
        omero_restore_namespace="omero-training",
        omero_restore_confirm="omero-training",
        omero_restore_dump=str(bad),
    )
    assert proc.returncode != 0
    assert "Cannot restore %s: ERROR: %s" % (bad, message) in proc.stdout
    assert STOP_STEP not in proc.stdout


def test_refuses_a_missing_dump(tmp_path):
    proc = _run(
        tmp_path,
        omero_restore_namespace="omero-training",
        omero_restore_confirm="omero-training",
        omero_restore_dump=str(tmp_path / "nope.dump"),
    )
    assert proc.returncode != 0
    assert "does not exist" in proc.stdout
    assert STOP_STEP not in proc.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"omero_restore_dump": ""}, "Set omero_restore_dump to the dump file"),
        ({"omero_restore_dump_source": "volume", "omero_restore_dump": "../etc/passwd"}, "no '..'"),
        ({"omero_restore_dump_source": "volume", "omero_restore_dump": "/abs.dump"}, "relative to the backup volume"),
        ({"omero_restore_dump_source": "s3", "omero_restore_dump": "x.dump"}, "omero_training_restore_dump_source"),
        ({"omero_restore_dump": "x.dump", "omero_restore_binary_archive": "/srv/OMERO.zip"}, ".tar, .tar.gz"),
    ],
)
def test_refuses_bad_dump_settings(tmp_path, extra, message):
    proc = _run(tmp_path, omero_restore_namespace="omero-training", omero_restore_confirm="omero-training", **extra)
    assert proc.returncode != 0
    assert message in proc.stdout
    assert STOP_STEP not in proc.stdout


def test_refuses_a_missing_binary_archive(tmp_path, dump):
    proc = _run(
        tmp_path,
        omero_restore_namespace="omero-training",
        omero_restore_confirm="omero-training",
        omero_restore_dump=dump,
        omero_restore_binary_archive=str(tmp_path / "OMERO.tar"),
    )
    assert proc.returncode != 0
    assert "is not a file on the controller" in proc.stdout
    assert STOP_STEP not in proc.stdout


@pytest.mark.slow
def test_renders_the_helper_pod_for_a_confirmed_restore(tmp_path, dump):
    archive = tmp_path / "OMERO.tar.gz"
    archive.write_bytes(gzip.compress(b"\0" * 1024))
    out = harness.render(
        PLAYBOOK,
        LOCHY,
        {
            "omero_restore_namespace": "omero-dev",
            "omero_restore_confirm": "omero-dev",
            "omero_restore_dump": dump,
            "omero_restore_binary_archive": str(archive),
            "omero_restore_redeploy": False,
        },
        tmp_path=tmp_path,
    )
    pod = out.get("Pod", "omero-dev-restore", namespace="omero-dev")
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "omero-server"
    assert labels["app.kubernetes.io/instance"] == "omero-dev"
    spec = pod["spec"]
    (container,) = spec["containers"]
    env = {e["name"]: e for e in container["env"]}
    # The restore drops, creates and renames databases: it connects as the administration role, not as the
    # application's ordinary one (SET ROLE, or pg_restore --role, gives the objects to the owner).
    for var, key in (("PGUSER", "username"), ("PGPASSWORD", "password")):
        assert env[var]["valueFrom"]["secretKeyRef"] == {"name": "omero-dev-postgresql-admin", "key": key}
    assert "SET ROLE omero;" in proc_text(out)
    assert env["PGHOST"]["value"] == "omero-dev-postgresql"
    claims = {v["name"]: v.get("persistentVolumeClaim") for v in spec["volumes"]}
    assert claims["omero-data"] == {"claimName": "data-omero-dev-server-0"}
    # The database being replaced is saved to the backup volume first.
    assert claims["dumps"] == {"claimName": "omero-dev-postgresql-backup"}
    assert "--format=custom --file /dumps/omero-before-restore-" in proc_text(out)
    assert spec["securityContext"]["runAsUser"] == 1000
    # The steps that need a cluster print what they would do.
    assert "Render mode, not deleted" in proc_text(out)
    assert "gzip -dc /incoming/omero.sql.gz" in proc_text(out)
    # Only the instance's own database Secret and data volume are missing: they belong to the OMERO being
    # restored, which this playbook does not render (omero_restore_redeploy=false).
    assert check_all(out.objects) == [
        "references_exist: Pod/omero-dev/omero-dev-restore: container restore env PGUSER references missing "
        "Secret omero-dev-postgresql-admin",
        "references_exist: Pod/omero-dev/omero-dev-restore: container restore env PGPASSWORD references missing "
        "Secret omero-dev-postgresql-admin",
        "references_exist: Pod/omero-dev/omero-dev-restore: volume dumps references missing "
        "PersistentVolumeClaim omero-dev-postgresql-backup",
        "references_exist: Pod/omero-dev/omero-dev-restore: volume omero-data references missing "
        "PersistentVolumeClaim data-omero-dev-server-0",
    ]


@pytest.mark.slow
def test_volume_source_mounts_the_backup_volume(tmp_path):
    out = harness.render(
        PLAYBOOK,
        LOCHY,
        {
            "omero_restore_namespace": "omero-training",
            "omero_restore_confirm": "omero-training",
            "omero_restore_dump_source": "volume",
            "omero_restore_dump": "omero-training-postgresql-20260101.dump",
            "omero_restore_redeploy": False,
        },
        tmp_path=tmp_path,
    )
    pod = out.get("Pod", "omero-training-restore", namespace="omero-training")
    claims = {v["name"]: v.get("persistentVolumeClaim") for v in pod["spec"]["volumes"]}
    assert claims["dumps"] == {"claimName": "omero-training-postgresql-backup"}
    assert "omero-data" not in claims
    assert "/dumps/omero-training-postgresql-20260101.dump" in proc_text(out)


def proc_text(out):
    return out.stdout + out.stderr


def test_says_the_namespace_is_missing(tmp_path, dump):
    proc = _run(tmp_path, omero_restore_dump=dump)
    assert proc.returncode != 0
    assert "No namespace given: set omero_restore_namespace" in proc.stdout
    assert "production OMERO namespace" not in proc.stdout
    assert STOP_STEP not in proc.stdout


@pytest.mark.parametrize("namespace", ["redmine", "kube-system"])
def test_refuses_the_namespace_of_another_application_even_when_production_is_allowed(tmp_path, dump, namespace):
    proc = _run(
        tmp_path,
        omero_restore_namespace=namespace,
        omero_restore_confirm=namespace,
        omero_restore_allow_production=True,
        omero_restore_dump=dump,
    )
    assert proc.returncode != 0
    assert "Refusing to work on namespace '%s': it belongs to" % namespace in proc.stdout
    assert STOP_STEP not in proc.stdout


@pytest.mark.parametrize(
    "selection",
    [["--start-at-task", "Build the restore helper pod"], ["--start-at-task", "Show what would be deleted"]],
)
def test_changes_nothing_unconfirmed_whatever_the_task_selection(tmp_path, dump, selection):
    # The restore entry point imported statically, so --start-at-task can reach past its first checks.
    extra = {
        "entry": "restore",
        "omero_training_restore_namespace": "omero-training",
        "omero_training_restore_dump_path": dump,
    }
    proc = harness.run_playbook("tests/apps/playbooks/training_entry_point.yml", tmp_path, LOCHY, extra, args=selection)
    assert proc.returncode != 0
    assert "Not restoring: this replaces the OMERO database of namespace 'omero-training'" in proc.stdout
    assert "Render mode, not deleted" not in proc.stdout
