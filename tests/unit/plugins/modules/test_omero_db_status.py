# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ome.k8s.omero_db_status with a fake driver and a fake clock (real PostgreSQL: tests/integration)."""

from __future__ import annotations

import json

import pytest
from module_harness import Exit, Fail, run_main

from ansible_collections.ome.k8s.plugins.module_utils import postgres, readiness
from ansible_collections.ome.k8s.plugins.modules import omero_db_status

PASSWORD = "db-secret-0815"
ARGS = {"login_host": "db", "login_user": "omero", "login_password": PASSWORD, "db": "omero"}
REFUSED = 'connection to server at "db" (10.0.0.9), port 5432 failed: Connection refused'
STARTING = 'connection to server at "db" (10.0.0.9), port 5432 failed: FATAL:  the database system is starting up'
BAD_PASSWORD = 'connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "omero"'


class FakeDriver:
    """connect() fails with each queued message once, then returns a database holding `rows` in dbpatch."""

    class Error(Exception):
        pass

    def __init__(self, failures=(), rows=None):
        self.failures = list(failures)
        self.rows = rows  # None: no dbpatch table; else [(id, version, patch, prev, prev_patch, finished)]
        self.connects = []

    def connect(self, **kwargs):
        self.connects.append(kwargs)
        if self.failures:
            raise self.Error(self.failures.pop(0))
        return FakeConnection(self.rows)


class FakeConnection:
    def __init__(self, rows):
        self.rows = rows
        self.closed = False

    def cursor(self):
        return FakeCursor(self.rows)

    def close(self):
        self.closed = True


class FakeCursor:
    def __init__(self, rows):
        self.rows = rows
        self.result = None

    def execute(self, sql, args=()):
        if sql.startswith("SHOW server_version"):
            self.result = [("15.18",)]
        elif "to_regclass" in sql:
            self.result = [(self.rows is not None,)]
        elif sql == omero_db_status.LATEST_SQL:
            finished = [row for row in self.rows if row[5]]
            latest = max(finished, default=None)
            self.result = [latest[:5]] if latest else []
        elif sql == omero_db_status.UNFINISHED_SQL:
            self.result = [(sum(1 for row in self.rows if not row[5] and row[0] > args[0]),)]
        else:
            raise AssertionError("unexpected SQL: %s" % sql)

    def fetchall(self):
        return self.result

    def close(self):
        pass


def run(args, driver, monkeypatch):
    monkeypatch.setattr(postgres, "DRIVER", driver)
    return run_main(omero_db_status, args)


@pytest.mark.parametrize(
    ("rows", "state", "version", "in_progress"),
    [
        (None, "uninitialised", None, False),
        ([], "uninitialised", None, False),
        ([(1, "OMERO5.4", 0, "OMERO4.4", 0, None)], "uninitialised", None, True),
        (
            [(1, "OMERO5.3", 0, "OMERO5.2", 0, "t"), (2, "OMERO5.4", 0, "OMERO5.3", 0, "t")],
            "current",
            "OMERO5.4",
            False,
        ),
        ([(1, "OMERO5.3", 0, "OMERO5.2", 0, "t")], "upgrade_needed", "OMERO5.3", False),
        (
            [(1, "OMERO5.3", 0, "OMERO5.2", 0, "t"), (2, "OMERO5.4", 0, "OMERO5.3", 0, None)],
            "upgrade_needed",
            "OMERO5.3",
            True,
        ),
        ([(1, "OMERO5.5", 0, "OMERO5.4", 0, "t")], "newer_than_expected", "OMERO5.5", False),
        ([(1, "OMERO5.4", 1, "OMERO5.4", 0, "t")], "newer_than_expected", "OMERO5.4", False),
    ],
)
def test_schema_states(monkeypatch, rows, state, version, in_progress):
    kind, result = run(ARGS, FakeDriver(rows=rows), monkeypatch)
    assert kind is Exit
    assert result["ready"] is True
    assert result["state"] == state
    assert result["current_version"] == version
    assert result["in_progress"] is in_progress
    assert result["server_version"] == "15.18"


def test_down_then_starting_then_up(monkeypatch):
    driver = FakeDriver(failures=[REFUSED, STARTING, STARTING], rows=[(1, "OMERO5.4", 0, "OMERO5.3", 0, "t")])
    kind, result = run(dict(ARGS, timeout=60), driver, monkeypatch)
    assert kind is Exit
    assert result["state"] == "current"
    assert result["attempts"] == 4
    assert "starting up" in result["last_error"]
    assert len(driver.connects) == 4


def test_down_until_timeout(monkeypatch):
    driver = FakeDriver(failures=[REFUSED] * 1000)
    kind, result = run(dict(ARGS, timeout=4, interval=1, attempt_timeout=3), driver, monkeypatch)
    assert kind is Fail
    assert result["state"] == "not_ready"
    assert result["elapsed"] == pytest.approx(4.0)
    assert result["msg"].startswith("OMERO database not ready after 4.0 s")
    assert "Connection refused" in result["last_error"]
    assert driver.connects[0]["connect_timeout"] == 3
    assert all(kwargs["connect_timeout"] >= 2 for kwargs in driver.connects)


def test_bad_password_fails_at_once_and_never_shows_it(monkeypatch):
    driver = FakeDriver(failures=[BAD_PASSWORD + " " + PASSWORD, None])
    kind, result = run(dict(ARGS, timeout=300), driver, monkeypatch)
    assert kind is Fail
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "password authentication failed" in result["msg"]
    assert PASSWORD not in json.dumps(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"port": 0}, "port must be between 1 and 65535"),
        ({"port": 123456}, "port must be between 1 and 65535"),
        ({"timeout": -1}, "timeout must be zero or more"),
        ({"expected_version": "5.4"}, "expected_version must look like OMERO5.4"),
        ({"expected_patch": -1}, "expected_patch must be zero or more"),
    ],
)
def test_bad_options_fail_before_connecting(monkeypatch, args, words):
    driver = FakeDriver(rows=None)
    kind, result = run(dict(ARGS, **args), driver, monkeypatch)
    assert kind is Fail
    assert words in result["msg"]
    assert driver.connects == []


def test_missing_driver_says_psycopg2_with_traceback(monkeypatch):
    monkeypatch.setattr(postgres, "IMPORT_ERROR", "Traceback: No module named 'psycopg2'")
    kind, result = run(ARGS, None, monkeypatch)
    assert kind is Fail
    assert "psycopg2" in result["msg"]
    assert result["exception"] == "Traceback: No module named 'psycopg2'"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("OMERO5.4", (5, 4)),
        ("OMERO4.4", (4, 4)),
        ("OMERO5.10", (5, 10)),
        ("OMERO6", (6,)),
        ("5.4", None),
        ("OMERO5.4DEV", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_version(text, parsed):
    assert omero_db_status.parse_version(text) == parsed


@pytest.mark.parametrize(
    ("version", "patch", "state"),
    [
        ("OMERO5.4", 0, "current"),
        ("OMERO5.3", 0, "upgrade_needed"),
        ("OMERO4.4", 9, "upgrade_needed"),
        ("OMERO5.4", 1, "newer_than_expected"),
        ("OMERO5.10", 0, "newer_than_expected"),
        ("OMERO6.0", 0, "newer_than_expected"),
    ],
)
def test_compare_numerically_then_patch(version, patch, state):
    assert omero_db_status.compare(version, patch, "OMERO5.4", 0) == state


def test_compare_rejects_a_foreign_version():
    with pytest.raises(readiness.Misconfigured, match="not an OMERO schema version"):
        omero_db_status.compare("v5.4", 0, "OMERO5.4", 0)
