# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply mode of ome.k8s.kube_api against a stand-in API server: no Secret value in any output, at any verbosity."""

from __future__ import annotations

import base64

import harness
import pytest
from fake_kube_api import FakeKubeAPI

PLAYBOOK = "tests/apps/playbooks/kube_api_secrets_apply.yml"
STORED = "stored-s3cr3t-value"
APPLIED = "applied-s3cr3t-value"


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["-vvv"]], ids=["quiet", "v", "vvv"])
def test_no_secret_value_in_the_output(tmp_path, monkeypatch, verbosity):
    # kubernetes.core caches API discovery under TMPDIR by server address: a fresh one for each stand-in.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with FakeKubeAPI() as api:
        stored = base64.b64encode(STORED.encode()).decode()
        api.put(
            "/api/v1/namespaces/demo/secrets/creds",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "creds", "namespace": "demo"},
                "data": {"password": stored},
            },
        )
        extra = {
            "ome_k8s_render_dir": "",
            "ome_k8s_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig")),
            "kube_api_test_value": APPLIED,
        }
        proc = harness.run_playbook(PLAYBOOK, tmp_path, extra_vars=extra, args=verbosity)
        applied = api.objects.get("/api/v1/namespaces/demo/secrets/applied")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    # The calls did happen: the caller saw the Secret's keys and the Secret was applied.
    assert "KUBE_API_TEST keys=password" in output
    assert applied["stringData"] == {"password": APPLIED}
    for value in (STORED, APPLIED):
        assert value not in output
        assert base64.b64encode(value.encode()).decode() not in output


VERSION_PLAYBOOK = "tests/apps/playbooks/kube_api_secret_version.yml"


def test_secret_version_changes_with_the_secrets_content_only(tmp_path, monkeypatch):
    # The roles put kube_api_secret_version on the pod templates of what reads the Secret at start: a changed
    # password must change it (the pods restart), the same or a kept one must not (no restart on every run).
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with FakeKubeAPI() as api:
        extra = {
            "ome_k8s_render_dir": "",
            "ome_k8s_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig")),
            "kube_api_test_first": STORED,
            "kube_api_test_second": APPLIED,
        }
        proc = harness.run_playbook(VERSION_PLAYBOOK, tmp_path, extra_vars=extra, args=["-v"])
        stored = api.objects["/api/v1/namespaces/demo/secrets/creds"]
        writes = [request for request in api.writes if request[1].endswith("/secrets/creds")]
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    first, kept, changed = output.split("KUBE_API_TEST versions=", 1)[1].split()[0].strip("\"'").split(",")
    assert first == kept != changed
    # The Secret that already held its value and labels was not written again: two applies, not three.
    assert len(writes) == 2, writes
    assert stored["metadata"]["resourceVersion"] == changed
    assert base64.b64decode(stored["data"]["password"]).decode() == APPLIED
    for value in (STORED, APPLIED):
        assert value not in output
