# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.render_finalize: stale files of this run's directories only, SUMMARY.md from the calls' notes."""

from __future__ import annotations

from unittest import mock

from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.ome.k8s.plugins.action import k8s_objects, render_finalize
from ansible_collections.ome.k8s.plugins.module_utils import k8s_render

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "demo"}}
ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "web", "namespace": "demo"},
    "spec": {"hostnames": ["demo.example.org"], "parentRefs": [{"name": "gw", "namespace": "edge"}]},
}
ROLE = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"}}


def action(module, args, check=False):
    task = Task()
    task.args = args
    task.check_mode = check
    plugin = module.ActionModule(
        task, mock.MagicMock(), PlayContext(), loader=None, templar=None, shared_loader_obj=None
    )
    return plugin.run(task_vars={})


def seed(root):
    for rel in ("demo/deployment-gone.yaml", "demo/notes.txt", "other/deployment-kept.yaml"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("kind: Deployment\n")
    action(k8s_objects, {"objects": [CONFIGMAP, ROUTE], "render_dir": str(root)})
    action(k8s_objects, {"objects": [ROLE], "render_dir": str(root)})


def test_removes_stale_files_of_this_runs_directories_and_writes_the_summary(tmp_path):
    seed(tmp_path)
    result = action(render_finalize, {"render_dir": str(tmp_path)})
    assert result["changed"] is True
    assert result["files"] == {"written": ["SUMMARY.md"], "removed": ["demo/deployment-gone.yaml"]}
    assert not (tmp_path / "demo/deployment-gone.yaml").exists()
    assert (tmp_path / "other/deployment-kept.yaml").exists() and (tmp_path / "demo/notes.txt").exists()
    assert not (tmp_path / k8s_render.LEDGER).exists()
    assert result["objects_per_namespace"] == {"_cluster": 1, "demo": 2}
    assert result["exposed"] == ["HTTPRoute demo.example.org via Gateway edge/gw to no backend"]
    assert result["not_schema_validated"] == ["demo/httproute-web.yaml"]
    text = (tmp_path / "SUMMARY.md").read_text()
    assert "3 objects in 2 directories (_cluster, demo)" in text
    assert "| 1.35.0 | valid | 2 | 1 |" in text and "| 1.37.0 | valid | 2 | 1 |" in text
    assert "| demo/httproute-web.yaml | gateway.networking.k8s.io/v1 HTTPRoute |" in text


def test_a_second_run_changes_nothing(tmp_path):
    seed(tmp_path)
    action(render_finalize, {"render_dir": str(tmp_path)})
    summary = (tmp_path / "SUMMARY.md").read_bytes()
    seed(tmp_path)
    (tmp_path / "demo/deployment-gone.yaml").unlink()
    result = action(render_finalize, {"render_dir": str(tmp_path)})
    assert result["changed"] is False
    assert (tmp_path / "SUMMARY.md").read_bytes() == summary


def test_check_mode_removes_and_writes_nothing(tmp_path):
    seed(tmp_path)
    result = action(render_finalize, {"render_dir": str(tmp_path)}, check=True)
    assert result["files"]["removed"] == ["demo/deployment-gone.yaml"]
    assert (tmp_path / "demo/deployment-gone.yaml").exists()
    assert not (tmp_path / "SUMMARY.md").exists() and (tmp_path / k8s_render.LEDGER).exists()


def test_nothing_rendered_is_nothing_to_do(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo/deployment-kept.yaml").write_text("x\n")
    result = action(render_finalize, {"render_dir": str(tmp_path)})
    assert result["changed"] is False and result["summary_file"] is None
    assert (tmp_path / "demo/deployment-kept.yaml").exists()
