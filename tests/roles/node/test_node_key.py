# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.node installs the Kubernetes repository key only when gpg reads the pinned fingerprint in it.

The role's kubernetes_key.yml runs for real on this machine (connection local), one inventory host per
case, with the keyring under a temporary directory: throwaway keys made here stand in for Release.key,
given as a controller file or downloaded from a local HTTP server.
"""

from __future__ import annotations

import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import pytest
from node_helpers import run_play

pytestmark = [
    pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is needed to make and read the test keys"),
    # The keyring is installed as root's file, as on a node.
    pytest.mark.skipif(os.geteuid() != 0, reason="the role installs the keyring owned by root"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def make_key(home: pathlib.Path, email: str) -> tuple[str, str]:
    """A new signing key in the GnuPG home `home`: (ASCII-armored public key, fingerprint)."""
    home.mkdir(mode=0o700, exist_ok=True)
    gpg = ["gpg", "--homedir", str(home), "--batch"]
    subprocess.run(
        [*gpg, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", f"test <{email}>", "ed25519",
         "sign", "1d"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    armored = subprocess.run([*gpg, "--armor", "--export", email], check=True, capture_output=True, text=True).stdout
    listing = subprocess.run([*gpg, "--with-colons", "--list-keys", email], check=True, capture_output=True, text=True)
    fingerprint = next(line.split(":")[9] for line in listing.stdout.splitlines() if line.startswith("fpr:"))
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    return armored, fingerprint


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    """Case name -> (message of the failed task or '', keyring path, the key that should be there)."""
    tmp = tmp_path_factory.mktemp("node-key")
    good, good_fpr = make_key(tmp / "gnupg-good", "good@example.invalid")
    other, other_fpr = make_key(tmp / "gnupg-other", "other@example.invalid")
    serve = tmp / "serve"
    serve.mkdir()
    (serve / "good.key").write_text(good)
    # Two keys in one file: the pinned one next to another is refused as well.
    (serve / "two.key").write_text(good + other)
    (tmp / "good.asc").write_text(good)
    (tmp / "other.asc").write_text(other)
    spaced = " ".join(good_fpr[i : i + 4] for i in range(0, 40, 4)).lower()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=serve))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_port
    pin = "node_kubernetes_apt_key_fingerprint"
    cases = {
        "file-pinned": {"node_kubernetes_apt_key_file": str(tmp / "good.asc"), pin: spaced},
        "file-other": {"node_kubernetes_apt_key_file": str(tmp / "other.asc"), pin: good_fpr},
        "url-pinned": {"node_kubernetes_apt_key_url": base + "/good.key", pin: good_fpr},
        "url-default-pin": {"node_kubernetes_apt_key_url": base + "/good.key"},
        "url-two-keys": {"node_kubernetes_apt_key_url": base + "/two.key", pin: good_fpr},
    }
    for name, case in cases.items():
        case["node_kubernetes_apt_keyring"] = str(tmp / name / "keyrings" / "kubernetes-apt-keyring.asc")
        (tmp / name / "keyrings").mkdir(parents=True)
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": cases,
        }
    }
    play = [
        {
            "name": "Install the repository key",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Verify and install the key",
                    "ansible.builtin.include_role": {"name": "ome.k8s.node", "tasks_from": "kubernetes_key"},
                }
            ],
        }
    ]
    try:
        run, report = run_play(tmp, inventory, play)
    finally:
        server.shutdown()
    assert sorted(report["stats"]) == sorted(cases), run.stderr
    failed = {name: "" for name in cases}
    for task in report["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            if result.get("failed"):
                failed[host] = " ".join(str(result.get("msg", "")).split())
    return {
        name: (failed[name], pathlib.Path(case["node_kubernetes_apt_keyring"]), good, good_fpr, other_fpr)
        for name, case in cases.items()
    }


@pytest.mark.parametrize("case", ["file-pinned", "url-pinned"])
def test_key_with_the_pinned_fingerprint_is_installed(outcome, case):
    message, keyring, good, _fpr, _other = outcome[case]
    assert message == ""
    assert keyring.read_text() == good
    assert oct(keyring.stat().st_mode & 0o777) == "0o644"
    # Nothing is left behind in the keyring directory (the key is staged elsewhere).
    assert [path.name for path in keyring.parent.iterdir()] == [keyring.name]


def test_controller_key_with_another_fingerprint_is_refused(outcome):
    message, keyring, _good, good_fpr, other_fpr = outcome["file-other"]
    assert f"has the fingerprint(s) {other_fpr}, not node_kubernetes_apt_key_fingerprint ({good_fpr})" in message
    assert "it was not installed" in message
    assert not keyring.exists()


def test_downloaded_key_must_carry_the_default_pin(outcome):
    """The default pin is the pkgs.k8s.io key: a server handing out another key is refused."""
    message, keyring, _good, good_fpr, _other = outcome["url-default-pin"]
    pkgs_k8s_io = "DE15B14486CD377B9E876E1A234654DA9A296436"
    assert f"has the fingerprint(s) {good_fpr}, not node_kubernetes_apt_key_fingerprint ({pkgs_k8s_io})" in message
    assert not keyring.exists()


def test_key_file_with_an_extra_key_is_refused(outcome):
    message, keyring, _good, good_fpr, other_fpr = outcome["url-two-keys"]
    assert f"has the fingerprint(s) {good_fpr}, {other_fpr}, not" in message
    assert not keyring.exists()
