# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the deployment safety tests: a recording Kubernetes API stand-in and kubeconfigs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fake_kube_api import FakeKubeAPI, write_kubeconfig


@pytest.fixture
def kube_api():
    """``kube_api(cluster_name="lochy")`` starts a recording API stand-in; returns (api, kubeconfig path)."""
    started = []

    def start(tmp_path: Path, **kwargs):
        api = FakeKubeAPI(**kwargs).__enter__()
        started.append(api)
        return api, api.kubeconfig(tmp_path / "kubeconfig")

    yield start
    for api in started:
        api.__exit__(None, None, None)


@pytest.fixture
def dead_kubeconfig(tmp_path):
    """A kubeconfig naming a local port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return write_kubeconfig(tmp_path / "dead-kubeconfig", "http://127.0.0.1:%d" % port)
