# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for the Kubernetes API, enough for kubernetes.core's k8s_info and server-side apply.

It serves discovery for the few core and batch kinds the tests use, GET of one object or a list, PATCH
(server-side apply) that stores the object, with a resourceVersion that changes only with its content, and
DELETE that removes it. Objects live in memory, by path.
It records every request, so that a test can show a refusal sent none (or no write), and it holds what
the cluster identity check reads: kube-system's Namespace and kubeadm's ConfigMap `kubeadm-config`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

RESOURCES = {
    "v1": [("secrets", "Secret"), ("configmaps", "ConfigMap"), ("persistentvolumeclaims", "PersistentVolumeClaim")],
    "batch/v1": [("jobs", "Job")],
    "networking.k8s.io/v1": [("networkpolicies", "NetworkPolicy")],
}
CLUSTER_SCOPED = {"v1": [("namespaces", "Namespace")]}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _resource_list(group_version):
    resources = [
        {"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind, "verbs": VERBS}
        for namespaced, table in ((True, RESOURCES), (False, CLUSTER_SCOPED))
        for plural, kind in table.get(group_version, [])
    ]
    return {"kind": "APIResourceList", "groupVersion": group_version, "resources": resources}


DISCOVERY = {
    "/version": {"major": "1", "minor": "35", "gitVersion": "v1.35.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {
        "kind": "APIGroupList",
        "groups": [
            {
                "name": group,
                "versions": [{"groupVersion": group + "/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": group + "/v1", "version": "v1"},
            }
            for group in ("batch", "networking.k8s.io")
        ],
    },
    "/api/v1": _resource_list("v1"),
    "/apis/batch/v1": _resource_list("batch/v1"),
    "/apis/networking.k8s.io/v1": _resource_list("networking.k8s.io/v1"),
}


KUBEADM_CONFIG = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config"
KUBE_SYSTEM = "/api/v1/namespaces/kube-system"


def _content(obj: dict) -> dict:
    """An object without the fields the API server sets."""
    metadata = {
        k: v for k, v in obj.get("metadata", {}).items() if k not in ("uid", "resourceVersion", "managedFields")
    }
    return {**obj, "metadata": metadata}


class FakeKubeAPI:
    """Start with ``with FakeKubeAPI() as api:``; ``api.kubeconfig(path)`` writes a kubeconfig for it.

    ``cluster_name`` is the clusterName kubeadm recorded (None: no kubeadm-config, a cluster not built by
    kubeadm); ``api.requests`` lists every (method, path) received, ``api.writes`` those that are not reads.
    """

    def __init__(
        self, cluster_name: str | None = "lochy", kube_system_uid: str = "6c1f6d3e-0000-4000-8000-000000000001"
    ):
        self.objects: dict[str, dict] = {}
        self.last_version = 0
        self.requests: list[tuple[str, str]] = []
        self.put(
            KUBE_SYSTEM,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system", "uid": kube_system_uid}},
        )
        if cluster_name is not None:
            configuration = (
                "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: %s\n" % cluster_name
            )
            self.put(
                KUBEADM_CONFIG,
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                    "data": {"ClusterConfiguration": configuration},
                },
            )
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _not_found(self, path):
                status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound"}
                self._send(404, {**status, "code": 404, "message": path + " not found"})

            def _path(self):
                path = self.path.split("?", 1)[0]
                api.requests.append((self.command, path))
                return path

            def do_GET(self):
                path = self._path()
                if path in DISCOVERY:
                    return self._send(200, DISCOVERY[path])
                if path in api.objects:
                    return self._send(200, api.objects[path])
                kinds = {plural: kind for pairs in RESOURCES.values() for plural, kind in pairs}
                plural = path.rsplit("/", 1)[-1]
                if "/namespaces/" in path and plural in kinds:
                    items = [obj for key, obj in sorted(api.objects.items()) if key.startswith(path + "/")]
                    return self._send(200, {"kind": kinds[plural] + "List", "metadata": {}, "items": items})
                return self._not_found(path)

            def do_PATCH(self):
                path = self._path()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                obj = yaml.safe_load(body)
                # As the API server does: other content gets a new resourceVersion, the same content keeps it.
                stored = api.objects.get(path)
                if stored is not None and _content(stored) == _content(obj):
                    version = stored["metadata"].get("resourceVersion", "1")
                else:
                    api.last_version += 1
                    version = str(api.last_version)
                obj.setdefault("metadata", {}).update({"uid": "0", "resourceVersion": version})
                api.objects[path] = obj
                self._send(200, obj)

            def do_DELETE(self):
                path = self._path()
                obj = api.objects.pop(path, None)
                if obj is None:
                    return self._not_found(path)
                return self._send(200, obj)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [request for request in self.requests if request[0] != "GET"]

    def put(self, api_path, obj):
        """Store ``obj`` at ``api_path`` (e.g. /api/v1/namespaces/demo/secrets/creds)."""
        self.objects[api_path] = obj

    def kubeconfig(self, path):
        return write_kubeconfig(path, self.url)

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def write_kubeconfig(path, server):
    """Write a kubeconfig for ``server`` (with a token user) to ``path``; return ``path``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "fake", "user": {"token": "fake-token"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
