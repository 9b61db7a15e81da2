# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP helper: URL checks, status and transport-error classification, and a real loopback server."""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import URLError

import pytest

from ansible_collections.ome.k8s.plugins.module_utils import httpclient as h
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

URL = "https://redmine.example.org/redmine/login"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://redmine.example.org", None),
        ("http://127.0.0.1:3000/redmine/", None),
        ("http://[::1]:8080/", None),
        ("", "url must not be empty"),
        (None, "url must not be empty"),
        ("redmine.example.org", "must start with http:// or https://"),
        ("localhost:3000", "must start with http:// or https://"),
        ("ftp://example.org/", "must start with http:// or https://"),
        ("https://", "has no host name"),
        ("http:///login", "has no host name"),
        ("http://example.org:0/", "outside 1-65535"),
        ("http://example.org:70000/", "is not a valid URL"),
        ("http://example.org:http/", "is not a valid URL"),
        ("http://example.org/#top", "must not contain a #fragment"),
        # Sent as they are, these fail on every attempt: refuse them before waiting.
        ("https://omero.example.org/my path/", "contains a space or control character"),
        ("https://omero.example.org/\tx", "contains a space or control character"),
        ("https://omero.example.org/a%20b", None),
    ],
)
def test_check_url(url, message):
    if message is None:
        assert h.check_url(url) is None
    else:
        assert message in h.check_url(url)


def test_check_url_names_the_option():
    assert h.check_url("nohost", option="web_url").startswith("web_url ")


@pytest.mark.parametrize(
    ("base", "path", "joined"),
    [
        ("https://h", "login", "https://h/login"),
        ("https://h/", "/login", "https://h/login"),
        ("https://h/redmine", "login", "https://h/redmine/login"),
        ("https://h/redmine/", "users/current.json", "https://h/redmine/users/current.json"),
        ("http://h:8080/a/b", "/api/v0/", "http://h:8080/a/b/api/v0/"),
    ],
)
def test_join_url_keeps_the_prefix(base, path, joined):
    assert h.join_url(base, path) == joined


def response(status, body=b"", content_type="text/html; charset=utf-8"):
    return h.Response("GET", URL, status, "Reason", {"Content-Type": content_type}, body)


@pytest.mark.parametrize(
    ("status", "expect", "outcome"),
    [
        (200, None, None),
        (204, None, None),
        (401, (200, 401), None),
        (500, None, NotReady),
        (502, None, NotReady),
        (503, (200, 401), NotReady),
        (429, None, NotReady),
        (408, None, NotReady),
        (404, None, Misconfigured),
        (401, None, Misconfigured),
        (403, (200,), Misconfigured),
        (302, None, Misconfigured),
        (404, (404,), None),
    ],
)
def test_check_status(status, expect, outcome):
    answer = response(status, b"<html>error page</html>")
    if outcome is None:
        assert h.check_status(answer, expect) is answer
    else:
        with pytest.raises(outcome) as caught:
            h.check_status(answer, expect)
        assert "HTTP %d" % status in str(caught.value)
        assert URL in str(caught.value)


def test_404_message_points_at_the_prefix():
    with pytest.raises(Misconfigured, match="check the URL and its path prefix"):
        h.check_status(response(404))


def test_response_text_json_and_excerpt():
    answer = response(200, '{"user": "é"}'.encode("latin-1"), "application/json; charset=latin-1")
    assert answer.text == '{"user": "é"}'
    assert answer.json() == {"user": "é"}
    long_page = response(200, b"<p>" + b"x " * 500 + b"</p>")
    assert len(long_page.excerpt()) == h.BODY_EXCERPT + 3
    with pytest.raises(Misconfigured, match="expected JSON, got text/html"):
        response(200, b"<html>login</html>").json()


@pytest.mark.parametrize(
    ("error", "outcome", "words"),
    [
        (
            URLError(ConnectionRefusedError(111, "Connection refused")),
            NotReady,
            "connection refused by redmine.example.org:443",
        ),
        (
            URLError(socket.gaierror(-2, "Name or service not known")),
            NotReady,
            "cannot resolve host name 'redmine.example.org'",
        ),
        (URLError(TimeoutError("timed out")), NotReady, "timed out"),
        (socket.timeout("timed out"), NotReady, "timed out"),
        (ConnectionResetError(104, "Connection reset by peer"), NotReady, "closed"),
        (http.client.RemoteDisconnected("Remote end closed connection"), NotReady, "closed the connection"),
        (http.client.BadStatusLine("garbage"), NotReady, "bad HTTP answer"),
        (URLError(OSError(113, "No route to host")), NotReady, "cannot reach"),
        (
            URLError(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")),
            Misconfigured,
            "does not speak TLS",
        ),
        (URLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol")), NotReady, "TLS handshake"),
        (URLError("unknown url type: gopher"), Misconfigured, "unknown url type"),
    ],
)
def test_classify_transport_errors(error, outcome, words):
    classified = h.classify_transport_error("GET", URL, error)
    assert isinstance(classified, outcome)
    assert words in str(classified)
    assert str(classified).startswith("GET %s: " % URL)


def test_certificate_failure_names_the_options():
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    classified = h.classify_transport_error("GET", URL, URLError(error))
    assert isinstance(classified, Misconfigured)
    assert "self-signed certificate" in str(classified)
    assert "validate_certs" in str(classified)
    assert "ca_path" in str(classified)


def test_unknown_errors_are_not_swallowed():
    error = RuntimeError("bug")
    assert h.classify_transport_error("GET", URL, error) is error


class Handler(BaseHTTPRequestHandler):
    """A loopback server with one path per behaviour the client must handle."""

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/json":
            self.send(200, json.dumps({"ok": True, "header": self.headers.get("X-Probe")}))
        elif self.path == "/set-cookie":
            self.send(200, "{}", headers=[("Set-Cookie", "session=abc123; Path=/")])
        elif self.path == "/echo-cookie":
            self.send(200, json.dumps({"cookie": self.headers.get("Cookie")}))
        elif self.path == "/busy":
            self.send(503, "<html>maintenance</html>", "text/html")
        elif self.path == "/redirect":
            self.send(302, "", headers=[("Location", "/json")])
        elif self.path == "/hang":
            threading.Event().wait(5)
        elif self.path == "/close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.send(404, "<html>not found</html>", "text/html")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length))
        self.send(201, json.dumps({"got": body, "type": self.headers.get("Content-Type")}))


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_get_json_with_headers(server):
    client = h.HttpClient(headers={"X-Probe": "default"})
    assert client.get(server + "/json", 5).json() == {"ok": True, "header": "default"}
    assert client.get(server + "/json", 5, headers={"X-Probe": "call"}).json()["header"] == "call"


def test_post_json(server):
    answer = h.HttpClient().post(server + "/post", 5, json_data={"a": 1}, expect=(201,))
    assert answer.status == 201
    assert answer.json() == {"got": {"a": 1}, "type": "application/json"}


def test_cookie_jar_is_shared_across_calls(server):
    client = h.HttpClient()
    client.get(server + "/set-cookie", 5)
    assert client.cookie("session") == "abc123"
    assert client.get(server + "/echo-cookie", 5).json() == {"cookie": "session=abc123"}
    assert client.cookie("nothing") is None


def test_redirects_are_followed_for_get(server):
    assert h.HttpClient().get(server + "/redirect", 5).json()["ok"] is True


def test_real_5xx_is_not_ready_and_quotes_the_page(server):
    with pytest.raises(NotReady, match=r"HTTP 503.*maintenance"):
        h.HttpClient().get(server + "/busy", 5)


def test_real_404_is_misconfigured(server):
    with pytest.raises(Misconfigured, match="HTTP 404"):
        h.HttpClient().get(server + "/nope", 5)


def test_real_timeout_is_not_ready(server):
    with pytest.raises(NotReady, match="timed out"):
        h.HttpClient().get(server + "/hang", 0.3)


def test_closed_without_answer_is_not_ready(server):
    with pytest.raises(NotReady, match="closed"):
        h.HttpClient().get(server + "/close", 5)


def test_refused_is_not_ready():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotReady, match=re.escape("connection refused by 127.0.0.1:%d" % port)):
        h.HttpClient().get("http://127.0.0.1:%d/" % port, 2)


def test_url_argument_spec_matches_the_doc_fragment():
    from ansible.module_utils.common.yaml import yaml_load

    from ansible_collections.ome.k8s.plugins.doc_fragments.url import ModuleDocFragment

    documented = yaml_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = h.url_argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"]
        assert documented[name].get("default") == option.get("default")
        assert documented[name].get("required", False) == option.get("required", False)


def test_tls_context_is_made_once_per_client(server, monkeypatch):
    made = []
    real = h.make_context

    def counting(**kwargs):
        made.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(h, "make_context", counting)
    client = h.HttpClient(validate_certs=False)
    for _attempt in range(3):
        client.get(server + "/json", 5)
    assert made == [{"cafile": None, "validate_certs": False}]


def test_unusable_ca_path_is_misconfigured(tmp_path):
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("this is not PEM\n")
    for path in (bad, tmp_path / "missing.pem"):
        with pytest.raises(Misconfigured, match="cannot be used as CA certificates"):
            h.HttpClient(ca_path=str(path)).get("https://127.0.0.1:1/", 1)
