"""Bad inventories stop playbooks/cluster.yml in its first plays, with a message naming what to fix."""

import pytest
from cluster_helpers import REPO, collection_root, local_inventory

pytestmark = pytest.mark.slow

CP1 = [("cp1.example.org", "192.0.2.11")]
CP2 = [*CP1, ("cp2.example.org", "192.0.2.12")]
W1 = [("w1.example.org", "192.0.2.21")]
FIRST_CHANGE = "PLAY [Prepare every cluster host]"


def cluster_playbook():
    return collection_root() / "playbooks" / "cluster.yml"


def run_cluster(runner, inventory):
    result = runner.playbook(cluster_playbook(), runner.write_inventory(inventory), "--check")
    return result, result.stdout + result.stderr


def groups_inventory(children):
    return {"all": {"vars": {"ansible_connection": "local"}, "children": children}}


WORKER_HOST = {"w1.example.org": {"ansible_host": "192.0.2.21"}}
BAD_GROUPS = {
    "no-control-plane-group": groups_inventory({"k8s_cluster": {"children": {"kube_node": {"hosts": WORKER_HOST}}}}),
    "empty-control-plane-group": groups_inventory(
        {"k8s_cluster": {"children": {"kube_control_plane": {"hosts": {}}, "kube_node": {"hosts": WORKER_HOST}}}}
    ),
    "wrong-group-names": groups_inventory(
        {"masters": {"hosts": {"cp1.example.org": {}}}, "workers": {"hosts": WORKER_HOST}}
    ),
    "control-plane-outside-k8s-cluster": groups_inventory(
        {
            "kube_control_plane": {"hosts": {"cp1.example.org": {}}},
            "k8s_cluster": {"children": {"kube_node": {"hosts": WORKER_HOST}}},
        }
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_GROUPS))
def test_bad_groups_fail_first(runner, name):
    result, output = run_cluster(runner, BAD_GROUPS[name])
    assert result.returncode != 0, output
    assert "The inventory must have a non-empty group 'kube_control_plane'" in output
    assert "PLAY [Check the cluster settings before changing any host]" not in output
    assert FIRST_CHANGE not in output


def test_wrong_group_names_are_listed(runner):
    result, output = run_cluster(runner, BAD_GROUPS["wrong-group-names"])
    assert result.returncode != 0
    assert "Found groups: masters, workers." in output


BAD_SETTINGS = {
    "two-control-planes-without-ha": (
        local_inventory(CP2, W1),
        "2 hosts in kube_control_plane but neither control_plane_vip",
    ),
    "vip-without-interface": (
        local_inventory(
            [*CP1, ("cp2.example.org", "192.0.2.12"), ("cp3.example.org", "192.0.2.13")],
            W1,
            {"control_plane_vip": "192.0.2.10"},
        ),
        "the required\nvariable control_plane_vip_interface",
    ),
    "vip-not-an-address": (
        local_inventory(CP1, W1, {"control_plane_vip": "vip.example.org", "control_plane_vip_interface": "eth0"}),
        "control_plane_vip is set ('vip.example.org'): it must be an IPv4 address",
    ),
    "overlapping-subnets": (
        local_inventory(
            CP1, W1, {"control_plane_pod_subnet": "10.96.0.0/16", "control_plane_service_subnet": "10.96.128.0/20"}
        ),
        "overlap: pick two disjoint ranges",
    ),
    "bad-cidr": (
        local_inventory(CP1, W1, {"control_plane_pod_subnet": "10.244.0.0"}),
        "must be IPv4 CIDRs such as 10.244.0.0/16",
    ),
    "unpinned-version": (
        local_inventory(CP1, W1, {"control_plane_kubernetes_version": "latest"}),
        "control_plane_kubernetes_version must be an exact version",
    ),
    "nowhere-to-schedule": (
        local_inventory(CP1),
        "no pod could be scheduled",
    ),
    "nfs-without-server": (
        local_inventory(CP1, W1, {"cluster_addons_storage_provisioner": "nfs"}),
        "the required variables cluster_addons_nfs_server",
    ),
    "anonymous-kubelet": (
        local_inventory(
            CP1, W1, {"control_plane_kubelet_extra_config": {"authentication": {"anonymous": {"enabled": True}}}}
        ),
        "Refusing an insecure override: kubelet authentication.anonymous.enabled: true",
    ),
    "always-allow-kubelet": (
        local_inventory(CP1, W1, {"control_plane_kubelet_extra_config": {"authorization": {"mode": "AlwaysAllow"}}}),
        "kubelet authorization.mode: AlwaysAllow",
    ),
    "kubelet-read-only-port": (
        local_inventory(CP1, W1, {"control_plane_kubelet_extra_config": {"readOnlyPort": 10255}}),
        "kubelet readOnlyPort 10255 serves pod details without authentication",
    ),
    "anonymous-api-server": (
        local_inventory(CP1, W1, {"control_plane_api_server_extra_args": {"anonymous-auth": True}}),
        "API server anonymous-auth=true",
    ),
    "always-allow-api-server": (
        local_inventory(
            CP1, W1, {"control_plane_api_server_extra_args": {"authorization-mode": "Node,RBAC,AlwaysAllow"}}
        ),
        "API server authorization-mode with AlwaysAllow",
    ),
    "encryption-key-not-32-bytes": (
        local_inventory(CP1, W1, {"control_plane_encryption_key": "c2l4dGVlbiBieXRlcyBrZXk="}),
        "control_plane_encryption_key must be the base64 encoding of exactly 32 bytes",
    ),
    "audit-log-unbounded": (
        local_inventory(CP1, W1, {"control_plane_audit_log_maxbackup": 0}),
        "positive control_plane_audit_log_maxage (days), control_plane_audit_log_maxbackup (files)",
    ),
    "audit-rule-without-level": (
        local_inventory(CP1, W1, {"control_plane_audit_policy_rules": [{"level": "Everything"}]}),
        "rules whose level is None, Metadata, Request or RequestResponse",
    ),
    "unknown-encryption-provider": (
        local_inventory(CP1, W1, {"control_plane_encryption_provider": "aesgcm"}),
        "value of control_plane_encryption_provider must be one of: secretbox, aescbc, got: aesgcm",
    ),
    "unknown-storage": (
        local_inventory(CP1, W1, {"cluster_addons_storage_provisioner": "longhorn"}),
        "value of cluster_addons_storage_provisioner must be one of: local-path, nfs, none, got: longhorn",
    ),
}


def squash(text):
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(BAD_SETTINGS))
def test_bad_settings_fail_before_any_change(runner, name):
    inventory, message = BAD_SETTINGS[name]
    result, output = run_cluster(runner, inventory)
    assert result.returncode != 0, output
    assert squash(message) in squash(output), output
    assert "PLAY [Check the cluster settings before changing any host]" in output
    assert FIRST_CHANGE not in output


def test_bad_encryption_key_is_not_printed(runner):
    key = "c2l4dGVlbiBieXRlcyBrZXk="
    result, output = run_cluster(runner, local_inventory(CP1, W1, {"control_plane_encryption_key": key}))
    assert result.returncode != 0
    assert "control_plane_encryption_key must be the base64 encoding" in output
    assert key not in output


def test_even_control_planes_with_vip_only_warn(runner):
    """Two control planes behind a VIP pass the checks, with a warning about etcd quorum."""
    inventory = local_inventory(CP2, W1, {"control_plane_vip": "192.0.2.10", "control_plane_vip_interface": "eth0"})
    out = runner.tmp_path / "out"
    out.mkdir()
    result = runner.playbook(
        REPO / "tests" / "roles" / "control_plane" / "render.yml",
        runner.write_inventory(inventory),
        extra_vars={"collection_root": collection_root(), "render_out": out},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING: 2 control planes." in result.stdout


def test_example_inventory_passes_the_checks(runner):
    """inventories/lochy (3 control planes with a VIP, 3 workers) renders and passes every check."""
    out = runner.tmp_path / "out"
    out.mkdir()
    result = runner.playbook(
        REPO / "tests" / "roles" / "control_plane" / "render.yml",
        REPO / "inventories" / "lochy",
        extra_vars={
            "collection_root": collection_root(),
            "render_out": out,
            "ansible_connection": "local",
            "ansible_become": "false",
            "ansible_python_interpreter": REPO / ".venv" / "bin" / "python",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(path.name for path in out.iterdir() if path.name.endswith("-kube-vip.yaml")) == [
        "cp1.lochy.example.org-kube-vip.yaml",
        "cp2.lochy.example.org-kube-vip.yaml",
        "cp3.lochy.example.org-kube-vip.yaml",
    ]


def unreachable_inventory():
    """Cluster hosts that no connection reaches: a task that runs on them shows as UNREACHABLE, changes nothing."""
    inventory = local_inventory(CP1, W1)
    inventory["all"]["vars"] = {
        "ansible_connection": "ssh",
        "ansible_port": 9,
        "ansible_ssh_common_args": "-o ConnectTimeout=2",
    }
    for group in inventory["all"]["children"]["k8s_cluster"]["children"].values():
        for host in group["hosts"].values():
            host["ansible_host"] = "127.0.0.1"
    return inventory


def run_reset(runner, *args, confirm=None):
    inventory = runner.write_inventory(unreachable_inventory())
    extra = {} if confirm is None else {"cluster_reset_confirm": confirm}
    result = runner.playbook(collection_root() / "playbooks" / "reset.yml", inventory, *args, extra_vars=extra)
    return result, result.stdout + result.stderr


@pytest.mark.parametrize("confirm", [None, "yes", "LOCHY"])
def test_reset_refuses_without_the_cluster_name(runner, confirm):
    result, output = run_reset(runner, confirm=confirm)
    assert result.returncode != 0, output
    assert "Refusing to reset cluster 'lochy' (2 hosts: cp1.example.org, w1.example.org)" in squash(output)
    assert "-e cluster_reset_confirm=lochy" in squash(output)
    assert "UNREACHABLE" not in output


@pytest.mark.parametrize(
    "selection",
    [
        ["--limit", "cp1.example.org"],
        ["--limit", "w1.example.org", "--start-at-task", "Remove the CNI configuration and the Kubernetes state"],
        ["--start-at-task", "Delete the CNI (Calico, flannel, bridge) and kube-proxy interfaces"],
        ["--skip-tags", "always"],
    ],
    ids=["limit", "limit-and-start-at-task", "start-at-task", "skip-tags"],
)
def test_reset_refuses_whatever_the_task_selection(runner, selection):
    # Before the confirmation moved into the wiping play, --limit emptied the play that checked it.
    result, output = run_reset(runner, *selection)
    assert result.returncode != 0, output
    assert "Refusing to reset cluster 'lochy'" in squash(output)
    assert "UNREACHABLE" not in output


def test_reset_goes_to_the_hosts_once_confirmed(runner):
    # The other side of the tests above: confirmed, the same inventory and --limit reach the hosts.
    output = run_reset(runner, "--limit", "cp1.example.org", confirm="lochy")[1]
    assert "Refusing" not in output
    assert "UNREACHABLE" in output


@pytest.mark.parametrize("playbook", ["cluster.yml", "reset.yml", "upgrade.yml"])
def test_playbooks_parse(runner, playbook):
    inventory = runner.write_inventory(local_inventory(CP1, W1))
    result = runner.playbook(collection_root() / "playbooks" / playbook, inventory, "--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr
