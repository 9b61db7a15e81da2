# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ome.k8s.omero_web_ready with a scripted HTTP client (real OMERO.web: tests/integration)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from module_harness import Exit, Fail, run_main

from ansible_collections.ome.k8s.plugins.module_utils import omero_web
from ansible_collections.ome.k8s.plugins.module_utils.httpclient import Response, check_status
from ansible_collections.ome.k8s.plugins.module_utils.readiness import NotReady
from ansible_collections.ome.k8s.plugins.modules import omero_web_ready

NOT_RESPONDING = (403, {"message": "Server is not responding, please contact administrator."})
LOGGED_IN = (200, {"success": True, "eventContext": {"userName": "monitor", "sessionUuid": "s"}})
SERVERS = [{"id": 1, "host": "omero-server", "port": 4064, "server": "omero"}]


class Script:
    """Per attempt: either an exception for the first request (web tier down) or the login answer."""

    def __init__(self, attempts):
        self.attempts = list(attempts)
        self.clients = []

    def client(self, validate_certs=True, ca_path=None):
        outcome = self.attempts.pop(0) if self.attempts else LOGGED_IN
        script = self

        class Client:
            def __init__(self):
                self.validate_certs = validate_certs
                self.ca_path = ca_path
                self.requests = []
                script.clients.append(self)

            def request(self, method, url, timeout, **kwargs):
                self.requests.append((method, url))
                if isinstance(outcome, Exception):
                    raise outcome
                path = urlsplit(url).path
                answers = {
                    "/api/": (200, {"data": [{"version": "0", "url:base": "http://in/api/v0/"}]}),
                    "/api/v0/": (
                        200,
                        {
                            "url:servers": "/api/v0/servers/",
                            "url:token": "/api/v0/token/",
                            "url:login": "/api/v0/login/",
                        },
                    ),
                    "/api/v0/servers/": (200, {"data": SERVERS}),
                    "/api/v0/token/": (200, {"data": "t"}),
                    "/api/v0/login/": outcome,
                }
                status, body = answers[path]
                response = Response(method, url, status, "", {}, json.dumps(body).encode())
                return check_status(response, kwargs.get("expect"))

            def get(self, url, timeout, **kwargs):
                return self.request("GET", url, timeout, **kwargs)

            def post(self, url, timeout, **kwargs):
                return self.request("POST", url, timeout, **kwargs)

        return Client()


def run(args, script, monkeypatch):
    monkeypatch.setattr(omero_web, "HttpClient", script.client)
    return run_main(omero_web_ready, args)


CREDENTIALS = {"username": "monitor", "password": "secret"}


def test_web_tier_ready_without_credentials(monkeypatch):
    script = Script([LOGGED_IN])
    kind, result = run({"url": "https://omero.example.org", "validate_certs": False}, script, monkeypatch)
    assert kind is Exit
    assert result["ready"] is True
    assert result["backend_checked"] is False
    assert result["servers"] == SERVERS
    assert result["api_versions"] == ["0"]
    assert "event_context" not in result
    assert script.clients[0].validate_certs is False
    assert [method for method, _unused in script.clients[0].requests] == ["GET", "GET", "GET"]


def test_backend_comes_up_after_web(monkeypatch):
    script = Script(
        [NotReady("GET https://omero.example.org/api/: connection refused"), NOT_RESPONDING, NOT_RESPONDING, LOGGED_IN]
    )
    kind, result = run({"url": "https://omero.example.org", **CREDENTIALS, "timeout": 60}, script, monkeypatch)
    assert kind is Exit
    assert result["attempts"] == 4
    assert result["backend_checked"] is True
    assert result["event_context"] == {"userName": "monitor"}
    assert "Server is not responding" in result["last_error"]


def test_backend_never_comes_up(monkeypatch):
    script = Script([NOT_RESPONDING] * 1000)
    kind, result = run({"url": "https://omero.example.org", **CREDENTIALS, "timeout": 2}, script, monkeypatch)
    assert kind is Fail
    assert result["state"] == "not_ready"
    assert "cannot reach OMERO.server omero-server:4064" in result["msg"]
    assert result["elapsed"] == pytest.approx(2.0)
    assert "secret" not in json.dumps(result)


def test_refused_credentials_fail_at_once(monkeypatch):
    refused = (403, {"message": "Connection not available, please check your user name and password."})
    script = Script([refused, LOGGED_IN])
    kind, result = run({"url": "https://omero.example.org", **CREDENTIALS}, script, monkeypatch)
    assert kind is Fail
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "please check your user name and password" in result["msg"]


def test_expected_servers_mismatch_fails_at_once(monkeypatch):
    script = Script([LOGGED_IN])
    kind, result = run(
        {"url": "https://omero.example.org", "expected_servers": ["omero-server:4063"]}, script, monkeypatch
    )
    assert kind is Fail
    assert result["state"] == "misconfigured"
    assert "omero=omero-server:4064" in result["msg"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"url": "omero.example.org"}, "must start with http:// or https://"),
        ({"url": "https://omero.example.org", "username": "u"}, "parameters are required together"),
        ({"url": "https://omero.example.org", "server_id": 0}, "server_id must be 1 or more"),
        ({"url": "https://omero.example.org", "timeout": -5}, "timeout must be zero or more"),
        ({"url": "https://omero.example.org", "expected_servers": [""]}, "empty entries"),
    ],
)
def test_bad_options_fail_before_any_request(monkeypatch, args, fragment):
    script = Script([])
    kind, result = run(args, script, monkeypatch)
    assert kind is Fail
    assert fragment in result["msg"]
    assert script.clients == []
