# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the deployment safety tests: a recording Kubernetes API stand-in and kubeconfigs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from fake_kube_api import FakeKubeAPI


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
    path = tmp_path / "dead-kubeconfig"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "dead", "cluster": {"server": "http://127.0.0.1:%d" % port}}],
        "users": [{"name": "dead", "user": {"token": "unused"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "dead"}}],
        "current-context": "dead",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
