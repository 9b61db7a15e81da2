# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.omero_server_ready through ansible, with omero-py's real Ice client against the fake Glacier2."""

from __future__ import annotations

import time

import pytest
from servers import free_port, wait_until
from servers.omero_web import (
    FAKE_VERSION,
    TEST_PASSWORD,
    TEST_USER,
    finish_omero_module,
    run_omero_module,
    start_omero_module,
)

pytestmark = pytest.mark.integration

MODULE = "ome.k8s.omero_server_ready"


def run(args, python):
    return run_omero_module(MODULE, args, python=python)


def test_guest_login_over_ssl_and_session_closed(omero_python, ice_server_factory):
    server = ice_server_factory()
    result = run({"host": "127.0.0.1", "port": server.ssl_port, "timeout": 20}, omero_python)
    assert result["failed"] is False, result
    assert result["ready"] is True
    assert result["state"] == "ready"
    assert result["attempts"] == 1
    assert result["version"] == FAKE_VERSION
    assert result["endpoint"] == "ssl://127.0.0.1:%d" % server.ssl_port
    assert result["changed"] is False
    logins = server.events("login")
    assert [(item["user"], item["ok"]) for item in logins] == [("guest", True)]
    # The module closes what it opens: one session created, one destroyed.
    assert len(server.events("session-created")) == 1
    assert len(server.events("session-destroyed")) == 1


def test_check_mode_logs_in_too(omero_python, ice_server_factory):
    server = ice_server_factory()
    result = run_omero_module(
        MODULE, {"host": "127.0.0.1", "port": server.ssl_port, "timeout": 20}, python=omero_python, check_mode=True
    )
    assert result["ready"] is True, result
    assert result["changed"] is False
    assert len(server.events("session-created")) == 1


def test_account_over_tcp_with_expected_version(omero_python, ice_server_factory):
    server = ice_server_factory(ssl_port=0)
    result = run(
        {
            "host": "127.0.0.1",
            "port": server.tcp_port,
            "transport": "tcp",
            "username": TEST_USER,
            "password": TEST_PASSWORD,
            "expected_version": r"^5\.6\.",
            "timeout": 20,
        },
        omero_python,
    )
    assert result["ready"] is True, result
    assert result["endpoint"] == "tcp://127.0.0.1:%d" % server.tcp_port
    assert server.events("login")[0]["user"] == TEST_USER


def test_wss_transport(omero_python, ice_server_factory):
    server = ice_server_factory(tcp_port=0, ssl_port=0, wss_port=free_port())
    result = run({"host": "127.0.0.1", "port": server.wss_port, "transport": "wss", "timeout": 20}, omero_python)
    assert result["ready"] is True, result
    assert result["endpoint"].startswith("wss://")


def test_refused_password_fails_at_once(omero_python, ice_server_factory):
    server = ice_server_factory()
    started = time.monotonic()
    result = run(
        {"host": "127.0.0.1", "port": server.ssl_port, "username": TEST_USER, "password": "wrong", "timeout": 60},
        omero_python,
    )
    assert result["failed"] is True
    assert result["state"] == "misconfigured"
    assert result["attempts"] == 1
    assert "Password check failed for 'monitor'" in result["msg"]
    assert "check username and password" in result["msg"]
    assert time.monotonic() - started < 30
    assert "wrong" not in result["msg"]


def test_version_mismatch_fails_at_once(omero_python, ice_server_factory):
    server = ice_server_factory(version="5.5.1-ice36")
    result = run(
        {"host": "127.0.0.1", "port": server.ssl_port, "expected_version": r"^5\.6\.", "timeout": 60}, omero_python
    )
    assert result["state"] == "misconfigured"
    assert "'5.5.1-ice36' does not match expected_version" in result["msg"]
    # Even a failed check closes its session.
    assert len(server.events("session-destroyed")) == 1


def test_startup_answers_are_retried_until_ready(omero_python, ice_server_factory):
    server = ice_server_factory(phases=("verifier-down:1.5", "manager-down:1", "initializing:1"))
    result = run({"host": "127.0.0.1", "port": server.ssl_port, "timeout": 60, "interval": 0.2}, omero_python)
    assert result["ready"] is True, result
    assert result["attempts"] > 3
    assert result["elapsed"] >= 3.0
    reasons = {item.get("why") for item in server.events("login") if not item["ok"]}
    assert reasons == {"verifier-down", "manager-down", "initializing"}
    # The last failure before success was OMERO.blitz still initializing.
    assert "Server not fully initialized" in result["last_error"]


def test_still_starting_at_the_deadline(omero_python, ice_server_factory):
    server = ice_server_factory(phases=("manager-down",))
    result = run({"host": "127.0.0.1", "port": server.ssl_port, "timeout": 3, "interval": 0.5}, omero_python)
    assert result["state"] == "not_ready"
    assert "CannotCreateSessionException: internal server error" in result["msg"]
    assert result["elapsed"] == pytest.approx(3.0, abs=1.5)


def test_nothing_listening_until_timeout(omero_python):
    port = free_port()
    result = run({"host": "127.0.0.1", "port": port, "timeout": 2, "interval": 0.5}, omero_python)
    assert result["state"] == "not_ready"
    assert result["attempts"] >= 3
    assert "ConnectionRefusedException" in result["msg"]
    assert 2.0 <= result["elapsed"] < 5.0


def test_server_appears_half_way(omero_python, ice_server_factory, knock_listener):
    server = ice_server_factory(start=False)
    knocks = knock_listener(server.ssl_port)
    process = start_omero_module(
        MODULE, {"host": "127.0.0.1", "port": server.ssl_port, "timeout": 120, "interval": 0.5}, python=omero_python
    )
    # The module is polling (it knocked on the port); now nothing listens for a while, then the server starts.
    knocks.wait_for_knock()
    knocks.close()
    time.sleep(1.5)
    server.start()
    up_at = time.monotonic()
    result = finish_omero_module(process)
    assert result["ready"] is True, result
    assert result["attempts"] >= 3
    assert "ConnectionRefusedException" in result["last_error"]
    # Noticed promptly: within about one interval of the server answering.
    assert time.monotonic() - up_at < 3.0


def test_server_dies_mid_wait_and_comes_back(omero_python, ice_server_factory):
    first = ice_server_factory(phases=("manager-down",))
    process = start_omero_module(
        MODULE, {"host": "127.0.0.1", "port": first.ssl_port, "timeout": 120, "interval": 0.3}, python=omero_python
    )
    wait_until(lambda: len(first.events("login")) >= 2, 120, "the module to try logging in")
    first.kill()
    time.sleep(1.5)
    second = ice_server_factory(tcp_port=first.tcp_port, ssl_port=first.ssl_port)
    result = finish_omero_module(process)
    assert result["ready"] is True, result
    assert result["attempts"] > 3
    assert all(not item["ok"] for item in first.events("login"))
    assert [item["ok"] for item in second.events("login")] == [True]


def test_host_that_does_not_resolve(omero_python):
    result = run({"host": "omero-server.invalid", "timeout": 2, "interval": 0.5}, omero_python)
    assert result["state"] == "not_ready"
    assert "DNSException" in result["msg"]


def test_ssl_client_on_a_tcp_port_does_not_wait(omero_python, ice_server_factory):
    server = ice_server_factory(ssl_port=0)
    result = run({"host": "127.0.0.1", "port": server.tcp_port, "transport": "ssl", "timeout": 10}, omero_python)
    assert result["failed"] is True
    assert result["ready"] is False
    assert "ssl://127.0.0.1:%d" % server.tcp_port in result["msg"]


def test_missing_omero_py_says_what_to_install():
    # The controller's Python has no omero-py: the module must say what to install.
    result = run_omero_module(MODULE, {"host": "127.0.0.1", "timeout": 1})
    assert result["failed"] is True
    assert "omero-py (with zeroc-ice 3.6)" in result["msg"]


def test_bad_options_fail_before_connecting(omero_python):
    result = run({"host": "ssl://127.0.0.1", "timeout": 1}, omero_python)
    assert result["failed"] is True
    assert "bare host name" in result["msg"]
    assert "attempts" not in result
