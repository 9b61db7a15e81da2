"""ome.k8s.redmine_ready against a real Redmine (Debian's package, WEBrick), run by FQCN through ansible."""

from __future__ import annotations

import contextlib

import pytest
from servers import after_module_starts, free_port, run_module, run_modules
from servers.tls import NginxTlsProxy, make_self_signed

MODULE = "ome.k8s.redmine_ready"

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def rest_api(server, enabled):
    server.set_rest_api(enabled)
    try:
        yield
    finally:
        server.set_rest_api(True)


def test_pages_only_without_key(redmine_server):
    result = run_module(MODULE, dict(url=redmine_server.url, timeout=10))
    assert not result["failed"], result
    assert result["ready"] is True
    assert result["state"] == "ready"
    assert result["attempts"] == 1
    assert result["rest_api"] is None
    assert result["redmine_user"] is None


def test_pages_only_even_with_rest_off(redmine_server):
    with rest_api(redmine_server, False):
        result = run_module(MODULE, dict(url=redmine_server.url + "/", timeout=10))
    assert result["state"] == "ready"


def test_rest_on_and_good_key(redmine_server):
    result = run_module(MODULE, dict(url=redmine_server.url, api_key=redmine_server.api_key, timeout=10))
    assert result["state"] == "ready", result
    assert result["rest_api"] is True
    assert result["redmine_user"] == {"id": result["redmine_user"]["id"], "login": "omek8sprobe", "admin": False}
    assert redmine_server.api_key not in str(result)


def test_check_mode(redmine_server):
    result = run_module(
        MODULE, dict(url=redmine_server.url, api_key=redmine_server.api_key, timeout=10), check_mode=True
    )
    assert result["state"] == "ready"
    assert result["changed"] is False


def test_bad_key_is_refused_at_once(redmine_server):
    bad = "0" * 40
    result = run_module(MODULE, dict(url=redmine_server.url, api_key=bad, timeout=30))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "HTTP 401" in result["msg"]
    assert "refused the API key" in result["msg"]
    assert bad not in str(result)


def test_rest_off_is_misconfigured_and_says_so(redmine_server):
    with rest_api(redmine_server, False):
        result = run_module(MODULE, dict(url=redmine_server.url, api_key=redmine_server.api_key, timeout=30))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "HTTP 403" in result["msg"]
    assert "REST API is disabled" in result["msg"]


def test_wrong_prefix_is_misconfigured(redmine_server):
    result = run_module(MODULE, dict(url=redmine_server.url + "/redmine", timeout=30))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "HTTP 404" in result["msg"]
    assert "/redmine/login" in result["msg"]


def test_nothing_listening_is_not_ready_until_timeout():
    result = run_module(MODULE, dict(url="http://127.0.0.1:%d" % free_port(), timeout=2))
    assert result["failed"]
    assert result["state"] == "not_ready"
    assert 2 <= result["elapsed"] < 4
    assert result["attempts"] > 3
    assert "connection refused" in result["last_error"]


def test_unresolvable_name_is_not_ready_and_named():
    result = run_module(MODULE, dict(url="https://redmine.nonexistent.invalid", timeout=2))
    assert result["state"] == "not_ready"
    assert result["attempts"] > 1
    assert "redmine.nonexistent.invalid" in result["last_error"]
    assert "cannot resolve" in result["last_error"]


BAD_OPTIONS = [
    (dict(url="redmine.example.org"), "must start with http:// or https://"),
    (dict(url="ftp://redmine.example.org"), "must start with http:// or https://"),
    (dict(url="http:///login"), "has no host name"),
    (dict(url="http://redmine.invalid:99999/"), "Port out of range"),
    (dict(url="http://redmine.invalid/", timeout=-1), "timeout must be zero or more"),
    (dict(url="http://redmine.invalid/", attempt_timeout=0), "attempt_timeout must be more than zero"),
]


def test_bad_options_fail_before_any_request():
    results = run_modules(MODULE, [args for args, _message in BAD_OPTIONS])
    for (args, message), result in zip(BAD_OPTIONS, results):
        assert result["failed"], args
        assert message in result["msg"], (args, result["msg"])
        assert "attempts" not in result, args


def test_self_signed_certificate_with_validation_is_misconfigured(redmine_tls):
    result = run_module(MODULE, dict(url=redmine_tls.url, timeout=30))
    assert result["failed"]
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "certificate" in result["msg"]
    assert "validate_certs" in result["msg"]
    assert "ca_path" in result["msg"]


def test_self_signed_certificate_without_validation_is_ready(redmine_tls, redmine_server):
    result = run_module(
        MODULE, dict(url=redmine_tls.url, validate_certs=False, api_key=redmine_server.api_key, timeout=10)
    )
    assert result["state"] == "ready", result
    assert result["redmine_user"]["login"] == "omek8sprobe"


def test_self_signed_certificate_trusted_through_ca_path(redmine_tls):
    result = run_module(MODULE, dict(url=redmine_tls.url, ca_path=str(redmine_tls.cert), timeout=10))
    assert result["state"] == "ready", result


def test_plain_http_to_the_tls_port_is_misconfigured(redmine_tls):
    result = run_module(MODULE, dict(url=redmine_tls.url.replace("https:", "http:"), timeout=10))
    assert result["state"] == "misconfigured"
    assert "HTTP 400" in result["msg"]


@pytest.mark.slow
def test_proxy_appearing_half_way_is_detected_promptly(redmine_server, tmp_path):
    proxy = NginxTlsProxy(tmp_path, redmine_server.port, *make_self_signed(tmp_path, "localhost"))
    thread, times = after_module_starts(MODULE, lambda: proxy.start(wait=False), delay=2)
    try:
        result = run_module(MODULE, dict(url=proxy.url, validate_certs=False, timeout=60, interval=0.5))
        thread.join()
    finally:
        proxy.stop()
    assert result["state"] == "ready", result
    assert result["attempts"] > 2
    assert "connection refused" in result["last_error"]
    assert times["module_gone"] - times["action_done"] < 2.0, times
