# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OMERO.web JSON API probe against a scripted HTTP client (real servers: tests/integration/readiness)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.ome.k8s.plugins.module_utils import omero_web as ow
from ansible_collections.ome.k8s.plugins.module_utils.httpclient import Response, check_status
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

SERVERS = [
    {"id": 1, "host": "omero-server", "port": 4064, "server": "omero"},
    {"id": 2, "host": "10.0.0.5", "port": 14064},
]


class FakeOmeroWeb:
    """Answers like OMERO.web's API; absolute URLs use the name OMERO.web sees behind the ingress."""

    def __init__(self, internal="http://omero-web.omero.svc:4080", prefix="", servers=None, login=None):
        self.internal = internal + prefix
        self.prefix = prefix
        self.servers = SERVERS if servers is None else servers
        self.login_answer = login or (
            200,
            {
                "success": True,
                "eventContext": {
                    "userName": "monitor",
                    "userId": 3,
                    "sessionUuid": "secret-uuid",
                    "sessionId": 9,
                    "isAdmin": False,
                },
            },
        )
        self.requests = []

    def routes(self):
        api = self.prefix + "/api/"
        return {
            ("GET", api): (200, {"data": [{"version": "0", "url:base": self.internal + "/api/v0/"}]}),
            ("GET", api + "v0/"): (
                200,
                {
                    "url:servers": self.internal + "/api/v0/servers/",
                    "url:token": self.internal + "/api/v0/token/",
                    "url:login": self.internal + "/api/v0/login/",
                },
            ),
            ("GET", api + "v0/servers/"): (200, {"data": self.servers}),
            ("GET", api + "v0/token/"): (200, {"data": "csrf-token"}),
            ("POST", api + "v0/login/"): self.login_answer,
        }

    def request(self, method, url, timeout, data=None, **kwargs):
        assert timeout >= ow.MIN_REQUEST_TIMEOUT
        self.requests.append((method, url, data, dict(kwargs.get("headers") or {})))
        parts = urlsplit(url)
        status, body = self.routes().get((method, parts.path), (404, "<h1>Not Found</h1>"))
        text = body if isinstance(body, str) else json.dumps(body)
        response = Response(method, url, status, "", {"Content-Type": "application/json"}, text.encode())
        return check_status(response, kwargs.get("expect"))

    def get(self, url, timeout, **kwargs):
        return self.request("GET", url, timeout, **kwargs)

    def post(self, url, timeout, **kwargs):
        return self.request("POST", url, timeout, **kwargs)


def probe(fake, url="https://omero.example.org", **kwargs):
    return ow.probe_web(url, 5.0, client=fake, **kwargs)


def test_web_tier_only_without_credentials():
    fake = FakeOmeroWeb()
    facts = probe(fake)
    assert facts == {"api_versions": ["0"], "servers": SERVERS, "backend_checked": False}
    assert [request[0] for request in fake.requests] == ["GET", "GET", "GET"]
    # Every request went to the URL the caller gave, not to the internal name OMERO.web reported.
    assert all(request[1].startswith("https://omero.example.org/api/") for request in fake.requests)


def test_login_reaches_the_backend_and_hides_session_keys():
    fake = FakeOmeroWeb()
    facts = probe(fake, username="monitor", password="p&ss word", server_id=1)
    assert facts["backend_checked"] is True
    assert facts["event_context"] == {"userName": "monitor", "userId": 3, "isAdmin": False}
    method, url, data, headers = fake.requests[-1]
    assert (method, url) == ("POST", "https://omero.example.org/api/v0/login/")
    assert parse_qs(data) == {"server": ["1"], "username": ["monitor"], "password": ["p&ss word"]}
    assert headers["X-CSRFToken"] == "csrf-token"
    assert headers["Referer"] == url


def test_prefix_is_kept_when_omero_web_knows_it_and_restored_when_it_does_not():
    knows = FakeOmeroWeb(prefix="/omero")
    probe(knows, url="https://example.org/omero/")
    assert knows.requests[1][1] == "https://example.org/omero/api/v0/"
    # An ingress that strips /omero: OMERO.web reports /api/v0/..., the caller's prefix is put back.
    assert ow.rebase("http://internal/api/v0/servers/", "https://example.org/omero") == (
        "https://example.org/omero/api/v0/servers/"
    )
    assert ow.rebase("/api/v0/?a=1", "https://example.org") == "https://example.org/api/v0/?a=1"


def test_server_not_responding_is_not_ready():
    message = "Server is not responding, please contact administrator."
    fake = FakeOmeroWeb(login=(403, {"message": message}))
    with pytest.raises(NotReady, match=r"cannot reach OMERO.server omero-server:4064: Server is not responding"):
        probe(fake, username="monitor", password="x")


@pytest.mark.parametrize(
    "message",
    [
        "Connection not available, please check your user name and password.",
        "Client version does not match server, please contact administrator.",
        "Server: Select a valid choice. 3 is not one of the available choices.",
    ],
)
def test_other_login_refusals_are_misconfigured(message):
    fake = FakeOmeroWeb(login=(403, {"message": message}))
    with pytest.raises(Misconfigured, match="refused the login"):
        probe(fake, username="monitor", password="x")


def test_csrf_refusal_page_is_misconfigured():
    fake = FakeOmeroWeb(login=(403, "<html><h1>Forbidden (403)</h1>CSRF verification failed.</html>"))
    with pytest.raises(Misconfigured, match=r"CSRF or proxy refusal.*CSRF verification failed"):
        probe(fake, username="monitor", password="x")


def test_login_500_is_not_ready():
    fake = FakeOmeroWeb(login=(502, "<html>Bad Gateway</html>"))
    with pytest.raises(NotReady, match="502"):
        probe(fake, username="monitor", password="x")


def test_unknown_server_id_fails_before_login():
    fake = FakeOmeroWeb()
    with pytest.raises(Misconfigured, match=r"server_id 3 is not in OMERO.web's server list \(1: omero=omero-server"):
        probe(fake, username="monitor", password="x", server_id=3)
    assert all(request[0] == "GET" for request in fake.requests)


@pytest.mark.parametrize(
    ("expected", "ok"),
    [
        (["omero"], True),
        (["omero-server"], True),
        (["omero-server:4064"], True),
        (["10.0.0.5:14064", "omero"], True),
        (["omero-server:4063"], False),
        (["other"], False),
        (["omero", "other"], False),
    ],
)
def test_expected_servers(expected, ok):
    fake = FakeOmeroWeb()
    if ok:
        probe(fake, expected_servers=expected)
    else:
        listed = r"its omero.web.server_list has: omero=omero-server:4064, 10.0.0.5:14064"
        with pytest.raises(Misconfigured, match=listed):
            probe(fake, expected_servers=expected)


def test_not_omero_web_is_misconfigured():
    fake = FakeOmeroWeb()
    fake.routes = lambda: {("GET", "/api/"): (200, {"version": "something else"})}
    with pytest.raises(Misconfigured, match=r"is this OMERO.web's JSON API"):
        probe(fake)


def test_missing_api_is_misconfigured():
    fake = FakeOmeroWeb()
    fake.routes = dict
    with pytest.raises(Misconfigured, match="HTTP 404"):
        probe(fake)


def test_newest_api_version_is_used():
    fake = FakeOmeroWeb()
    routes = fake.routes()
    routes[("GET", "/api/")] = (
        200,
        {"data": [{"version": "0", "url:base": "http://x/api/v0/"}, {"version": "1", "url:base": "http://x/api/v1/"}]},
    )
    routes[("GET", "/api/v1/")] = routes[("GET", "/api/v0/")]
    fake.routes = lambda: routes
    assert probe(fake)["api_versions"] == ["0", "1"]
    assert fake.requests[1][1] == "https://omero.example.org/api/v1/"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"server_id": 0}, "server_id must be 1 or more"),
        ({"username": "u"}, "given together"),
        ({"password": "p"}, "given together"),
        ({"expected_servers": ["omero", " "]}, "empty entries"),
        ({"expected_servers": ["omero:99999"]}, "outside 1-65535"),
    ],
)
def test_check_options(params, fragment):
    good = dict(server_id=1, username=None, password=None, expected_servers=None)
    good.update(params)
    assert fragment in ow.check_options(good)
    assert ow.check_options(dict(server_id=1, username="u", password="p", expected_servers=["a:1", "b"])) is None


def test_deadline_shares_the_budget():
    now = [100.0]
    deadline = ow.Deadline(2.0, clock=lambda: now[0])
    assert deadline.left() == 2.0
    now[0] = 101.5
    assert deadline.left() == 0.5
    now[0] = 103.0
    assert deadline.left() == ow.MIN_REQUEST_TIMEOUT
