# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.k8s_objects: one kubernetes.core.k8s run for the whole list, a diff per object, no Secret value out;
render mode writes validated files at once and notes them for render_finalize.

The module run is replaced by a recorder here; applying for real is shown by `make e2e` (tools/e2e/run.sh),
whose apps.yml runs, re-run and `--check --diff` go through this plugin. Render mode runs for real."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.ome.k8s.plugins.action import k8s_objects as ko
from ansible_collections.ome.k8s.plugins.module_utils import k8s_render

CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "demo"},
    "data": {"a": "1"},
}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "creds", "namespace": "demo"},
    "data": {"pw": "czNjcjN0"},
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}


def run(args, module_result, check=False):
    """The plugin's result for task arguments `args`, with kubernetes.core.k8s answering `module_result`."""
    task = Task()
    task.args = args
    task.check_mode = check
    action = ko.ActionModule(task, mock.MagicMock(), PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    with mock.patch.object(action, "_execute_module", return_value=module_result) as execute:
        result = action.run(task_vars={})
    return result, execute


def test_every_object_goes_to_one_module_run():
    answer = {
        "changed": True,
        "result": {"results": [{"changed": True, "method": "apply"}, {"changed": False, "method": "apply"}]},
    }
    result, execute = run({"objects": [NAMESPACE, CONFIGMAP], "kubeconfig": "/k", "wait": True}, answer)
    execute.assert_called_once()
    sent = execute.call_args.kwargs
    assert sent["module_name"] == "kubernetes.core.k8s"
    assert sent["module_args"]["definition"] == [NAMESPACE, CONFIGMAP]
    assert sent["module_args"]["server_side_apply"] == {"field_manager": "ome.k8s"}
    assert sent["module_args"]["kubeconfig"] == "/k" and sent["module_args"]["wait"] is True
    assert result["changed"] is True
    assert result["objects"] == [
        {"object": "Namespace/-/demo", "changed": True, "method": "apply"},
        {"object": "ConfigMap/demo/cfg", "changed": False, "method": "apply"},
    ]


def test_one_object_is_the_module_result_itself():
    result = run({"objects": [CONFIGMAP]}, {"changed": False, "method": "apply", "result": {"kind": "ConfigMap"}})[0]
    assert result["objects"] == [{"object": "ConfigMap/demo/cfg", "changed": False, "method": "apply"}]
    assert "diff" not in result


def test_each_objects_diff_is_shown_under_its_name_and_secret_values_are_not():
    before_secret = dict(SECRET, data={"pw": "b2xk"})
    answer = {
        "changed": True,
        "invocation": {"module_args": {"definition": [CONFIGMAP, SECRET]}},
        "result": {
            "results": [
                {
                    "changed": True,
                    "method": "apply",
                    "diff": {"before": dict(CONFIGMAP, data={"a": "0"}), "after": CONFIGMAP},
                },
                {"changed": True, "method": "apply", "diff": {"before": before_secret, "after": SECRET}},
            ]
        },
    }
    result = run({"objects": [CONFIGMAP, SECRET]}, answer)[0]
    assert [d["before_header"] for d in result["diff"]] == ["ConfigMap/demo/cfg", "Secret/demo/creds"]
    assert result["diff"][0]["before"]["data"] == {"a": "0"}
    assert result["diff"][1]["before"]["stringData"] == {"pw": k8s_render.REDACTED}
    assert result["diff"][1]["after"]["stringData"] == {"pw": k8s_render.REDACTED}
    assert "data" not in result["diff"][1]["after"]
    text = repr(result)
    assert "czNjcjN0" not in text and "b2xk" not in text
    assert "invocation" not in result


def test_a_failure_names_the_count_and_keeps_no_objects():
    answer = {
        "failed": True,
        "msg": "Failed to apply object: connection refused",
        "invocation": {"module_args": {"definition": [SECRET]}},
    }
    result = run({"objects": [CONFIGMAP, SECRET]}, answer)[0]
    assert result["failed"] is True
    assert result["msg"] == "Applying 2 object(s) failed: Failed to apply object: connection refused"
    assert "czNjcjN0" not in repr(result)


def test_a_failure_whose_message_is_in_the_captured_error_keeps_it():
    # ansible-core >= 2.19: the raw result of a module's fail_json carries its message in the captured error.
    unreachable = "HTTPSConnectionPool(host='10.0.0.1', port=6443): Max retries exceeded"
    answer = {"failed": True, "exception": SimpleNamespace(event=SimpleNamespace(msg=unreachable))}
    result, _unused = run({"objects": [CONFIGMAP]}, answer)
    assert result["failed"] is True
    assert result["msg"] == "Applying 1 object(s) failed: " + unreachable


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "object 0 (ConfigMap/-/x) has no apiVersion"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "object 0 (ConfigMap/-/?) has no metadata.name"),
    ],
)
@pytest.mark.parametrize("render", [False, True])
def test_objects_without_identity_are_refused_before_any_call(bad, message, render, tmp_path):
    args = {"objects": [bad], "render_dir": str(tmp_path)} if render else {"objects": [bad]}
    result, execute = run(args, {})
    execute.assert_not_called()
    assert result["failed"] is True and message in result["msg"]
    assert "need apiVersion, kind and metadata.name" in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_nothing_to_apply_calls_nothing():
    result, execute = run({"objects": []}, {})
    execute.assert_not_called()
    assert result["changed"] is False


def render(tmp_path, objects, check=False, **args):
    result, execute = run({"objects": objects, "render_dir": str(tmp_path), **args}, {}, check=check)
    execute.assert_not_called()
    return result


def test_render_writes_each_file_at_once_and_notes_the_call(tmp_path):
    result = render(tmp_path, [NAMESPACE, CONFIGMAP])
    assert result["changed"] is True
    assert result["objects"] == [
        {"object": "Namespace/-/demo", "changed": True, "path": "demo/namespace-demo.yaml"},
        {"object": "ConfigMap/demo/cfg", "changed": True, "path": "demo/configmap-cfg.yaml"},
    ]
    assert (tmp_path / "demo/configmap-cfg.yaml").read_text() == (
        "apiVersion: v1\ndata:\n  a: '1'\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: demo\n"
    )
    assert (tmp_path / "demo/configmap-cfg.yaml").stat().st_mode & 0o777 == 0o644
    (entry,) = k8s_render.ledger_read(str(tmp_path))
    assert [r["path"] for r in entry["records"]] == ["demo/namespace-demo.yaml", "demo/configmap-cfg.yaml"]
    assert entry["versions"] == ["1.35.0", "1.37.0"]


def test_render_again_changes_nothing_and_shows_no_diff(tmp_path):
    render(tmp_path, [CONFIGMAP])
    before = (tmp_path / "demo/configmap-cfg.yaml").stat().st_mtime_ns
    result = render(tmp_path, [CONFIGMAP])
    assert result["changed"] is False and "diff" not in result
    assert (tmp_path / "demo/configmap-cfg.yaml").stat().st_mtime_ns == before


def test_render_restores_the_mode_of_a_file(tmp_path):
    render(tmp_path, [CONFIGMAP])
    (tmp_path / "demo/configmap-cfg.yaml").chmod(0o600)
    assert render(tmp_path, [CONFIGMAP])["changed"] is True
    assert (tmp_path / "demo/configmap-cfg.yaml").stat().st_mode & 0o777 == 0o644


def test_render_diff_is_the_file_text_before_and_after(tmp_path):
    render(tmp_path, [CONFIGMAP])
    result = render(tmp_path, [dict(CONFIGMAP, data={"a": "2"})])
    (diff,) = result["diff"]
    assert diff["before_header"] == diff["after_header"] == "demo/configmap-cfg.yaml"
    assert "a: '1'" in diff["before"] and "a: '2'" in diff["after"]


def test_render_check_mode_writes_nothing_but_reports(tmp_path):
    result = render(tmp_path / "out", [CONFIGMAP], check=True)
    assert result["changed"] is True
    assert result["diff"][0]["before"] == ""
    assert not (tmp_path / "out").exists()


def test_render_never_writes_a_secret_value(tmp_path):
    result = render(
        tmp_path,
        [SECRET, dict(SECRET, metadata={"name": "other", "namespace": "demo"}, stringData={"u": "plain-user"})],
    )
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert "czNjcjN0" not in path.read_text() and "plain-user" not in path.read_text()
    assert "czNjcjN0" not in repr(result) and "plain-user" not in repr(result)
    written = (tmp_path / "demo/secret-creds.yaml").read_text()
    assert "stringData:\n  pw: <redacted>\n" in written
    assert "\ndata:" not in written


def test_render_refuses_an_invalid_object_before_writing_any(tmp_path):
    bad = dict(CONFIGMAP, metadata={"name": "broken", "namespace": "demo"}, colour="blue")
    result = render(tmp_path, [CONFIGMAP, bad], validate_versions=["1.36.0"])
    assert result["failed"] is True
    assert "demo/configmap-broken.yaml is not valid for Kubernetes 1.36.0" in result["msg"]
    assert "colour" in result["msg"] and "1.35.0" not in result["msg"]
    assert list(tmp_path.iterdir()) == []


def test_render_lists_custom_resources_it_could_not_validate(tmp_path):
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {"hostnames": ["demo.example.org"]},
    }
    result = render(tmp_path, [route])
    assert result["not_schema_validated"] == ["demo/httproute-web.yaml"]


def test_render_dir_must_be_absolute():
    result, _unused = run({"objects": [CONFIGMAP], "render_dir": "relative/dir"}, {})
    assert result["failed"] is True and "absolute" in result["msg"]


def test_force_conflicts_reaches_the_server_side_apply():
    answer = {"changed": False, "method": "apply", "result": {}}
    execute = run({"objects": [CONFIGMAP], "force_conflicts": True, "field_manager": "addons"}, answer)[1]
    assert execute.call_args.kwargs["module_args"]["server_side_apply"] == {
        "field_manager": "addons",
        "force_conflicts": True,
    }
