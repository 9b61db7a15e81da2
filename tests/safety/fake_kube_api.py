# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kubernetes API server stand-in that answers discovery and the identity reads, and records every request.

Enough for kubernetes.core's k8s_info to read kube-system's ConfigMap kubeadm-config and Namespace; any other
request (a write above all) is recorded and refused, so a test can assert that a refusal changed nothing.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = [
    {
        "name": "configmaps",
        "singularName": "configmap",
        "namespaced": True,
        "kind": "ConfigMap",
        "verbs": ["get", "list"],
    },
    {
        "name": "namespaces",
        "singularName": "namespace",
        "namespaced": False,
        "kind": "Namespace",
        "verbs": ["get", "list"],
    },
]


class FakeKubeAPI:
    """``with FakeKubeAPI(cluster_name="lochy") as api: ...``; ``api.requests`` lists (method, path)."""

    def __init__(
        self, cluster_name: str | None = "lochy", kube_system_uid: str = "6c1f6d3e-0000-4000-8000-000000000001"
    ):
        self.cluster_name = cluster_name
        self.kube_system_uid = kube_system_uid
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]

    def answer(self, path: str) -> tuple[int, dict]:
        config_map = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config"
        if path == "/version":
            return 200, {"major": "1", "minor": "35", "gitVersion": "v1.35.0"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if path == "/api/v1":
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": RESOURCES}
        if path == config_map and self.cluster_name is not None:
            cluster_configuration = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
            cluster_configuration += "clusterName: %s\n" % self.cluster_name
            return 200, {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                "data": {"ClusterConfiguration": cluster_configuration},
            }
        if path == "/api/v1/namespaces/kube-system":
            return 200, {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "kube-system", "uid": self.kube_system_uid},
            }
        return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self):
                path = self.path.split("?", 1)[0]
                api.requests.append((self.command, path))
                status, body = api.answer(path) if self.command == "GET" else (405, {"kind": "Status", "code": 405})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

            def log_message(self, *args):
                pass

        return Handler


def kubeconfig(server: str) -> str:
    """A kubeconfig (YAML text) for ``server`` with a token user."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": server}}],
            "users": [{"name": "u", "user": {"token": "test"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "c",
        }
    )
