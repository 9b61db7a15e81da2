# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classification of what omero.client raises, tested without zeroc-ice: fake classes carry the names."""

from __future__ import annotations

import logging

import pytest

from ansible_collections.ome.k8s.plugins.module_utils import omero as om
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady


def ice_exception(*names, module="Ice", **attrs):
    """An instance of a class chain named like Ice's, base first: ("LocalException", ..., leaf)."""
    cls = Exception
    for name in names:
        cls = type(name, (cls,), {"__module__": module})
    exc = cls()
    for key, value in attrs.items():
        setattr(exc, key, value)
    return exc


LOCAL = ("LocalException",)
SOCKET = (*LOCAL, "SyscallException", "SocketException")
CONNECT_FAILED = (*SOCKET, "ConnectFailedException")
PERMISSION_DENIED = ("UserException", "PermissionDeniedException")
CANNOT_CREATE = ("UserException", "CannotCreateSessionException")
WRAPPED = (*CANNOT_CREATE, "WrappedCreateSessionException")
CLIENT_ERROR = ("ClientError",)


@pytest.mark.parametrize(
    ("names", "attrs", "module", "expected", "fragment"),
    [
        ((*CONNECT_FAILED, "ConnectionRefusedException"), {}, "Ice", NotReady, "ConnectionRefusedException"),
        ((*LOCAL, "TimeoutException", "ConnectTimeoutException"), {}, "Ice", NotReady, "ConnectTimeout"),
        ((*SOCKET, "ConnectionLostException"), {}, "Ice", NotReady, "ConnectionLost"),
        ((*LOCAL, "DNSException"), {}, "Ice", NotReady, "DNSException"),
        (SOCKET, {}, "Ice", NotReady, "SocketException"),
        ((*LOCAL, "RequestFailedException", "ObjectNotExistException"), {}, "Ice", NotReady, "ObjectNotExist"),
        ((*LOCAL, "UnknownLocalException"), {}, "Ice", NotReady, "UnknownLocalException"),
        # Glacier2 up, OMERO.blitz down: the permissions verifier or session manager cannot be called.
        (PERMISSION_DENIED, {"reason": "internal server error"}, "Glacier2", NotReady, "OMERO.blitz is not ready"),
        (CANNOT_CREATE, {"reason": "internal server error"}, "Glacier2", NotReady, "cannot create sessions"),
        # Blitz up, Spring context still loading.
        (
            WRAPPED,
            {"reason": "Server not fully initialized", "concurrency": True, "type": "ApiUsageException"},
            "omero",
            NotReady,
            "Server not fully initialized",
        ),
        (
            WRAPPED,
            {"reason": "ConcurrencyException: busy", "concurrency": True, "type": "x"},
            "omero",
            NotReady,
            "busy",
        ),
        # Blitz up, database down: the verifier reports an internal error.
        (
            PERMISSION_DENIED,
            {"reason": "Internal error. Please contact your administrator:\nno db"},
            "Glacier2",
            NotReady,
            "Internal error",
        ),
        # Refused credentials.
        (
            PERMISSION_DENIED,
            {"reason": "Password check failed for 'guest': [id=2]"},
            "Glacier2",
            Misconfigured,
            "check username and password",
        ),
        (PERMISSION_DENIED, {"reason": "permission denied"}, "Glacier2", Misconfigured, "login refused"),
        (
            WRAPPED,
            {"reason": "User is disabled", "concurrency": False, "type": "ome.conditions.SecurityViolation"},
            "omero",
            Misconfigured,
            "ome.conditions.SecurityViolation",
        ),
        ((*LOCAL, "SecurityException"), {}, "Ice", Misconfigured, "TLS/security"),
        ((*LOCAL, "ProtocolException", "BadMagicException"), {}, "Ice", Misconfigured, "does not speak Ice"),
        # ssl client on a tcp endpoint: the peer answers, but not with TLS.
        (
            (*LOCAL, "ProtocolException"),
            {
                "args": (
                    "SSL error occurred for new outgoing connection: remote "
                    "address = <not available> wrong version number",
                )
            },
            "Ice",
            Misconfigured,
            "does not speak Ice",
        ),
        # Handshake cut short (a proxy accepting then closing, a server going down): transient.
        (
            (*LOCAL, "ProtocolException"),
            {
                "args": (
                    "SSL error occurred for new outgoing connection: remote "
                    "address = <not available> unexpected eof while reading",
                )
            },
            "Ice",
            NotReady,
            "TLS handshake failed",
        ),
        ((*LOCAL, "EndpointParseException"), {}, "Ice", Misconfigured, "invalid endpoint"),
        (("ServerError", "SecurityViolation"), {"message": "no"}, "omero", Misconfigured, "SecurityViolation"),
        (("ServerError", "ConcurrencyException", "TryAgain"), {}, "omero", NotReady, "busy"),
        (("ServerError", "InternalException"), {}, "omero", Misconfigured, "unexpected error"),
        (("ValueError",), {}, "builtins", Misconfigured, "unexpected error"),
    ],
)
def test_classify(names, attrs, module, expected, fragment):
    exc = ice_exception(*names, module=module, **attrs)
    result = om.classify(exc, "ssl://omero:4064")
    assert isinstance(result, expected)
    assert fragment in str(result)
    assert str(result).startswith("ssl://omero:4064: ")


@pytest.mark.parametrize(
    ("retry_reason", "expected"),
    [
        ("ApiUsageException:Server not fully initialized", NotReady),
        ("Ice.ConnectTimeoutException:timeout", NotReady),
        (None, NotReady),
        ("ome.conditions.SecurityViolation:nope", Misconfigured),
    ],
)
def test_client_gave_up_after_retries(retry_reason, expected):
    exc = ice_exception(*CLIENT_ERROR, module="omero")
    exc.args = ("Obtained null object prox",)
    result = om.classify(exc, "tcp://h:4063", retry_reason)
    assert isinstance(result, expected)
    assert (retry_reason or "null object prox") in str(result)


def test_other_client_error_is_misconfigured():
    exc = ice_exception(*CLIENT_ERROR, module="omero")
    exc.args = ("No username specified",)
    assert isinstance(om.classify(exc, "x"), Misconfigured)


def test_exception_name_uses_the_ice_package():
    exc = ice_exception(*PERMISSION_DENIED, module="Glacier2_PermissionsVerifier_ice", reason="r")
    assert om.exception_name(exc) == "Glacier2.PermissionDeniedException"
    assert om.describe(exc) == "Glacier2.PermissionDeniedException: r"
    assert om.exception_name(ValueError()) == "ValueError"


def test_reason_is_one_line():
    exc = ice_exception(*PERMISSION_DENIED, reason="Internal error.\n   cause")
    assert om.reason_of(exc) == "Internal error. cause"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"host": ""}, "host must not be empty"),
        ({"host": "ssl://omero"}, "bare host name"),
        ({"host": "omero server"}, "bare host name"),
        ({"port": 0}, "between 1 and 65535"),
        ({"port": 70000}, "between 1 and 65535"),
        ({"transport": "ws"}, "transport must be one of ssl, tcp, wss"),
        ({"username": ""}, "username must not be empty"),
        ({"password": ""}, "password must not be empty"),
        ({"expected_version": "5.6.("}, "not a valid regular expression"),
    ],
)
def test_check_options_rejects(params, fragment):
    good = dict(host="omero", port=None, transport="ssl", username="guest", password="guest", expected_version=None)
    good.update(params)
    message = om.check_options(good)
    assert message is not None
    assert fragment in message


def test_check_options_accepts_good_values():
    params = dict(host="::1", port=4064, transport="tcp", username="u", password="p", expected_version=r"^5\.")
    assert om.check_options(params) is None


@pytest.mark.parametrize(
    ("transport", "port", "expected"),
    [("ssl", None, 4064), ("tcp", None, 4063), ("wss", None, 4066), ("tcp", 14063, 14063)],
)
def test_effective_port(transport, port, expected):
    assert om.effective_port(transport, port) == expected


def test_router_string_and_properties():
    assert om.router_string("omero", 4064, "ssl", 5000) == "OMERO.Glacier2/router:ssl -h omero -p 4064 -t 5000"
    assert om.router_string("::1", 4063, "tcp", 100) == 'OMERO.Glacier2/router:tcp -h "::1" -p 4063 -t 100'
    props = om.client_properties("omero", 4063, "tcp", 3.0)
    assert props["Ice.Default.Router"].endswith("-t 3000")
    # omero.client may connect four times in one attempt (three createSession tries, one close).
    assert props["Ice.Override.ConnectTimeout"] == "750"
    assert props["Ice.Default.InvocationTimeout"] == "3000"
    tiny = om.client_properties("omero", 4063, "tcp", 0.01)
    assert tiny["Ice.Override.ConnectTimeout"] == str(om.MIN_CONNECT_TIMEOUT_MS)


def test_check_version():
    om.check_version("5.6.14-ice36", None)
    om.check_version("5.6.14-ice36", r"^5\.6\.")
    with pytest.raises(Misconfigured, match=r"'5.6.14-ice36' does not match expected_version '\^5\\\\.5'"):
        om.check_version("5.6.14-ice36", r"^5\.5")


def test_retry_reason_handler_remembers_omero_client_retries():
    handler = om.RetryReasonHandler()
    logger = logging.getLogger("test.omero.retry")
    logger.addHandler(handler)
    try:
        logger.warning("%s - createSession retry: %s", "ApiUsageException:Server not\nfully initialized", 2)
        logger.warning("unrelated")
    finally:
        logger.removeHandler(handler)
    assert handler.reason == "ApiUsageException:Server not fully initialized"
