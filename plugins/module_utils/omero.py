# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OMERO.server (Glacier2/Ice) helpers for ome.k8s.omero_server_ready.

The classification functions here are pure: they look at an exception's class names (its whole MRO)
and its `reason` text, never at the Ice classes themselves, so they are unit-tested without zeroc-ice.
Only `probe_server()` needs omero-py, imported lazily by the caller (see `import_omero()`).

What OMERO answers, and what it means for a readiness wait:

* Glacier2 is up but cannot reach OMERO.blitz (still starting, or restarting): Glacier2 raises
  PermissionDeniedException("internal server error") when the permissions verifier cannot be called,
  and CannotCreateSessionException("internal server error") when the session manager cannot.
* Blitz is up but its Spring context is still loading: WrappedCreateSessionException with
  concurrency=true and reason "Server not fully initialized"; omero.client retries that three times and
  then gives up with ClientError("Obtained null object prox").
* Blitz cannot check a password (database down): PermissionDeniedException whose reason starts
  "Internal error".
* Refused credentials: PermissionDeniedException("Password check failed for 'user': ...") or any other
  reason, including Glacier2's own "permission denied".
"""

from __future__ import annotations

import contextlib
import logging
import re

from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

TRANSPORTS = ("ssl", "tcp", "wss")
# The OMERO defaults: Glacier2's tcp, ssl and wss client endpoints.
DEFAULT_PORTS = {"tcp": 4063, "ssl": 4064, "wss": 4066}
# The identity of OMERO's Glacier2 router object.
ROUTER_IDENTITY = "OMERO.Glacier2/router"
# omero.client tries createSession three times when connecting times out, and closeSession connects
# once more to destroy the Glacier2 session: each connection attempt gets a quarter of the budget.
CONNECTS_PER_ATTEMPT = 4
MIN_CONNECT_TIMEOUT_MS = 200

# Ice local exceptions that time may fix: nothing listening yet, a restart, a DNS name not yet
# published, a server that accepted the connection but is too busy to answer.
TRANSIENT_ICE_ERRORS = (
    "ConnectionRefusedException",
    "ConnectFailedException",
    "ConnectTimeoutException",
    "ConnectionLostException",
    "ConnectionTimeoutException",
    "CloseConnectionException",
    "ForcedCloseConnectionException",
    "DNSException",
    "SocketException",
    "TimeoutException",
    "InvocationTimeoutException",
    "ObjectNotExistException",
    "NoEndpointException",
)
# Ice local exceptions that say the other end is not an Ice server of the kind we asked for.
WRONG_PEER_ICE_ERRORS = (
    "BadMagicException",
    "UnsupportedProtocolException",
    "UnsupportedEncodingException",
    "ProtocolException",
)
# OpenSSL's words for "the peer answered, but not with TLS" (a tcp endpoint, an HTTP server).
WRONG_TLS_PEER = re.compile(r"wrong version number|unknown protocol|http request|packet length too long", re.I)
BAD_ENDPOINT_ICE_ERRORS = ("EndpointParseException", "ProxyParseException", "IdentityParseException")
# omero.ServerError subclasses that OMERO raises while it is busy or starting.
TRANSIENT_OMERO_ERRORS = ("ConcurrencyException", "TryAgain", "DatabaseBusyException", "TooManyUsersException")
# Reasons, in a Glacier2 refusal, that mean "the server behind Glacier2 is not ready".
TRANSIENT_REASONS = (
    re.compile(r"^internal server error", re.IGNORECASE),
    re.compile(r"server not fully initialized", re.IGNORECASE),
    re.compile(r"^internal error\b", re.IGNORECASE),
)


def type_names(exc):
    """The class names along the exception's MRO, most specific first."""
    return [cls.__name__ for cls in type(exc).__mro__]


def exception_name(exc):
    """A readable dotted name such as Glacier2.PermissionDeniedException."""
    cls = type(exc)
    module = getattr(cls, "__module__", "") or ""
    # Ice's generated Python lives in modules like Glacier2_Router_ice; the package is the prefix.
    package = module.split("_", 1)[0].split(".", 1)[0]
    if package in ("", "builtins", "__main__"):
        return cls.__name__
    return "%s.%s" % (package, cls.__name__)


def reason_of(exc):
    """The `reason` an Ice user exception carries, else the exception text; one line."""
    reason = getattr(exc, "reason", None)
    if not isinstance(reason, str) or not reason:
        reason = str(exc) or ""
    return " ".join(reason.split())


def is_transient_reason(reason):
    return any(pattern.search(reason or "") for pattern in TRANSIENT_REASONS)


def describe(exc):
    reason = reason_of(exc)
    name = exception_name(exc)
    if not reason:
        return name
    if reason.startswith(name) or reason.startswith("exception ::"):
        # Ice local exceptions already name themselves ("Ice.ConnectionRefusedException: ...").
        return reason
    return "%s: %s" % (name, reason)


def classify(exc, where, retry_reason=None):
    """Turn what omero.client raised into NotReady or Misconfigured (returned, not raised).

    Anything not recognised (an Ice user exception, an OMERO server error, a Python error) is
    Misconfigured: waiting would only repeat it, and the message names its type.

    `where` names the endpoint in the message; `retry_reason` is what omero.client logged while it
    retried createSession (it hides that reason behind ClientError("Obtained null object prox")).
    """
    names = type_names(exc)
    text = describe(exc)
    if "PermissionDeniedException" in names:
        if is_transient_reason(reason_of(exc)):
            return NotReady("%s: Glacier2 is up but OMERO.blitz is not ready (%s)" % (where, text))
        return Misconfigured("%s: login refused (%s); check username and password" % (where, text))
    if "CannotCreateSessionException" in names:
        reason = reason_of(exc)
        if getattr(exc, "concurrency", False) or is_transient_reason(reason):
            return NotReady("%s: OMERO cannot create sessions yet (%s)" % (where, text))
        wrapped_type = getattr(exc, "type", "") or ""
        suffix = " [%s]" % wrapped_type if wrapped_type else ""
        return Misconfigured("%s: OMERO refused to create a session (%s%s)" % (where, text, suffix))
    if "SecurityException" in names:
        return Misconfigured(
            "%s: TLS/security failure (%s); check transport and that the port is OMERO's %s endpoint"
            % (where, text, "secure")
        )
    if any(name in names for name in BAD_ENDPOINT_ICE_ERRORS):
        return Misconfigured("%s: invalid endpoint (%s); check host, port and transport" % (where, text))
    if any(name in names for name in TRANSIENT_ICE_ERRORS):
        return NotReady("%s: %s" % (where, text))
    if any(name in names for name in WRONG_PEER_ICE_ERRORS):
        reason = reason_of(exc)
        if "SSL error" in reason and not WRONG_TLS_PEER.search(reason):
            # The handshake was cut short (EOF, reset): a proxy or a server going down, not a wrong port.
            return NotReady("%s: TLS handshake failed (%s)" % (where, text))
        return Misconfigured(
            "%s: the peer does not speak Ice over this transport (%s); check port and transport" % (where, text)
        )
    if "SecurityViolation" in names or "AuthenticationException" in names:
        return Misconfigured("%s: %s" % (where, text))
    if any(name in names for name in TRANSIENT_OMERO_ERRORS):
        return NotReady("%s: OMERO is busy (%s)" % (where, text))
    if "ClientError" in names:
        message = str(exc)
        if "null object prox" in message:
            # omero.client retried a concurrency refusal or a connect timeout and gave up.
            detail = retry_reason or message
            if retry_reason and not is_transient_reason(retry_reason) and "Timeout" not in retry_reason:
                return Misconfigured("%s: session creation failed: %s" % (where, detail))
            hint = ""
            if retry_reason and "ConnectTimeout" in retry_reason:
                hint = (
                    " (connections time out: the server is busy or unreachable, or this port is not an "
                    "OMERO endpoint for this transport)"
                )
            return NotReady("%s: session creation kept failing: %s%s" % (where, detail, hint))
        return Misconfigured("%s: omero.client error: %s" % (where, message))
    if "LocalException" in names:
        # Any other Ice run-time failure (UnknownLocalException, ...): report it and keep waiting.
        return NotReady("%s: %s" % (where, text))
    return Misconfigured("%s: unexpected error %s" % (where, text))


def check_options(params):
    """Return an error message for bad host/port/transport/version options, or None."""
    host = params.get("host")
    if not host or not host.strip():
        return "host must not be empty"
    if re.search(r"[\s\"'/]", host):
        return "host %r must be a bare host name or IP address (no scheme, path, spaces or quotes)" % host
    port = params.get("port")
    if port is not None and not 0 < port < 65536:
        return "port must be between 1 and 65535, got %s" % port
    if params.get("transport") not in TRANSPORTS:
        return "transport must be one of %s, got %r" % (", ".join(TRANSPORTS), params.get("transport"))
    if not params.get("username"):
        return "username must not be empty"
    if params.get("password") is None or params.get("password") == "":
        return "password must not be empty (OMERO's guest login uses the password 'guest')"
    pattern = params.get("expected_version")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            return "expected_version %r is not a valid regular expression: %s" % (pattern, exc)
    return None


def effective_port(transport, port=None):
    return port if port else DEFAULT_PORTS[transport]


def router_string(host, port, transport, timeout_ms):
    """The Ice.Default.Router proxy string for OMERO's Glacier2 router on this endpoint."""
    quoted = '"%s"' % host if ":" in host else host
    return "%s:%s -h %s -p %d -t %d" % (ROUTER_IDENTITY, transport, quoted, port, timeout_ms)


def client_properties(host, port, transport, budget):
    """Ice properties for one attempt that may last `budget` seconds."""
    total_ms = max(MIN_CONNECT_TIMEOUT_MS, int(budget * 1000))
    connect_ms = max(MIN_CONNECT_TIMEOUT_MS, total_ms // CONNECTS_PER_ATTEMPT)
    return {
        "Ice.Default.Router": router_string(host, port, transport, total_ms),
        "Ice.Override.ConnectTimeout": str(connect_ms),
        "Ice.Override.Timeout": str(total_ms),
        "Ice.Default.InvocationTimeout": str(total_ms),
        "Ice.RetryIntervals": "-1",
        "Ice.Warn.Connections": "0",
        "omero.keep_alive": "-1",
    }


def check_version(version, pattern):
    """Raise Misconfigured when `version` does not match the `pattern` regex (re.search)."""
    if pattern is None:
        return
    if not re.search(pattern, version or ""):
        raise Misconfigured("OMERO.server version %r does not match expected_version %r" % (version, pattern))


class RetryReasonHandler(logging.Handler):
    """Remembers why omero.client retried createSession (it logs that, then raises a bare ClientError)."""

    PATTERN = re.compile(r"^(?P<reason>.*) - createSession retry: \d+$", re.DOTALL)

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.reason = None

    def emit(self, record):
        try:
            match = self.PATTERN.match(record.getMessage())
        except Exception:  # a broken log record must not break the probe
            return
        if match:
            self.reason = " ".join(match.group("reason").split())


def import_omero():
    """Import omero-py's client module; return (omero.clients, None) or (None, traceback text)."""
    try:
        import omero.clients
    except Exception:  # ImportError, or Ice's own errors when zeroc-ice is broken or the wrong version
        import traceback

        return None, traceback.format_exc()
    return omero.clients, None


def probe_server(clients, budget, *, host, port, transport, username, password, expected_version=None):
    """Log in through Glacier2, read omero.version, close the session. Returns facts or raises."""
    where = "%s://%s:%s" % (transport, host, port)
    handler = RetryReasonHandler()
    client_logger = logging.getLogger("omero.client")
    client_logger.addHandler(handler)
    # omero.client logs its retries as warnings on stderr; the reason ends up in the result instead.
    propagate, client_logger.propagate = client_logger.propagate, False
    client = None
    try:
        try:
            client = clients.BaseClient(pmap=client_properties(host, port, transport, budget))
            session = client.createSession(username, password)
            version = session.getConfigService().getVersion()
        except (NotReady, Misconfigured):
            raise
        except Exception as exc:
            raise classify(exc, where, handler.reason) from None
    finally:
        client_logger.removeHandler(handler)
        client_logger.propagate = propagate
        if client is not None:
            # Closing is best effort: the answer is already known.
            with contextlib.suppress(Exception):
                client.closeSession()
    check_version(version, expected_version)
    return dict(version=version, endpoint=where)
