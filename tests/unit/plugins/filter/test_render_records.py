# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.render_records: file paths, summary fields, Secret redaction and malformed input."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.ome.k8s.plugins.filter.render_records import FilterModule, render_records


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


def test_filter_is_registered():
    assert FilterModule().filters() == {"render_records": render_records}


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
    ("bad", "named"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "ConfigMap"),
        ({"apiVersion": "v1", "metadata": {"name": "lonely"}}, "lonely"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "ConfigMap"),
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}}, "Secret creds (no namespace)"),
        ("not an object", "?"),
    ],
)
def test_malformed_objects_are_named_in_the_error(bad, named):
    with pytest.raises(AnsibleFilterError, match=r"need apiVersion, kind and metadata\.name") as err:
        render_records([_deployment(), bad])
    assert named in str(err.value)
    assert "deployment" not in str(err.value).lower()


def test_input_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="expects a list"):
        render_records({"kind": "ConfigMap"})
