# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ome.k8s.omero_server_ready with a scripted omero.clients (the real Ice path: tests/integration)."""

from __future__ import annotations

import json
import logging

import pytest
from module_harness import Exit, Fail, run_main

from ansible_collections.ome.k8s.plugins.module_utils import omero as omero_utils
from ansible_collections.ome.k8s.plugins.modules import omero_server_ready


def named(*names, module="Ice", **attrs):
    cls = Exception
    for name in names:
        cls = type(name, (cls,), {"__module__": module})
    exc = cls()
    for key, value in attrs.items():
        setattr(exc, key, value)
    return exc


REFUSED = ("LocalException", "SocketException", "ConnectFailedException", "ConnectionRefusedException")


class FakeClients:
    """Stands in for omero.clients: each createSession pops the next scripted outcome."""

    def __init__(self, outcomes, version="5.6.14-ice36"):
        self.outcomes = list(outcomes)
        self.version = version
        self.made = []
        self.closed = 0
        fake = self

        class Config:
            def getVersion(self):
                return fake.version

        class Session:
            def getConfigService(self):
                return Config()

        class BaseClient:
            def __init__(self, pmap):
                fake.made.append(pmap)

            def createSession(self, username, password):
                fake.logins = [*getattr(fake, "logins", []), (username, password)]
                outcome = fake.outcomes.pop(0) if fake.outcomes else "ok"
                if outcome == "ok":
                    return Session()
                if isinstance(outcome, tuple):  # (log message, exception): omero.client's retry path
                    logging.getLogger("omero.client").warning("%s - createSession retry: %s", outcome[0], 1)
                    raise outcome[1]
                raise outcome

            def closeSession(self):
                fake.closed += 1

        self.BaseClient = BaseClient


def run(args, clients=None, monkeypatch=None):
    if clients is not None:
        monkeypatch.setattr(omero_utils, "import_omero", lambda: (clients, None))
    return run_main(omero_server_ready, args)


def test_ready_at_once(monkeypatch):
    clients = FakeClients(["ok"])
    kind, result = run({"host": "omero", "timeout": 5}, clients, monkeypatch)
    assert kind is Exit
    assert result["ready"] is True
    assert result["state"] == "ready"
    assert result["attempts"] == 1
    assert result["version"] == "5.6.14-ice36"
    assert result["endpoint"] == "ssl://omero:4064"
    assert result["changed"] is False
    assert clients.logins == [("guest", "guest")]
    assert clients.closed == 1
    assert clients.made[0]["Ice.Default.Router"].startswith("OMERO.Glacier2/router:ssl -h omero -p 4064 ")


def test_retries_while_starting_then_ready(monkeypatch):
    clients = FakeClients(
        [
            named(*REFUSED),
            named("UserException", "PermissionDeniedException", module="Glacier2", reason="internal server error"),
            (
                "ApiUsageException:Server not fully initialized",
                named("ClientError", module="omero", args=("Obtained null object prox",)),
            ),
            "ok",
        ]
    )
    kind, result = run({"host": "omero", "transport": "tcp", "timeout": 60}, clients, monkeypatch)
    assert kind is Exit
    assert result["attempts"] == 4
    assert "Server not fully initialized" in result["last_error"]
    assert result["endpoint"] == "tcp://omero:4063"
    assert clients.closed == 4  # every attempt closes its client, failed or not


def test_not_ready_until_timeout(monkeypatch, module_exits):
    clients = FakeClients([named(*REFUSED)] * 1000)
    kind, result = run({"host": "omero", "timeout": 3, "interval": 1}, clients, monkeypatch)
    assert kind is Fail
    assert result["state"] == "not_ready"
    assert result["ready"] is False
    assert result["attempts"] > 3
    assert result["elapsed"] == pytest.approx(3.0)
    assert "ConnectionRefusedException" in result["msg"]
    assert "not ready after 3.0 s" in result["msg"]


def test_refused_credentials_fail_at_once(monkeypatch):
    clients = FakeClients(
        [
            named(
                "UserException",
                "PermissionDeniedException",
                module="Glacier2",
                reason="Password check failed for 'root': [id=0]",
            )
        ]
    )
    kind, result = run({"host": "omero", "username": "root", "password": "bad"}, clients, monkeypatch)
    assert kind is Fail
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "check username and password" in result["msg"]
    assert "bad" not in json.dumps(result)


@pytest.mark.parametrize(("pattern", "kind"), [(r"^5\.6\.", Exit), (r"^5\.5\.", Fail)])
def test_expected_version(monkeypatch, pattern, kind):
    clients = FakeClients(["ok"])
    outcome, result = run({"host": "omero", "expected_version": pattern}, clients, monkeypatch)
    assert outcome is kind
    if kind is Fail:
        assert result["state"] == "misconfigured"
        assert "does not match expected_version" in result["msg"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"host": "ssl://omero"}, "bare host name"),
        ({"host": "omero", "port": 0}, "between 1 and 65535"),
        ({"host": "omero", "timeout": -1}, "timeout must be zero or more"),
        ({"host": "omero", "interval": 0}, "interval must be more than zero"),
        ({"host": "omero", "expected_version": "("}, "not a valid regular expression"),
        ({"host": "omero", "transport": "udp"}, "value of transport must be one of"),
    ],
)
def test_bad_options_fail_before_any_login(monkeypatch, args, fragment):
    clients = FakeClients([])
    kind, result = run(args, clients, monkeypatch)
    assert kind is Fail
    assert fragment in result["msg"]
    assert clients.made == []


def test_missing_omero_py_says_what_to_install(monkeypatch):
    monkeypatch.setattr(omero_utils, "import_omero", lambda: (None, "Traceback ...\nModuleNotFoundError: Ice"))
    kind, result = run({"host": "omero"})
    assert kind is Fail
    assert "omero-py (with zeroc-ice 3.6)" in result["msg"]
    assert "ModuleNotFoundError" in result["exception"]


def test_check_mode_still_probes(monkeypatch):
    clients = FakeClients(["ok"])
    kind, result = run({"host": "omero", "_ansible_check_mode": True}, clients, monkeypatch)
    assert kind is Exit
    assert result["ready"] is True
