"""The HTTP helper against real TLS: nginx with self-signed certificates in front of a loopback server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from servers import free_port
from servers.tls import NginxTlsProxy, make_self_signed

from ansible_collections.ome.k8s.plugins.module_utils.httpclient import HttpClient
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

pytestmark = pytest.mark.integration


class Hello(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def backend():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def tls_proxies(backend, tmp_path_factory):
    """Two nginx: one whose certificate covers 127.0.0.1, one whose certificate names another host."""
    good_dir = tmp_path_factory.mktemp("tls-good")
    other_dir = tmp_path_factory.mktemp("tls-other")
    good = NginxTlsProxy(good_dir, backend, *make_self_signed(good_dir, "localhost"))
    other = NginxTlsProxy(other_dir, backend, *make_self_signed(other_dir, "elsewhere.example", False))
    good.start()
    other.start()
    yield good, other
    good.stop()
    other.stop()


def test_self_signed_is_misconfigured_with_validation(tls_proxies):
    good, _other = tls_proxies
    with pytest.raises(Misconfigured) as caught:
        HttpClient().get(good.url + "/", 5)
    message = str(caught.value)
    assert "could not be verified" in message
    assert "self-signed certificate" in message
    assert "ca_path" in message
    assert "validate_certs" in message


def test_self_signed_accepted_without_validation_or_with_its_ca(tls_proxies):
    good, _other = tls_proxies
    assert HttpClient(validate_certs=False).get(good.url + "/", 5).json() == {"hello": "world"}
    assert HttpClient(ca_path=str(good.cert)).get(good.url + "/", 5).json() == {"hello": "world"}
    assert HttpClient(ca_path=str(good.cert)).get(good.url.replace("127.0.0.1", "localhost") + "/", 5).status == 200


def test_certificate_for_another_name_is_misconfigured(tls_proxies):
    _good, other = tls_proxies
    with pytest.raises(Misconfigured, match="could not be verified") as caught:
        HttpClient(ca_path=str(other.cert)).get(other.url + "/", 5)
    assert "127.0.0.1" in str(caught.value)


def test_https_to_a_plain_http_port_is_misconfigured(backend):
    with pytest.raises(Misconfigured, match="does not speak TLS"):
        HttpClient().get("https://127.0.0.1:%d/" % backend, 5)


def test_http_to_the_tls_port_is_misconfigured(tls_proxies):
    good, _other = tls_proxies
    with pytest.raises(Misconfigured, match="HTTP 400"):
        HttpClient().get(good.url.replace("https:", "http:") + "/", 5)


def test_tls_port_not_listening_is_not_ready():
    with pytest.raises(NotReady, match="connection refused"):
        HttpClient().get("https://127.0.0.1:%d/" % free_port(), 5)
