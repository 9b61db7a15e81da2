# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.omero_web_ready through ansible against the real OMERO.web (gunicorn, as a plain user)."""

from __future__ import annotations

import json
import ssl
import time
import urllib.request

import pytest
from servers import free_port, wait_until
from servers.omero_web import (
    TEST_PASSWORD,
    TEST_USER,
    OmeroWebServer,
    finish_omero_module,
    run_omero_module,
    start_omero_module,
)

pytestmark = pytest.mark.integration

MODULE = "ome.k8s.omero_web_ready"
CREDENTIALS = {"username": TEST_USER, "password": TEST_PASSWORD}


def api_answers(url):
    try:
        with urllib.request.urlopen(url + "/api/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def run(args):
    return run_omero_module(MODULE, args)


@pytest.fixture(scope="module")
def web_without_backend(omero_python):
    """OMERO.web whose only OMERO.server is a closed port (shared: starting OMERO.web takes seconds)."""
    closed = free_port()
    web = OmeroWebServer(omero_python, [["127.0.0.1", closed, "nowhere"]]).configure()
    web.closed_port = closed
    try:
        yield web.start()
    finally:
        web.stop()
        web.cleanup()


def test_web_tier_ready_without_credentials(web_without_backend):
    result = run({"url": web_without_backend.url, "timeout": 30})
    assert result["failed"] is False, result
    assert result["ready"] is True
    assert result["backend_checked"] is False
    assert result["api_versions"] == ["0"]
    assert result["servers"] == [
        {"id": 1, "host": "127.0.0.1", "port": web_without_backend.closed_port, "server": "nowhere"}
    ]


def test_check_mode_probes_too(web_without_backend):
    result = run_omero_module(MODULE, {"url": web_without_backend.url, "timeout": 30}, check_mode=True)
    assert result["ready"] is True, result
    assert result["changed"] is False


def test_backend_not_ready_with_credentials(web_without_backend):
    result = run({"url": web_without_backend.url, **CREDENTIALS, "timeout": 4, "interval": 0.5})
    assert result["failed"] is True
    assert result["state"] == "not_ready"
    # OMERO.web's own wording when it cannot reach OMERO.server.
    assert "Server is not responding" in result["last_error"]
    assert "127.0.0.1:%d" % web_without_backend.closed_port in result["last_error"]
    assert result["attempts"] >= 2
    assert TEST_PASSWORD not in str(result)


def test_wrong_expected_servers_is_misconfigured(web_without_backend):
    result = run({"url": web_without_backend.url, "expected_servers": ["omero-server:4064"], "timeout": 60})
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "omero-server:4064" in result["msg"]
    assert "nowhere=127.0.0.1:%d" % web_without_backend.closed_port in result["msg"]


def test_matching_expected_servers(web_without_backend):
    result = run(
        {
            "url": web_without_backend.url,
            "timeout": 30,
            "expected_servers": ["nowhere", "127.0.0.1:%d" % web_without_backend.closed_port],
        }
    )
    assert result["ready"] is True, result


def test_unknown_server_id_is_misconfigured(web_without_backend):
    result = run({"url": web_without_backend.url, **CREDENTIALS, "server_id": 2, "timeout": 60})
    assert result["state"] == "misconfigured"
    assert "server_id 2 is not in OMERO.web's server list" in result["msg"]


def test_nothing_listening_until_timeout():
    result = run({"url": "http://127.0.0.1:%d" % free_port(), "timeout": 2, "interval": 0.5})
    assert result["state"] == "not_ready"
    assert "connection refused" in result["msg"]
    assert 2.0 <= result["elapsed"] < 5.0


def test_host_that_does_not_resolve():
    result = run({"url": "http://omero-web.invalid", "timeout": 2, "interval": 0.5})
    assert result["state"] == "not_ready"
    assert "omero-web.invalid" in result["msg"]


def test_web_appears_half_way(omero_web_factory, knock_listener):
    port = free_port()
    knocks = knock_listener(port)
    process = start_omero_module(MODULE, {"url": "http://127.0.0.1:%d" % port, "timeout": 180, "interval": 0.5})
    knocks.wait_for_knock()
    knocks.close()
    time.sleep(1.5)
    web = omero_web_factory([["127.0.0.1", free_port(), "nowhere"]], port=port)
    # Listening is not answering: Django loads OMERO.web's apps on the first request.
    wait_until(lambda: api_answers(web.url), 120, "OMERO.web to answer /api/")
    up_at = time.monotonic()
    result = finish_omero_module(process)
    assert result["ready"] is True, result
    assert result["attempts"] >= 3
    # OMERO.web takes a few seconds to import Django; until then the port refuses connections.
    assert "connection refused" in result["last_error"]
    # Noticed promptly: within about one interval of OMERO.web answering.
    assert time.monotonic() - up_at < 3.0


def test_web_dies_mid_wait(omero_web_factory):
    web = omero_web_factory([["127.0.0.1", free_port(), "nowhere"]])
    process = start_omero_module(MODULE, {"url": web.url, **CREDENTIALS, "timeout": 120, "interval": 0.5})
    wait_until(lambda: web.requests_seen() >= 4, 120, "the module to reach OMERO.web")
    web.kill()
    killed_at = time.monotonic()
    # The wait goes on (connection refused is retried) until its own deadline; stop it early here.
    time.sleep(2)
    assert process.poll() is None, "the module gave up when OMERO.web died"
    process.terminate()
    process.communicate(timeout=30)
    assert time.monotonic() - killed_at < 30


def test_login_through_omero_web_to_glacier2(omero_web_factory, ice_server_factory):
    ice = ice_server_factory()
    web = omero_web_factory([["127.0.0.1", ice.ssl_port, "fake"]])
    result = run({"url": web.url, **CREDENTIALS, "expected_servers": ["fake"], "timeout": 60})
    assert result["ready"] is True, result
    assert result["backend_checked"] is True
    assert result["event_context"]["userName"] == TEST_USER
    assert "sessionUuid" not in result["event_context"]
    assert any(item["user"] == TEST_USER and item["ok"] for item in ice.events("login"))


def test_refused_credentials_through_omero_web(omero_web_factory, ice_server_factory):
    ice = ice_server_factory()
    web = omero_web_factory([["127.0.0.1", ice.ssl_port, "fake"]])
    result = run({"url": web.url, "username": TEST_USER, "password": "wrong-password", "timeout": 60})
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "refused the login" in result["msg"]


def test_backend_appears_half_way(omero_web_factory, ice_server_factory, knock_listener):
    ice = ice_server_factory(start=False)
    web = omero_web_factory([["127.0.0.1", ice.ssl_port, "fake"]])
    knocks = knock_listener(ice.ssl_port)
    process = start_omero_module(MODULE, {"url": web.url, **CREDENTIALS, "timeout": 180, "interval": 0.5})
    # OMERO.web tried to reach its OMERO.server for the module's login; now start the server.
    knocks.wait_for_knock()
    knocks.close()
    time.sleep(1.5)
    ice.start()
    result = finish_omero_module(process)
    assert result["ready"] is True, result
    assert result["backend_checked"] is True
    assert "Server is not responding" in result["last_error"]


def test_tls_self_signed_needs_validate_certs_false(omero_web_tls):
    strict = run({"url": omero_web_tls.url, "timeout": 30})
    assert strict["state"] == "misconfigured"
    assert "could not be verified" in strict["msg"]
    relaxed = run({"url": omero_web_tls.url, "validate_certs": False, "timeout": 30})
    assert relaxed["ready"] is True, relaxed
    trusted = run({"url": omero_web_tls.url, "ca_path": str(omero_web_tls.cert), "timeout": 30})
    assert trusted["ready"] is True, trusted


def test_tls_login_stays_on_https(omero_web_tls):
    # Behind the TLS proxy OMERO.web builds its API URLs from the request it saw: http://, internal name ...
    context = ssl.create_default_context(cafile=str(omero_web_tls.cert))
    with urllib.request.urlopen(omero_web_tls.url + "/api/", timeout=30, context=context) as response:
        reported = json.loads(response.read())["data"][0]["url:base"]
    assert reported == "http://omero-web.internal:4080/api/v0/", reported
    # ... yet the module keeps talking https to the URL it was given (following those URLs would fail on the
    # name). OMERO.web's own answer proves that the token GET and the login POST got through.
    result = run({"url": omero_web_tls.url, "validate_certs": False, **CREDENTIALS, "timeout": 3})
    assert result["state"] == "not_ready", result
    assert "Server is not responding" in result["last_error"]
