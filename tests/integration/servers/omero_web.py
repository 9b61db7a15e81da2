# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OMERO.web (the real one, from PyPI) and the fake Glacier2 server, for the OMERO readiness tests.

Both run from the Python 3.10 venv that tools/test-servers/omero-venv.sh builds. OMERO.web refuses to
run as root, so it runs as the plain user that script creates, with its OMERODIR (config.xml, logs) in
a temporary directory that user owns, served by gunicorn on a free loopback port. Its
omero.web.server_list points at whatever port the test gives: a fake Glacier2 server
(ice_glacier2.py) or a closed port ("no OMERO.server behind it").
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from . import REPO, VENV_BIN, ansible_env, ansible_result, free_port, port_open, stop_process, wait_until
from .ice_glacier2 import IceGlacier2Server
from .tls import NginxTlsProxy, make_self_signed

OMERO_VENV = Path(os.environ.get("OME_K8S_OMERO_VENV", "/opt/ome-k8s-tests/omero-venv"))
OMERO_PYTHON = OMERO_VENV / "bin" / "python"
OMERO_USER = os.environ.get("OME_K8S_OMERO_USER", "omerotest")
VENV_SCRIPT = REPO / "tools" / "test-servers" / "omero-venv.sh"
# The only account the fake Glacier2 server knows besides guest/guest.
TEST_USER, TEST_PASSWORD = "monitor", "monitor-test-password-3141"
FAKE_VERSION = "5.6.14-ice36"


def run_omero_module(fqcn, args, python=None, timeout=300, check_mode=False):
    """Run a module by FQCN on localhost; `python` sets ansible_python_interpreter (the OMERO venv)."""
    ansible = shutil.which("ansible", path=str(VENV_BIN)) or "ansible"
    cmd = [ansible, "localhost", "-m", fqcn, "-a", json.dumps(args)]
    if python:
        cmd += ["-e", "ansible_python_interpreter=%s" % python]
    if check_mode:
        cmd.append("--check")
    proc = subprocess.run(cmd, env=ansible_env(), capture_output=True, text=True, timeout=timeout, check=False)
    return ansible_result(proc)


def start_omero_module(fqcn, args, python=None):
    """Start the module in the background; finish with `finish_omero_module(process)`."""
    ansible = shutil.which("ansible", path=str(VENV_BIN)) or "ansible"
    cmd = [ansible, "localhost", "-m", fqcn, "-a", json.dumps(args)]
    if python:
        cmd += ["-e", "ansible_python_interpreter=%s" % python]
    return subprocess.Popen(cmd, env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_omero_module(process, timeout=300):
    stdout, stderr = process.communicate(timeout=timeout)
    return ansible_result(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))


class KnockListener:
    """Accepts and at once closes every connection on a loopback port, counting them.

    Stands in for a server that is not up yet, so that a test can see the client knock before it
    starts the real server on the same port (`close()` first).
    """

    def __init__(self, port):
        self.port = port
        self.count = 0
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopped.is_set():
            try:
                conn, _unused = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.count += 1
            conn.close()

    def wait_for_knock(self, timeout=120):
        wait_until(lambda: self.count > 0, timeout, "a client to connect to port %d" % self.port, interval=0.05)

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def knock_listener():
    """`listen(port) -> KnockListener`; closed after the test if still open."""
    listeners = []

    def listen(port):
        listener = KnockListener(port)
        listeners.append(listener)
        return listener

    yield listen
    for listener in listeners:
        listener.close()


@pytest.fixture(scope="session")
def omero_python():
    """The OMERO venv's python, built (or checked, when already built) by tools/test-servers/omero-venv.sh."""
    if os.geteuid() != 0:
        check = subprocess.run(["bash", str(VENV_SCRIPT), "--check"], capture_output=True, check=False)
        if check.returncode != 0:
            pytest.skip("the OMERO venv is not built and building it needs root: run %s as root" % VENV_SCRIPT)
        return OMERO_PYTHON
    proc = subprocess.run(["bash", str(VENV_SCRIPT)], capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode == 3:
        pytest.skip("no Python 3.10 for zeroc-ice 3.6.5: %s" % proc.stderr.strip()[-500:])
    if proc.returncode != 0:
        pytest.fail("%s failed (rc %s):\n%s" % (VENV_SCRIPT, proc.returncode, proc.stderr[-3000:]))
    return OMERO_PYTHON


@pytest.fixture(scope="session")
def ice_certificate(tmp_path_factory):
    """A self-signed certificate for the fake Glacier2 server's ssl and wss endpoints."""
    return make_self_signed(tmp_path_factory.mktemp("ice-tls"), "localhost")


class OmeroWebServer:
    """OMERO.web under gunicorn as the plain test user; `server_list` is [[host, port, name], ...]."""

    def __init__(self, python, server_list, port=None):
        self.python = Path(python)
        self.server_list = server_list
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.base = Path(tempfile.mkdtemp(prefix="ome-k8s-omeroweb-"))
        self.process = None
        self.user = pwd.getpwnam(OMERO_USER) if os.geteuid() == 0 else None

    def _as_user(self, *cmd):
        env = [
            "env",
            "-i",
            "PATH=%s:/usr/bin:/bin" % self.python.parent,
            "HOME=%s" % self.base,
            "OMERODIR=%s" % self.base,
            "LANG=C.UTF-8",
        ]
        if self.user is not None:
            return ["runuser", "-u", OMERO_USER, "--", *env, *cmd]
        return [*env, *cmd]

    def configure(self):
        settings = {
            "omero.web.server_list": json.dumps(self.server_list),
            "omero.web.secret_key": "ome-k8s-tests-not-a-secret",
            "omero.web.upgrades.url": "",
            "omero.web.debug": "false",
            "omero.web.wsgi_workers": "1",
        }
        (self.base / "etc" / "grid").mkdir(parents=True, exist_ok=True)
        (self.base / "var" / "log").mkdir(parents=True, exist_ok=True)
        config = self.base / "web.properties"
        config.write_text("".join("%s=%s\n" % item for item in settings.items()))
        if self.user is not None:
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        subprocess.run(
            self._as_user(str(self.python.parent / "omero"), "config", "load", str(config)),
            check=True,
            capture_output=True,
            timeout=120,
        )
        return self

    def start(self, wait=True, timeout=120):
        log = open(self.base / "gunicorn.log", "ab")  # noqa: SIM115  (the child keeps it)
        self.process = subprocess.Popen(
            self._as_user(
                str(self.python.parent / "gunicorn"),
                "--bind",
                "127.0.0.1:%d" % self.port,
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--access-logfile",
                str(self.base / "access.log"),
                "omeroweb.wsgi:application",
            ),
            stdout=log,
            stderr=log,
            cwd=self.base,
        )
        log.close()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=120):
        def answering():
            if self.process.poll() is not None:
                raise RuntimeError("OMERO.web exited: %s" % self.log_text())
            return port_open(self.port)

        wait_until(answering, timeout, "OMERO.web to listen on %d" % self.port, interval=0.05)

    def requests_seen(self):
        """How many requests gunicorn has logged so far."""
        try:
            return len((self.base / "access.log").read_text().splitlines())
        except OSError:
            return 0

    def log_text(self):
        texts = []
        for path in (self.base / "gunicorn.log", self.base / "var" / "log" / "OMEROweb.log"):
            with contextlib.suppress(OSError):
                texts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(texts)

    def stop(self):
        stop_process(self.process)
        wait_until(lambda: not port_open(self.port), 20, "OMERO.web on %d to stop" % self.port)

    def kill(self):
        """SIGKILL gunicorn and its worker (runuser's children), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
            self.process.kill()
            self.process.wait(20)
        # The worker is a grandchild; it dies with its master, give it a moment.
        wait_until(lambda: not port_open(self.port), 20, "OMERO.web on %d to die" % self.port)

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def omero_web_factory(omero_python):
    """`start(server_list, wait=True) -> OmeroWebServer`; every server started is stopped afterwards."""
    started = []

    def start(server_list, wait=True, port=None):
        server = OmeroWebServer(omero_python, server_list, port=port).configure()
        started.append(server)
        return server.start(wait=wait)

    yield start
    for server in started:
        server.stop()
        server.cleanup()


@pytest.fixture
def ice_server_factory(omero_python, ice_certificate, tmp_path_factory):
    """`start(**options) -> IceGlacier2Server` (see ice_glacier2.py); stopped afterwards.

    Defaults: a tcp and an ssl endpoint on free ports, users guest/guest and the monitor account.
    """
    started = []
    cert, key = ice_certificate

    def make(start=True, **options):
        options.setdefault("tcp_port", free_port())
        options.setdefault("ssl_port", free_port())
        options.setdefault("users", ("guest:guest", "%s:%s" % (TEST_USER, TEST_PASSWORD)))
        options.setdefault("version", FAKE_VERSION)
        server = IceGlacier2Server(
            omero_python, tmp_path_factory.mktemp("glacier2"), certfile=cert, keyfile=key, **options
        )
        started.append(server)
        return server.start() if start else server

    yield make
    for server in started:
        server.stop()


# Like an ingress that terminates TLS and passes the request on under the Service's own name, without
# X-Forwarded-Proto: OMERO.web then builds its API URLs as http://omero-web.internal:4080/..., a scheme
# and a host the client must not follow.
INGRESS_LIKE_HEADERS = {"Host": "omero-web.internal:4080"}


@pytest.fixture
def omero_web_tls(omero_web_factory, tmp_path_factory):
    """OMERO.web (server list: a closed port) behind nginx terminating TLS with a self-signed certificate.

    nginx forwards with Host omero-web.internal:4080 and no X-Forwarded-Proto, as an ingress may.
    """
    web = omero_web_factory([["127.0.0.1", free_port(), "nowhere"]])
    base = tmp_path_factory.mktemp("omero-web-tls")
    cert, key = make_self_signed(base, "localhost")
    proxy = NginxTlsProxy(base, web.port, cert, key, headers=INGRESS_LIKE_HEADERS)
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
