"""ome.k8s.omero_db_status against a real PostgreSQL, run by FQCN through ansible."""

from __future__ import annotations

import pytest
from servers import after_module_starts, free_port, run_module, run_modules
from servers.postgres import OMERO_PASSWORD, SUPERUSER_PASSWORD

MODULE = "ome.k8s.omero_db_status"

pytestmark = pytest.mark.integration


SCHEMA_STATES = {
    "omero_empty": ("uninitialised", None, None, False),
    "omero_no_rows": ("uninitialised", None, None, False),
    "omero_only_unfinished": ("uninitialised", None, None, True),
    "omero_current": ("current", "OMERO5.4", 0, False),
    "omero_older": ("upgrade_needed", "OMERO5.3", 0, False),
    "omero_unfinished": ("upgrade_needed", "OMERO5.3", 0, True),
    "omero_newer": ("newer_than_expected", "OMERO5.5", 0, False),
    "omero_newer_patch": ("newer_than_expected", "OMERO5.4", 1, False),
    "omero_tens": ("newer_than_expected", "OMERO5.10", 0, False),
}


def test_schema_states(postgres_server):
    # One playbook for all databases: Ansible's start-up costs seconds on a busy host.
    results = run_modules(MODULE, [dict(postgres_server.connection(db), timeout=10) for db in SCHEMA_STATES])
    for (db, expected), result in zip(SCHEMA_STATES.items(), results):
        assert not result["failed"], (db, result)
        assert result["ready"] is True
        got = (result["state"], result["current_version"], result["current_patch"], result["in_progress"])
        assert got == expected, db
        assert result["attempts"] == 1
        assert result["server_version"].startswith("15")


def test_expected_version_is_compared_numerically(postgres_server):
    result = run_module(
        MODULE, dict(postgres_server.connection("omero_tens"), expected_version="OMERO5.10", timeout=10)
    )
    assert result["state"] == "current"
    result = run_module(
        MODULE, dict(postgres_server.connection("omero_current"), expected_version="OMERO5.10", timeout=10)
    )
    assert result["state"] == "upgrade_needed"


def test_not_an_omero_version_is_misconfigured(postgres_server):
    result = run_module(MODULE, dict(postgres_server.connection("omero_not_omero"), timeout=10))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert "'5.4'" in result["msg"]


def test_check_mode_reads_the_same(postgres_server):
    result = run_module(MODULE, dict(postgres_server.connection("omero_current"), timeout=10), check_mode=True)
    assert result["state"] == "current"
    assert result["changed"] is False


def test_wrong_password_fails_at_once_without_the_password(postgres_server):
    wrong = "not-the-password-123"
    result = run_module(MODULE, dict(postgres_server.connection("omero_current", password=wrong), timeout=30))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert result["elapsed"] < 5
    assert "password authentication failed" in result["msg"]
    assert wrong not in str(result)
    assert OMERO_PASSWORD not in str(result)


def test_missing_database_fails_at_once(postgres_server):
    result = run_module(MODULE, dict(postgres_server.connection("omero_nosuchdb"), timeout=30))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert 'database "omero_nosuchdb" does not exist' in result["msg"]


def test_missing_role_fails_at_once(postgres_server):
    args = postgres_server.connection("omero_current", user="nosuchrole", password=SUPERUSER_PASSWORD)
    result = run_module(MODULE, dict(args, timeout=30))
    assert result["state"] == "misconfigured"
    assert SUPERUSER_PASSWORD not in str(result)


def test_nothing_listening_is_not_ready_until_timeout():
    port = free_port()
    args = dict(login_host="127.0.0.1", port=port, login_password="x-secret-x", db="omero", timeout=2)
    result = run_module(MODULE, args)
    assert result["failed"]
    assert result["state"] == "not_ready"
    assert result["ready"] is False
    assert 2 <= result["elapsed"] < 4
    assert result["attempts"] > 3
    assert "Connection refused" in result["last_error"]
    assert "x-secret-x" not in str(result)


def test_unresolvable_host_is_not_ready_and_named():
    args = dict(login_host="omero-db.nonexistent.invalid", login_password="secret-not-in-names", db="omero", timeout=2)
    result = run_module(MODULE, args)
    assert result["state"] == "not_ready"
    assert "omero-db.nonexistent.invalid" in result["last_error"]


BAD_OPTIONS = [
    (dict(port=70000), "port must be between 1 and 65535"),
    (dict(port=0), "port must be between 1 and 65535"),
    (dict(timeout=-1), "timeout must be zero or more"),
    (dict(interval=0), "interval must be more than zero"),
    (dict(expected_version="5.4"), "expected_version must look like OMERO5.4"),
    (dict(login_host=""), "login_host must not be empty"),
]


def test_bad_options_fail_before_connecting():
    # A host name that does not resolve: a network attempt would be retried and show attempts/last_error.
    base = dict(login_host="never-contacted.invalid", db="omero", login_password="secret-not-in-names", timeout=5)
    results = run_modules(MODULE, [dict(base, **args) for args, _message in BAD_OPTIONS])
    for (args, message), result in zip(BAD_OPTIONS, results):
        assert result["failed"], args
        assert message in result["msg"], (args, result["msg"])
        assert "attempts" not in result, args


@pytest.mark.slow
def test_server_appearing_half_way_is_detected_promptly(postgres_stopped):
    # pg_ctl -w returns once the server accepts connections.
    thread, times = after_module_starts(MODULE, postgres_stopped.start, delay=3)
    result = run_module(MODULE, dict(postgres_stopped.connection("omero_current"), timeout=60, interval=0.5))
    thread.join()
    assert result["state"] == "current", result
    assert result["attempts"] > 3
    assert result["elapsed"] >= 1.5
    # The module process ended within one interval and one attempt of pg_ctl reporting the server up
    # (the host may be busy, hence the margin).
    assert times["module_gone"] - times["action_done"] < 1.5, times


@pytest.mark.slow
def test_server_dying_mid_wait(postgres_stopped):
    """Up, then killed (SIGKILL, like a crash): not ready until timeout; restarted mid-wait: ready again."""
    postgres_stopped.start()
    args = dict(postgres_stopped.connection("omero_current"), interval=0.5)
    assert run_module(MODULE, dict(args, timeout=10))["state"] == "current"

    postgres_stopped.kill()
    result = run_module(MODULE, dict(args, timeout=2))
    assert result["state"] == "not_ready"
    assert "Connection refused" in result["last_error"]

    thread, _times = after_module_starts(MODULE, postgres_stopped.start, delay=2)
    result = run_module(MODULE, dict(args, timeout=60))
    thread.join()
    assert result["state"] == "current"
    assert result["attempts"] > 1
    # The last refusal depends on how far PostgreSQL got: nothing listening yet, starting up, or (after the
    # SIGKILL) crash recovery, "not yet accepting connections".
    assert any(
        text in result["last_error"] for text in ("Connection refused", "starting up", "not yet accepting connections")
    ), result["last_error"]
