# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""PostgreSQL connections for readiness probes: psycopg2 (or psycopg 3), classified errors.

Connection failures that time may fix (refused, timed out, "the database system is starting up", a host
name not in DNS yet, too many clients) raise NotReady; those it will not (refused password, unknown role
or database, no pg_hba.conf entry, TLS problems) raise Misconfigured. The password never appears in a
message: libpq does not put it there, and `scrub()` removes it should a driver ever do so.
"""

from __future__ import annotations

import math
import traceback

from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

DRIVER = None
DRIVER_NAME = None
IMPORT_ERROR = None
try:
    import psycopg2 as _driver

    DRIVER, DRIVER_NAME = _driver, "psycopg2"
except ImportError:
    IMPORT_ERROR = traceback.format_exc()
    try:
        import psycopg as _driver

        DRIVER, DRIVER_NAME = _driver, "psycopg"
        IMPORT_ERROR = None
    except ImportError:
        pass

SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# SQLSTATE codes (psycopg 3 and some psycopg2 errors carry them) and libpq/server message fragments.
# Server messages are matched in English; a server with another lc_messages falls back to NotReady.
MISCONFIGURED_SQLSTATES = {
    "28P01": "the password was refused",
    "28000": "the server refused this role or client",
    "3D000": "the database does not exist",
}
NOT_READY_SQLSTATES = {"57P03", "53300", "08006", "08001", "57P01"}
MISCONFIGURED_FRAGMENTS = (
    ("password authentication failed", "the password was refused; check login_user and login_password"),
    ("no password supplied", "the server wants a password; set login_password"),
    ("does not exist", "check login_user and db"),
    ("no pg_hba.conf entry", "pg_hba.conf on the server does not allow this client, user and database"),
    ("pg_hba.conf rejects", "pg_hba.conf on the server rejects this client, user and database"),
    ("Ident authentication failed", "ident authentication failed; check login_user"),
    ("Peer authentication failed", "peer authentication failed; check login_user"),
    ("server does not support SSL", "the server does not offer TLS; lower ssl_mode"),
    ("certificate verify failed", "the server's TLS certificate did not verify; check ca_cert and ssl_mode"),
    ("root certificate file", "ca_cert cannot be read"),
    ("does not match host name", "the server's TLS certificate is for another name; check login_host"),
    ("SSL error", "TLS failed; check ssl_mode and ca_cert"),
    ("invalid sslmode value", "ssl_mode is not valid"),
)
NOT_READY_FRAGMENTS = (
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "too many clients",
    "remaining connection slots are reserved",
    "Connection refused",
    "could not connect",
    "timeout expired",
    "could not translate host name",
    "server closed the connection unexpectedly",
    "terminating connection",
    "Connection reset",
    "No such file or directory",
    "Network is unreachable",
    "No route to host",
)


def postgres_argument_spec():
    """Connection options, named as community.postgresql names them."""
    return dict(
        login_host=dict(type="str", default="localhost", aliases=["host"]),
        port=dict(type="int", default=5432, aliases=["login_port"]),
        login_user=dict(type="str", default="postgres", aliases=["login"]),
        login_password=dict(type="str", no_log=True),
        db=dict(type="str", required=True, aliases=["login_db"]),
        ssl_mode=dict(type="str", default="prefer", choices=SSL_MODES),
        ca_cert=dict(type="path", aliases=["ssl_rootcert"]),
    )


def check_connection_params(params):
    """Return an error message for bad connection options, or None (no network traffic)."""
    if not 0 < params["port"] < 65536:
        return "port must be between 1 and 65535, got %s" % params["port"]
    if not params["login_host"]:
        return "login_host must not be empty (give a host name, an address or a socket directory)"
    if not params["db"]:
        return "db must not be empty"
    return None


def scrub(text, password):
    if password:
        text = text.replace(password, "********")
    return text


def error_text(exc):
    return " ".join(str(exc).split()) or exc.__class__.__name__


def sqlstate(exc):
    return getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)


def classify(exc, where, password=None):
    """Map a driver error to NotReady or Misconfigured; the message starts with `where`."""
    text = scrub(error_text(exc), password)
    code = sqlstate(exc)
    if code in MISCONFIGURED_SQLSTATES:
        return Misconfigured("%s: %s (%s)" % (where, text, MISCONFIGURED_SQLSTATES[code]))
    if code in NOT_READY_SQLSTATES:
        return NotReady("%s: %s" % (where, text))
    # Transient conditions first: "could not connect ... Connection refused" must not match "does not exist".
    for fragment in NOT_READY_FRAGMENTS:
        if fragment.lower() in text.lower():
            return NotReady("%s: %s" % (where, text))
    for fragment, hint in MISCONFIGURED_FRAGMENTS:
        if fragment.lower() in text.lower():
            return Misconfigured("%s: %s (%s)" % (where, text, hint))
    return NotReady("%s: %s" % (where, text))


def connect(params, budget):
    """Open a connection with libpq's connect_timeout derived from `budget` seconds."""
    kwargs = dict(
        host=params["login_host"],
        port=params["port"],
        user=params["login_user"],
        dbname=params["db"],
        sslmode=params["ssl_mode"],
        # libpq takes whole seconds and treats 1 as 2; never 0, which means "wait forever".
        connect_timeout=max(2, math.ceil(budget)),
        application_name="ome.k8s-readiness",
        options="-c statement_timeout=%d" % max(1000, int(budget * 1000)),
    )
    if params.get("login_password"):
        kwargs["password"] = params["login_password"]
    if params.get("ca_cert"):
        kwargs["sslrootcert"] = params["ca_cert"]
    where = "connecting to %s@%s:%s/%s" % (params["login_user"], params["login_host"], params["port"], params["db"])
    try:
        return DRIVER.connect(**kwargs)
    except DRIVER.Error as exc:
        raise classify(exc, where, params.get("login_password")) from None


def query(conn, sql, args=(), where="query", password=None):
    """Run one read-only query and return all rows; errors are classified like connection errors."""
    try:
        cur = conn.cursor()
        try:
            cur.execute(sql, args)
            return cur.fetchall()
        finally:
            cur.close()
    except DRIVER.Error as exc:
        raise classify(exc, where, password) from None
