"""A real Redmine (Debian's redmine 5.0.x package) with a sqlite database, served by WEBrick on loopback.

Install it with tools/test-servers/install-redmine.sh. Debian's Redmine runs "instances" found under
/usr/share/redmine/instances (= /var/lib/redmine)/<name>; the fixture links a temporary directory there
under a unique name, so writing that link needs root. Migrating a new database takes about 20 s, so the
migrated database (with a test user and its API key) is kept in the pytest cache and copied per session.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from . import free_port, stop_process, wait_until
from .tls import NginxTlsProxy, make_self_signed

REDMINE_ROOT = Path("/usr/share/redmine")
INSTANCES = REDMINE_ROOT / "instances"
INSTALL_SCRIPT = "tools/test-servers/install-redmine.sh"
TEST_LOGIN = "omek8sprobe"

SETUP_RB = """
Setting.rest_api_enabled = '1'
user = User.find_by_login('%(login)s') || User.new(firstname: 'Probe', lastname: 'Test', mail: 'probe@example.invalid')
user.login = '%(login)s'
user.password = user.password_confirmation = '%(password)s'
user.status = User::STATUS_ACTIVE
user.save!
File.write('%(keyfile)s', user.api_key)
"""


def redmine_version():
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "redmine"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


class RedmineServer:
    def __init__(self, base, port=None):
        self.base = Path(base)
        self.port = port or free_port()
        self.name = "omek8stest-%s" % secrets.token_hex(4)
        self.link = INSTANCES / self.name
        self.db = self.base / "db.sqlite3"
        self.api_key = None
        self.process = None
        self.url = "http://127.0.0.1:%d" % self.port

    def env(self):
        env = dict(os.environ)
        env.update(
            BUNDLE_GEMFILE=str(self.base / "Gemfile"),
            REDMINE_INSTANCE=self.name,
            RAILS_ENV="production",
            # WEBrick logs every request to stderr; the log goes to a file in the instance.
        )
        return env

    def prepare(self, cache_dir):
        for sub in ("config", "tmp/cache", "log", "files", "public"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "config" / "database.yml").write_text(
            "production:\n  adapter: sqlite3\n  database: %s\n  encoding: utf8\n" % self.db
        )
        (self.base / "config" / "secret_key.txt").write_text(secrets.token_hex(32))
        # Debian's Gemfile has no application server; WEBrick (ruby-webrick) is added through our own Gemfile.
        (self.base / "Gemfile").write_text('eval_gemfile "%s"\ngem "webrick"\n' % (REDMINE_ROOT / "Gemfile"))
        self.link.symlink_to(self.base)

        cached_db = cache_dir / "db.sqlite3"
        cached_key = cache_dir / "api_key"
        if not (cached_db.exists() and cached_key.exists()):
            self._rails("rake", "db:migrate")
            keyfile = self.base / "api_key"
            script = self.base / "setup.rb"
            script.write_text(SETUP_RB % dict(login=TEST_LOGIN, password=secrets.token_urlsafe(16), keyfile=keyfile))
            self._rails("ruby", "bin/rails", "runner", str(script))
            shutil.copyfile(self.db, cached_db)
            shutil.copyfile(keyfile, cached_key)
        else:
            shutil.copyfile(cached_db, self.db)
        self.api_key = cached_key.read_text().strip()
        return self

    def _rails(self, *args):
        proc = subprocess.run(
            list(args), cwd=REDMINE_ROOT, env=self.env(), capture_output=True, text=True, timeout=600, check=False
        )
        if proc.returncode:
            raise RuntimeError("%s failed: %s" % (" ".join(args), (proc.stdout + proc.stderr)[-3000:]))

    def start(self, timeout=180):
        # The child keeps its own copy of the log descriptor.
        with open(self.base / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    "ruby",
                    "bin/rails",
                    "server",
                    "-u",
                    "webrick",
                    "-e",
                    "production",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-P",
                    str(self.base / "tmp" / "server.pid"),
                ],
                cwd=REDMINE_ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._answers, timeout, "Redmine to answer on %s/login" % self.url, interval=0.5)
        return self

    def _answers(self):
        if self.process.poll() is not None:
            raise RuntimeError(
                "Redmine exited with %s: %s" % (self.process.returncode, (self.base / "server.log").read_text()[-3000:])
            )
        try:
            with urllib.request.urlopen(self.url + "/login", timeout=2) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def set_rest_api(self, enabled):
        """Switch the REST API on or off as an administrator would (the settings row; Redmine re-reads it)."""
        stamp = (datetime.datetime.now() + datetime.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        with sqlite3.connect(self.db) as conn:
            updated = conn.execute(
                "UPDATE settings SET value = ?, updated_on = ? WHERE name = 'rest_api_enabled'",
                ("1" if enabled else "0", stamp),
            ).rowcount
        if updated != 1:
            raise RuntimeError("no rest_api_enabled row in the Redmine settings table")
        time.sleep(0.05)

    def stop(self):
        stop_process(self.process)
        if self.link.is_symlink():
            self.link.unlink()


def cache_name():
    """Name of the pytest cache directory holding the migrated database for this Redmine version."""
    return "ome-k8s-redmine-%s" % redmine_version().replace(":", "_")


def _require_redmine():
    if redmine_version() is None or not (REDMINE_ROOT / "bin" / "rails").exists():
        pytest.skip("Redmine is not installed; run %s" % INSTALL_SCRIPT)
    if not os.access(os.path.realpath(INSTANCES), os.W_OK):
        pytest.skip("cannot link a Redmine instance into %s (needs root)" % os.path.realpath(INSTANCES))


@pytest.fixture(scope="session")
def redmine_server(tmp_path_factory, request):
    """A running Redmine with the REST API on and a user whose key is `redmine_server.api_key`."""
    _require_redmine()
    cache_dir = Path(request.config.cache.mkdir(cache_name()))
    server = RedmineServer(tmp_path_factory.mktemp("redmine"))
    try:
        server.prepare(cache_dir).start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redmine_tls(redmine_server, tmp_path_factory):
    """nginx terminating TLS with a self-signed certificate in front of `redmine_server`."""
    base = tmp_path_factory.mktemp("redmine-tls")
    cert, key = make_self_signed(base, "localhost")
    proxy = NginxTlsProxy(base, redmine_server.port, cert, key)
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()
