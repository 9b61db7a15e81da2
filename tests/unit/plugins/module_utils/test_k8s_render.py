# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/k8s_render: file paths, summary fields, Secret redaction, malformed input, validation, stale files."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.ome.k8s.plugins.module_utils import k8s_render
from ansible_collections.ome.k8s.plugins.module_utils.k8s_render import RenderError, object_problems, record


def render_records(objects, placeholder=k8s_render.REDACTED):
    """The records of the objects by path, as k8s_objects writes them."""
    return {rec["path"]: rec for rec in (record(obj, placeholder) for obj in objects)}


def _deployment(name="web", namespace="omero"):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {
                "spec": {
                    "initContainers": [{"name": "init", "image": "busybox:1.37"}],
                    "containers": [{"name": "web", "image": "web:5.31.0"}, {"name": "nginx", "image": "nginx:1.29"}],
                }
            }
        },
    }


def test_paths_follow_namespace_kind_and_name():
    records = render_records(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "omero"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "omero"}},
            {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"}},
        ]
    )
    assert sorted(records) == [
        "_cluster/storageclass-local.yaml",
        "omero/configmap-cfg.yaml",
        "omero/namespace-omero.yaml",
    ]
    assert records["_cluster/storageclass-local.yaml"]["dir"] == "_cluster"
    assert records["omero/namespace-omero.yaml"]["kind"] == "Namespace"


def test_images_list_init_containers_first():
    record = render_records([_deployment()])["omero/deployment-web.yaml"]
    assert record["images"] == ["busybox:1.37", "web:5.31.0", "nginx:1.29"]
    assert record["exposed"] == []


def test_cronjob_and_pod_images_are_found():
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup", "namespace": "db"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "pg:17"}]}}}}},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "restore", "namespace": "db"},
        "spec": {"containers": [{"name": "c", "image": "tools:1"}]},
    }
    records = render_records([cronjob, pod])
    assert records["db/cronjob-backup.yaml"]["images"] == ["pg:17"]
    assert records["db/pod-restore.yaml"]["images"] == ["tools:1"]


def test_exposed_endpoints():
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "omero"},
        "spec": {
            "hostnames": ["omero.example.org", "www.example.org"],
            "parentRefs": [{"name": "gw", "namespace": "edge", "sectionName": "https"}],
            "rules": [
                {"backendRefs": [{"name": "web", "port": 4080}]},
                {"backendRefs": [{"name": "web", "port": 4080}, {"name": "ws", "port": 4065}]},
            ],
        },
    }
    node_port = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "clients", "namespace": "omero"},
        "spec": {"type": "NodePort", "ports": [{"port": 4064, "nodePort": 30064}, {"port": 4063}]},
    }
    cluster_ip = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "omero"}, "spec": {}}
    records = render_records([route, node_port, cluster_ip])
    via = "via Gateway edge/gw listener https to Service web:4080, Service ws:4065"
    expected_routes = [f"HTTPRoute omero.example.org {via}", f"HTTPRoute www.example.org {via}"]
    assert records["omero/httproute-web.yaml"]["exposed"] == expected_routes
    assert records["omero/service-clients.yaml"]["exposed"] == ["NodePort omero/clients ports 30064->4064,auto->4063"]
    assert records["omero/service-db.yaml"]["exposed"] == []


def test_content_is_sorted_yaml_of_the_object():
    obj = _deployment()
    content = render_records([obj])["omero/deployment-web.yaml"]["content"]
    assert yaml.safe_load(content) == obj
    assert content.index("apiVersion:") < content.index("kind:") < content.index("metadata:") < content.index("spec:")


def test_multi_line_strings_are_block_scalars():
    class Tagged(str):
        """Stands for the str subclasses Ansible's templating hands the filter."""

    script = "#!/bin/sh\nset -e\necho 'ok'\n"
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "scripts", "namespace": "omero"},
        "data": {"run.sh": Tagged(script), "one-line": Tagged("a: b")},
    }
    content = render_records([obj])["omero/configmap-scripts.yaml"]["content"]
    assert "  run.sh: |\n    #!/bin/sh\n    set -e\n    echo 'ok'\n" in content
    assert "  one-line: 'a: b'\n" in content
    assert yaml.safe_load(content) == {**obj, "data": {"run.sh": script, "one-line": "a: b"}}


def test_secret_values_never_reach_the_content():
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "namespace": "omero"},
        "data": {"password": "c2VjcmV0LXZhbHVl"},
        "stringData": {"username": "omero-user-secret"},
    }
    content = render_records([secret], "<hidden>")["omero/secret-creds.yaml"]["content"]
    written = yaml.safe_load(content)
    assert written["stringData"] == {"password": "<hidden>", "username": "<hidden>"}
    assert "data" not in written
    assert "c2VjcmV0LXZhbHVl" not in content and "omero-user-secret" not in content
    # the caller's object is left as it was
    assert secret["data"] == {"password": "c2VjcmV0LXZhbHVl"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "object 1 (ConfigMap/-/x) has no apiVersion"),
        ({"apiVersion": "v1", "metadata": {"name": "lonely"}}, "object 1 (?/-/lonely) has no kind"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "object 1 (ConfigMap/-/?) has no metadata.name"),
        (
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}},
            "object 1 (Secret/-/c) has no metadata.namespace",
        ),
        ("not an object", "object 1 is not a mapping"),
    ],
)
def test_malformed_objects_are_named(bad, message):
    assert object_problems([_deployment(), bad]) == [message]


def test_well_formed_objects_have_no_problems():
    assert object_problems([_deployment(), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}]) == []


@pytest.mark.parametrize("name", ["../../etc", "a/b", "UPPER"])
def test_names_that_would_leave_the_layout_are_refused(name):
    with pytest.raises(RenderError, match="refusing to write"):
        record({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "demo"}})


def test_redact_secret_leaves_other_objects_alone():
    obj = _deployment()
    assert k8s_render.redact_secret(obj) is obj


def _configmap(name, **extra):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "demo"}, **extra}


def test_validation_names_file_version_and_field():
    records = [record(_configmap("good", data={"a": "1"})), record(_configmap("bad", colour="blue"))]
    errors, no_schema = k8s_render.validate(records, ["1.35.0", "1.37.0"])
    assert no_schema == []
    assert len(errors) == 2
    assert errors[0].startswith("demo/configmap-bad.yaml is not valid for Kubernetes 1.35.0: ")
    assert "colour" in errors[0] and "1.37.0" in errors[1]


def test_validation_is_strict_about_types():
    errors = k8s_render.validate([record(_configmap("bad", data={"a": 1}))], ["1.37.0"])[0]
    assert errors and "data.a" in errors[0]


def test_custom_resources_pass_unchecked_and_are_listed():
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {"unknown": True},
    }
    errors, no_schema = k8s_render.validate([record(route)], ["1.35.0", "1.37.0"])
    assert errors == []
    assert no_schema == [
        {"path": "demo/httproute-web.yaml", "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"}
    ]


def test_an_unsupported_version_is_an_error():
    errors = k8s_render.validate([record(_configmap("good"))], ["1.99.0"])[0]
    assert errors == [
        f"Kubernetes 1.99.0 is not supported by kubernetes-validate {__import__('kubernetes_validate').__version__}"
    ]


def test_stale_files_only_in_the_directories_given(tmp_path):
    for rel in ("demo/old.yaml", "demo/new.yaml", "demo/notes.txt", "other/keep.yaml"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    assert k8s_render.stale_files(str(tmp_path), {"demo/new.yaml"}) == ["demo/old.yaml"]


def test_write_text_is_0644_and_replaces(tmp_path):
    path = tmp_path / "demo" / "a.yaml"
    k8s_render.write_text(str(path), "one\n")
    path.chmod(0o600)
    assert k8s_render.read_text(str(path)) == ("one\n", False)
    k8s_render.write_text(str(path), "two\n")
    assert k8s_render.read_text(str(path)) == ("two\n", True)
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.yaml"]
    assert k8s_render.read_text(str(tmp_path / "missing.yaml")) == (None, False)


def test_ledger_keeps_each_call_in_order(tmp_path):
    assert k8s_render.ledger_read(str(tmp_path)) == []
    k8s_render.ledger_add(str(tmp_path), [record(_configmap("a"))], ["1.37.0"], [])
    k8s_render.ledger_add(str(tmp_path), [record(_configmap("b"))], ["1.37.0"], [])
    entries = k8s_render.ledger_read(str(tmp_path))
    assert [e["records"][0]["path"] for e in entries] == ["demo/configmap-a.yaml", "demo/configmap-b.yaml"]
    assert "content" not in entries[0]["records"][0]


def test_each_schema_file_is_read_once_per_process():
    from kubernetes_validate import utils

    k8s_render.validate([record(_configmap("good"))], ["1.36.0"])
    before = utils.schema_contents.cache_info()
    k8s_render.validate([record(_configmap("other")), record(_configmap("third"))], ["1.36.0"])
    after = utils.schema_contents.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 4
