# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ome.k8s.redmine_ready with a scripted HTTP client and a fake clock (real Redmine: tests/integration)."""

from __future__ import annotations

import json

import pytest
from module_harness import Exit, Fail, run_main

from ansible_collections.ome.k8s.plugins.module_utils.httpclient import Response, check_status
from ansible_collections.ome.k8s.plugins.module_utils.readiness import NotReady
from ansible_collections.ome.k8s.plugins.modules import redmine_ready

LOGIN_PAGE = (200, '<html><head><meta name="description" content="Redmine" /></head><div id="login-form"></div>')
OTHER_PAGE = (200, "<html><title>Welcome to nginx!</title></html>")
USER = (200, json.dumps({"user": {"id": 5, "login": "admin", "admin": True, "api_key": "k" * 40}}))
KEY = "a1" * 20


class Script:
    """Answers per path; a list of answers is consumed one per request (the last one repeats)."""

    def __init__(self, answers):
        self.answers = {path: list(value) if isinstance(value, list) else [value] for path, value in answers.items()}
        self.requests = []
        self.clients = []

    def client(self, validate_certs=True, ca_path=None):
        script = self

        class Client:
            def __init__(self):
                self.validate_certs = validate_certs
                self.ca_path = ca_path
                script.clients.append(self)

            def get(self, url, timeout, headers=None, expect=None):
                script.requests.append((url, dict(headers or {}), timeout))
                path = url.split("://", 1)[1].split("/", 1)[1]
                queue = script.answers[path]
                answer = queue.pop(0) if len(queue) > 1 else queue[0]
                if isinstance(answer, Exception):
                    raise answer
                status, body = answer
                return check_status(Response("GET", url, status, "", {}, body.encode()), expect)

        return Client()


def run(args, script, monkeypatch):
    monkeypatch.setattr(redmine_ready, "HttpClient", script.client)
    return run_main(redmine_ready, args)


def test_pages_ready_without_key(monkeypatch):
    script = Script({"login": LOGIN_PAGE})
    kind, result = run({"url": "https://redmine.example.org"}, script, monkeypatch)
    assert kind is Exit
    assert result["ready"] is True
    assert result["state"] == "ready"
    assert result["rest_api"] is None
    assert result["redmine_user"] is None
    assert [url for url, _headers, _timeout in script.requests] == ["https://redmine.example.org/login"]


def test_key_accepted_and_never_returned(monkeypatch):
    script = Script({"redmine/login": LOGIN_PAGE, "redmine/users/current.json": USER})
    kind, result = run(
        {"url": "https://h/redmine/", "api_key": KEY, "validate_certs": False, "ca_path": "/ca.pem"},
        script,
        monkeypatch,
    )
    assert kind is Exit
    assert result["rest_api"] is True
    assert result["redmine_user"] == {"id": 5, "login": "admin", "admin": True}
    assert "k" * 40 not in json.dumps(result)
    assert script.requests[1][1]["X-Redmine-API-Key"] == KEY
    assert script.clients[0].validate_certs is False
    assert script.clients[0].ca_path == "/ca.pem"


def test_down_then_up(monkeypatch):
    script = Script({"login": [NotReady("connection refused"), NotReady("HTTP 503"), LOGIN_PAGE]})
    kind, result = run({"url": "http://h", "timeout": 30}, script, monkeypatch)
    assert kind is Exit
    assert result["attempts"] == 3
    assert result["last_error"] == "HTTP 503"


def test_down_until_timeout(monkeypatch):
    script = Script({"login": NotReady("GET http://h/login: connection refused by h:80")})
    kind, result = run({"url": "http://h", "timeout": 5, "interval": 1}, script, monkeypatch)
    assert kind is Fail
    assert result["state"] == "not_ready"
    assert result["ready"] is False
    assert result["elapsed"] == pytest.approx(5.0)
    assert result["msg"].startswith("Redmine not ready after 5.0 s (")
    assert "connection refused by h:80" in result["msg"]
    # Attempts get the per-attempt timeout, capped by what is left of the 5 s.
    assert all(timeout <= 5 for _url, _headers, timeout in script.requests)


@pytest.mark.parametrize(
    ("api_answer", "words"),
    [
        ((401, ""), "HTTP 401, Redmine refused the API key"),
        ((403, ""), "HTTP 403, the Redmine REST API is disabled"),
        ((404, "<html>no</html>"), "HTTP 404"),
        ((200, "<html>not json</html>"), "expected JSON"),
        ((200, '{"users": []}'), "answered without a user"),
    ],
)
def test_rest_api_problems_fail_at_once(monkeypatch, api_answer, words):
    script = Script({"login": LOGIN_PAGE, "users/current.json": api_answer})
    kind, result = run({"url": "http://h", "api_key": KEY, "timeout": 300}, script, monkeypatch)
    assert kind is Fail
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert words in result["msg"]
    assert result["msg"].startswith("Redmine misconfigured: ")
    assert KEY not in json.dumps(result)


def test_page_that_is_not_redmine_is_misconfigured(monkeypatch):
    script = Script({"login": OTHER_PAGE})
    kind, result = run({"url": "http://h"}, script, monkeypatch)
    assert kind is Fail
    assert "not with Redmine's login page" in result["msg"]
    assert "Welcome to nginx" in result["msg"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"url": "redmine.example.org"}, "url 'redmine.example.org' must start with http:// or https://"),
        ({"url": "https://"}, "has no host name"),
        ({"url": "http://h", "timeout": -5}, "timeout must be zero or more seconds"),
        ({"url": "http://h", "interval": 0}, "interval must be more than zero seconds"),
    ],
)
def test_bad_options_fail_before_any_request(monkeypatch, args, words):
    script = Script({"login": LOGIN_PAGE})
    kind, result = run(args, script, monkeypatch)
    assert kind is Fail
    assert result["msg"].startswith("invalid options: ")
    assert words in result["msg"]
    assert script.requests == []


@pytest.mark.parametrize(
    ("text", "is_redmine"),
    [
        (LOGIN_PAGE[1], True),
        ('<form id="login-form" action="/login">', True),
        (OTHER_PAGE[1], False),
        ("", False),
    ],
)
def test_looks_like_redmine(text, is_redmine):
    assert redmine_ready.looks_like_redmine(text) is is_redmine
