# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classification of PostgreSQL connection errors (messages as libpq 15 writes them) and option checks."""

from __future__ import annotations

import pytest

from ansible_collections.ome.k8s.plugins.module_utils import postgres
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

WHERE = "connecting to omero@db:5432/omero"


class DriverError(Exception):
    def __init__(self, message, pgcode=None):
        super().__init__(message)
        self.pgcode = pgcode


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        (
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n\tIs the server running '
            "on that host and accepting TCP/IP connections?",
            NotReady,
        ),
        ('connection to server at "127.0.0.1", port 5432 failed: FATAL:  the database system is starting up', NotReady),
        ('connection to server at "db", port 5432 failed: FATAL:  the database system is shutting down', NotReady),
        ('connection to server at "db", port 5432 failed: FATAL:  sorry, too many clients already', NotReady),
        ('connection to server at "db", port 5432 failed: timeout expired', NotReady),
        ('could not translate host name "db.invalid" to address: Name or service not known', NotReady),
        ("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally", NotReady),
        ('connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory', NotReady),
        (
            'connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "omero"',
            Misconfigured,
        ),
        ('connection to server at "db", port 5432 failed: FATAL:  database "omero" does not exist', Misconfigured),
        ('connection to server at "db", port 5432 failed: FATAL:  role "omero" does not exist', Misconfigured),
        ('connection to server at "db", port 5432 failed: fe_sendauth: no password supplied', Misconfigured),
        (
            'connection to server at "db", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.1", '
            'user "omero", database "omero", no encryption',
            Misconfigured,
        ),
        (
            'connection to server at "db", port 5432 failed: server does not support SSL, but SSL was required',
            Misconfigured,
        ),
        ('connection to server at "db", port 5432 failed: SSL error: certificate verify failed', Misconfigured),
        ("something new and strange", NotReady),
    ],
)
def test_classify_messages(message, outcome):
    classified = postgres.classify(DriverError(message), WHERE)
    assert isinstance(classified, outcome)
    assert str(classified).startswith(WHERE + ": ")
    assert "\n" not in str(classified)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [("28P01", Misconfigured), ("3D000", Misconfigured), ("28000", Misconfigured), ("57P03", NotReady)],
)
def test_classify_sqlstate_wins_over_text(code, outcome):
    assert isinstance(postgres.classify(DriverError("localised text", pgcode=code), WHERE), outcome)


def test_password_is_scrubbed_from_messages():
    classified = postgres.classify(DriverError("failed: s3cret-pass in a message"), WHERE, password="s3cret-pass")
    assert "s3cret-pass" not in str(classified)
    assert "********" in str(classified)


PARAMS = dict(login_host="db", port=5432, login_user="omero", login_password="pw", db="omero", ssl_mode="prefer")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, None),
        ({"port": 65535}, None),
        ({"port": 0}, "port must be between 1 and 65535, got 0"),
        ({"port": 65536}, "port must be between 1 and 65535, got 65536"),
        ({"login_host": ""}, "login_host must not be empty"),
        ({"db": ""}, "db must not be empty"),
    ],
)
def test_check_connection_params(change, message):
    problem = postgres.check_connection_params(dict(PARAMS, **change))
    if message is None:
        assert problem is None
    else:
        assert message in problem


def test_argument_spec_keeps_the_password_out_of_logs():
    spec = postgres.postgres_argument_spec()
    assert spec["login_password"]["no_log"] is True
    assert spec["port"]["default"] == 5432
    assert spec["ssl_mode"]["choices"] == ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class FakeDriver:
    class Error(Exception):
        pass

    def __init__(self):
        self.kwargs = None

    def connect(self, **kwargs):
        self.kwargs = kwargs
        raise self.Error('connection to server at "db", port 5432 failed: Connection refused')


def test_connect_passes_libpq_options_and_classifies(monkeypatch):
    driver = FakeDriver()
    monkeypatch.setattr(postgres, "DRIVER", driver)
    with pytest.raises(NotReady, match="Connection refused"):
        postgres.connect(dict(PARAMS, ca_cert="/ca.pem", ssl_mode="verify-full"), 0.7)
    assert driver.kwargs["connect_timeout"] == 2
    assert driver.kwargs["sslmode"] == "verify-full"
    assert driver.kwargs["sslrootcert"] == "/ca.pem"
    assert driver.kwargs["password"] == "pw"
    assert driver.kwargs["dbname"] == "omero"
    with pytest.raises(NotReady):
        postgres.connect(dict(PARAMS, login_password=None), 12.2)
    assert driver.kwargs["connect_timeout"] == 13
    assert "password" not in driver.kwargs


class Psycopg3Error(Exception):
    """psycopg 3 names the SQLSTATE `sqlstate` (psycopg2: `pgcode`)."""

    def __init__(self, message, sqlstate=None):
        super().__init__(message)
        self.sqlstate = sqlstate


def test_classify_reads_psycopg3_sqlstate():
    assert isinstance(postgres.classify(Psycopg3Error("x", sqlstate="28P01"), WHERE), Misconfigured)
    assert isinstance(postgres.classify(Psycopg3Error("x", sqlstate="57P03"), WHERE), NotReady)
