# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the deployment safety tests: a recording Kubernetes API stand-in and kubeconfigs."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_kube_api import FakeKubeAPI, kubeconfig


@pytest.fixture
def kube_api():
    """``kube_api(cluster_name="lochy")`` starts a recording API stand-in; returns (api, kubeconfig path)."""
    started = []

    def start(tmp_path: Path, **kwargs):
        api = FakeKubeAPI(**kwargs).__enter__()
        started.append(api)
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig(api.url))
        return api, path

    yield start
    for api in started:
        api.__exit__(None, None, None)


@pytest.fixture
def dead_kubeconfig(tmp_path):
    """A kubeconfig naming a local port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "dead-kubeconfig"
    path.write_text(kubeconfig("http://127.0.0.1:%d" % port))
    return path
