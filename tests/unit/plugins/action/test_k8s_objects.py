# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.k8s_objects: one kubernetes.core.k8s run for the whole list, a diff per object, no Secret value out.

The module run is replaced by a recorder here; applying for real is shown by `make e2e` (tools/e2e/run.sh),
whose apps.yml runs, re-run and `--check --diff` go through this plugin."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task

from ansible_collections.ome.k8s.plugins.action import k8s_objects as ko

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


def run(args, module_result):
    """The plugin's result for task arguments `args`, with kubernetes.core.k8s answering `module_result`."""
    task = Task()
    task.args = args
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
    assert result["diff"][1]["before"]["data"] == {"pw": ko.REDACTED}
    assert result["diff"][1]["after"]["data"] == {"pw": ko.REDACTED}
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
    result, _ = run({"objects": [CONFIGMAP]}, answer)
    assert result["failed"] is True
    assert result["msg"] == "Applying 1 object(s) failed: " + unreachable


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "object 0 (ConfigMap/-/x) has no apiVersion"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "object 0 (ConfigMap/-/?) has no metadata.name"),
    ],
)
def test_objects_without_identity_are_refused_before_any_call(bad, message):
    result, execute = run({"objects": [bad]}, {})
    execute.assert_not_called()
    assert result["failed"] is True and message in result["msg"]


def test_nothing_to_apply_calls_nothing():
    result, execute = run({"objects": []}, {})
    execute.assert_not_called()
    assert result["changed"] is False
