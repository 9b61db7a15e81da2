"""Render the real kubeadm, kube-vip and join templates through ansible-playbook and check the documents."""

import json
import pathlib

import kubernetes_validate
import pytest
import yaml
from cluster_helpers import collection_root, local_inventory

pytestmark = pytest.mark.slow

RENDER = pathlib.Path(__file__).with_name("render.yml")
VALIDATE_VERSIONS = ("1.35.0", "1.37.0")

SINGLE = {
    "control_planes": [("lochy1.example.org", "192.0.2.11")],
    "cluster_vars": {"control_plane_schedulable": True},
}
HA = {
    "control_planes": [
        ("cp1.example.org", "192.0.2.11"),
        ("cp2.example.org", "192.0.2.12"),
        ("cp3.example.org", "192.0.2.13"),
    ],
    "workers": [("w1.example.org", "192.0.2.21"), ("w2.example.org", "192.0.2.22")],
    "cluster_vars": {
        "control_plane_vip": "192.0.2.10",
        "control_plane_vip_interface": "ens18",
        "control_plane_kube_vip_services": True,
        "control_plane_cert_sans": ["k8s.lochy.example.org"],
        "worker_node_labels": {"ome.example.org/pool": "general"},
    },
}
CUSTOM = {
    "control_planes": [("cp1.example.org", "198.51.100.11")],
    "workers": [("w1.example.org", "198.51.100.21")],
    "cluster_vars": {
        "control_plane_cluster_name": "lochy-test",
        "control_plane_kubernetes_version": "1.36.3",
        "control_plane_pod_subnet": "172.20.0.0/16",
        "control_plane_service_subnet": "172.21.0.0/20",
        "control_plane_dns_domain": "lochy.internal",
        "control_plane_kube_proxy_mode": "nftables",
        "control_plane_endpoint": "api.lochy.example.org:8443",
        "control_plane_api_port": 8443,
        "control_plane_advertise_address": "198.51.100.11",
        "control_plane_image_repository": "registry.example.org/k8s",
        "control_plane_api_server_extra_args": {"audit-log-maxage": 90, "default-not-ready-toleration-seconds": 60},
        "control_plane_audit_log_dir": "/srv/audit",
        "control_plane_audit_log_maxbackup": 5,
        "control_plane_kubelet_extra_config": {"maxPods": 150, "evictionHard": {"memory.available": "500Mi"}},
        "worker_node_ip": "198.51.100.21",
    },
}


# v1beta4 extraArgs: a list of name/value pairs with string values, sorted by name.
DEFAULT_API_SERVER_ARGS = [
    {"name": "audit-log-maxage", "value": "30"},
    {"name": "audit-log-maxbackup", "value": "10"},
    {"name": "audit-log-maxsize", "value": "100"},
    {"name": "audit-log-path", "value": "/var/log/kubernetes/audit/audit.log"},
    {"name": "audit-policy-file", "value": "/etc/kubernetes/audit/policy.yaml"},
    {"name": "encryption-provider-config", "value": "/etc/kubernetes/enc/encryption-config.yaml"},
    {"name": "profiling", "value": "false"},
]
AUDIT_VOLUMES = [
    {
        "name": "audit-policy",
        "hostPath": "/etc/kubernetes/audit",
        "mountPath": "/etc/kubernetes/audit",
        "readOnly": True,
        "pathType": "Directory",
    },
    {
        "name": "audit-log",
        "hostPath": "/var/log/kubernetes/audit",
        "mountPath": "/var/log/kubernetes/audit",
        "readOnly": False,
        "pathType": "DirectoryOrCreate",
    },
]
ENCRYPTION_VOLUMES = [
    {
        "name": "encryption-config",
        "hostPath": "/etc/kubernetes/enc",
        "mountPath": "/etc/kubernetes/enc",
        "readOnly": True,
        "pathType": "Directory",
    },
]
DEFAULT_API_SERVER_VOLUMES = AUDIT_VOLUMES + ENCRYPTION_VOLUMES


def render(runner, case):
    inventory = runner.write_inventory(
        local_inventory(case["control_planes"], case.get("workers", ()), case["cluster_vars"])
    )
    out = runner.tmp_path / "out"
    out.mkdir()
    result = runner.playbook(RENDER, inventory, extra_vars={"collection_root": collection_root(), "render_out": out})
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def by_kind(docs):
    kinds = {}
    for doc in docs:
        assert doc["kind"] not in kinds, "duplicate kind %s" % doc["kind"]
        kinds[doc["kind"]] = doc
    return kinds


def kubeadm_config(out, host):
    docs = by_kind(documents(out / ("%s-kubeadm-config.yaml" % host)))
    assert list(docs) == ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration", "KubeProxyConfiguration"]
    assert docs["InitConfiguration"]["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert docs["ClusterConfiguration"]["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert docs["KubeletConfiguration"]["apiVersion"] == "kubelet.config.k8s.io/v1beta1"
    assert docs["KubeProxyConfiguration"]["apiVersion"] == "kubeproxy.config.k8s.io/v1alpha1"
    return docs


def test_single_node_defaults(runner):
    out = render(runner, SINGLE)
    docs = kubeadm_config(out, "lochy1.example.org")
    cluster = docs["ClusterConfiguration"]
    assert cluster["clusterName"] == "lochy"
    assert cluster["kubernetesVersion"] == "v1.35.0"
    assert cluster["controlPlaneEndpoint"] == "192.0.2.11:6443"
    assert cluster["networking"] == {
        "podSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.96.0.0/12",
        "dnsDomain": "cluster.local",
    }
    assert cluster["apiServer"]["certSANs"] == ["192.0.2.11", "lochy1.example.org"]
    # Audit log, encryption at rest of Secrets and no profiling, by default.
    assert cluster["apiServer"]["extraArgs"] == DEFAULT_API_SERVER_ARGS
    assert cluster["apiServer"]["extraVolumes"] == DEFAULT_API_SERVER_VOLUMES
    assert cluster["controllerManager"] == {"extraArgs": [{"name": "profiling", "value": "false"}]}
    assert cluster["scheduler"] == {"extraArgs": [{"name": "profiling", "value": "false"}]}
    assert "imageRepository" not in cluster
    init = docs["InitConfiguration"]
    # kubeadm's default init token lives 24 hours; this one as long as a join token, and kubeadm draws it.
    (token,) = init["bootstrapTokens"]
    assert token["ttl"] == "15m"
    assert "token" not in token
    assert init["localAPIEndpoint"] == {"bindPort": 6443}
    assert init["nodeRegistration"]["criSocket"] == "unix:///run/containerd/containerd.sock"
    # Schedulable single node: no control plane taint, and no kube-vip preflight waiver.
    assert init["nodeRegistration"]["taints"] == []
    assert "ignorePreflightErrors" not in init["nodeRegistration"]
    assert docs["KubeletConfiguration"]["cgroupDriver"] == "systemd"
    assert docs["KubeletConfiguration"]["clusterDomain"] == "cluster.local"
    assert docs["KubeProxyConfiguration"]["mode"] == "iptables"
    assert docs["KubeProxyConfiguration"]["clusterCIDR"] == "10.244.0.0/16"
    assert not (out / "lochy1.example.org-kube-vip.yaml").exists()


def test_ha_with_vip(runner):
    out = render(runner, HA)
    for host in ("cp1.example.org", "cp2.example.org", "cp3.example.org"):
        docs = kubeadm_config(out, host)
        cluster = docs["ClusterConfiguration"]
        assert cluster["controlPlaneEndpoint"] == "192.0.2.10:6443"
        assert cluster["apiServer"]["certSANs"] == [
            "192.0.2.10",
            "cp1.example.org",
            "cp2.example.org",
            "cp3.example.org",
            "192.0.2.11",
            "192.0.2.12",
            "192.0.2.13",
            "k8s.lochy.example.org",
        ]
        init = docs["InitConfiguration"]
        assert "taints" not in init["nodeRegistration"]  # kubeadm's default control plane taint stays
        assert init["nodeRegistration"]["ignorePreflightErrors"] == ["DirAvailable--etc-kubernetes-manifests"]

    pod = documents(out / "cp1.example.org-kube-vip.yaml")
    assert len(pod) == 1
    pod = pod[0]
    assert (pod["apiVersion"], pod["kind"], pod["metadata"]["namespace"]) == ("v1", "Pod", "kube-system")
    container = pod["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/kube-vip/kube-vip:v1.2.2"
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["address"] == "192.0.2.10"
    assert env["vip_interface"] == "ens18"
    assert env["vip_arp"] == "true"
    assert env["port"] == "6443"
    assert env["cp_enable"] == "true"
    assert env["svc_enable"] == "true"
    assert env["svc_election"] == "true"
    assert pod["spec"]["hostNetwork"] is True
    assert set(container["securityContext"]["capabilities"]["add"]) == {"NET_ADMIN", "NET_RAW"}
    assert pod["spec"]["volumes"][0]["hostPath"] == {"path": "/etc/kubernetes/super-admin.conf", "type": "File"}
    for version in VALIDATE_VERSIONS:
        kubernetes_validate.validate(pod, version, strict=True)

    join = documents(out / "cp2.example.org-kubeadm-join.yaml")
    assert len(join) == 1
    join = join[0]
    assert (join["apiVersion"], join["kind"]) == ("kubeadm.k8s.io/v1beta4", "JoinConfiguration")
    assert join["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "192.0.2.10:6443",
        "token": "abcdef.0123456789abcdef",
        "caCertHashes": ["sha256:" + "1" * 64],
    }
    assert join["controlPlane"] == {"localAPIEndpoint": {"bindPort": 6443}, "certificateKey": "f" * 64}

    worker = documents(out / "w1.example.org-worker-join.yaml")[0]
    assert (worker["apiVersion"], worker["kind"]) == ("kubeadm.k8s.io/v1beta4", "JoinConfiguration")
    assert "controlPlane" not in worker
    assert worker["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "192.0.2.10:6443"
    assert worker["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-labels", "value": "ome.example.org/pool=general"}
    ]
    # kubeadm's own discovery timeout unless the inventory sets another.
    assert worker["timeouts"] == {"discovery": "5m0s"}


def test_custom_cidrs_and_settings(runner):
    out = render(runner, CUSTOM)
    docs = kubeadm_config(out, "cp1.example.org")
    cluster = docs["ClusterConfiguration"]
    assert cluster["clusterName"] == "lochy-test"
    assert cluster["kubernetesVersion"] == "v1.36.3"
    assert cluster["controlPlaneEndpoint"] == "api.lochy.example.org:8443"
    assert cluster["imageRepository"] == "registry.example.org/k8s"
    assert cluster["networking"] == {
        "podSubnet": "172.20.0.0/16",
        "serviceSubnet": "172.21.0.0/20",
        "dnsDomain": "lochy.internal",
    }
    assert cluster["apiServer"]["certSANs"][0] == "api.lochy.example.org"
    assert "198.51.100.11" in cluster["apiServer"]["certSANs"]
    # The site's flags are merged over the role's: its audit-log-maxage wins over the default 30.
    assert cluster["apiServer"]["extraArgs"] == [
        {"name": "audit-log-maxage", "value": "90"},
        {"name": "audit-log-maxbackup", "value": "5"},
        {"name": "audit-log-maxsize", "value": "100"},
        {"name": "audit-log-path", "value": "/srv/audit/audit.log"},
        {"name": "audit-policy-file", "value": "/etc/kubernetes/audit/policy.yaml"},
        {"name": "default-not-ready-toleration-seconds", "value": "60"},
        {"name": "encryption-provider-config", "value": "/etc/kubernetes/enc/encryption-config.yaml"},
        {"name": "profiling", "value": "false"},
    ]
    audit_log = cluster["apiServer"]["extraVolumes"][1]
    assert (audit_log["hostPath"], audit_log["mountPath"]) == ("/srv/audit", "/srv/audit")
    init = docs["InitConfiguration"]
    assert init["localAPIEndpoint"] == {"advertiseAddress": "198.51.100.11", "bindPort": 8443}
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": "198.51.100.11"}]
    kubelet = docs["KubeletConfiguration"]
    assert kubelet["cgroupDriver"] == "systemd"
    assert kubelet["maxPods"] == 150
    assert kubelet["evictionHard"] == {"memory.available": "500Mi"}
    assert kubelet["clusterDomain"] == "lochy.internal"
    assert docs["KubeProxyConfiguration"] == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "nftables",
        "clusterCIDR": "172.20.0.0/16",
    }
    worker = documents(out / "w1.example.org-worker-join.yaml")[0]
    assert worker["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "api.lochy.example.org:8443"
    assert worker["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": "198.51.100.21"}]


def test_worker_join_discovery_timeout(runner):
    """worker_join_discovery_timeout bounds kubeadm join's discovery on every worker."""
    out = render(runner, {**HA, "cluster_vars": {**HA["cluster_vars"], "worker_join_discovery_timeout": "1m30s"}})
    for host in ("w1.example.org", "w2.example.org"):
        (worker,) = documents(out / ("%s-worker-join.yaml" % host))
        assert worker["timeouts"] == {"discovery": "1m30s"}


@pytest.mark.parametrize("value", ["300", "0m0s"])
def test_worker_join_discovery_timeout_must_be_a_positive_duration(runner, value):
    cluster_vars = {**HA["cluster_vars"], "worker_join_discovery_timeout": value}
    inventory = runner.write_inventory(local_inventory(HA["control_planes"], HA["workers"], cluster_vars))
    out = runner.tmp_path / "out"
    out.mkdir()
    result = runner.playbook(
        RENDER,
        inventory,
        extra_vars={"collection_root": collection_root(), "render_out": out},
        extra_env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
    )
    assert result.returncode != 0, result.stdout + result.stderr
    (check,) = [
        task["hosts"]
        for play in json.loads(result.stdout)["plays"]
        for task in play["tasks"]
        if task["task"]["name"].split(" : ")[-1] == "Check the worker settings"
    ]
    # Checked once for the play, on its first host.
    assert list(check) == ["w1.example.org"]
    outcome = check["w1.example.org"]
    assert outcome["failed"] is True
    expected = "worker_join_discovery_timeout must be a positive Go duration such as 5m0s or 1m30s: got '%s'." % value
    assert expected in outcome["msg"]
    assert not list(out.glob("*-worker-join.yaml"))


@pytest.mark.parametrize("case", [HA], ids=["ha"])
def test_rendering_is_stable(runner, case, tmp_path_factory):
    """Two renders of the same inventory are byte-identical (no timestamps, no random ordering)."""
    first = render(runner, case)
    second_runner = type(runner)(tmp_path_factory.mktemp("again"))
    second = render(second_runner, case)
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted(path.name for path in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_settings_for_containers_as_nodes(runner):
    """What molecule/e2e sets for nodes that share one kernel on cgroup v1 reaches every kubeadm document."""
    case = {
        "control_planes": HA["control_planes"],
        "workers": HA["workers"],
        "cluster_vars": {
            **HA["cluster_vars"],
            "control_plane_kubelet_extra_config": {"failCgroupV1": False, "protectKernelDefaults": True},
            "control_plane_kube_proxy_extra_config": {"conntrack": {"maxPerCore": 0}},
            "control_plane_ignore_preflight_errors": ["SystemVerification"],
            "worker_ignore_preflight_errors": ["SystemVerification", "Swap"],
        },
    }
    out = render(runner, case)
    docs = kubeadm_config(out, "cp1.example.org")
    # The VIP's own waiver is kept beside the inventory's.
    assert docs["InitConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == [
        "SystemVerification",
        "DirAvailable--etc-kubernetes-manifests",
    ]
    assert docs["KubeletConfiguration"]["failCgroupV1"] is False
    assert docs["KubeletConfiguration"]["protectKernelDefaults"] is True
    assert docs["KubeProxyConfiguration"] == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": "10.244.0.0/16",
        "conntrack": {"maxPerCore": 0},
    }
    join = documents(out / "cp2.example.org-kubeadm-join.yaml")[0]
    assert join["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification"]
    worker = documents(out / "w1.example.org-worker-join.yaml")[0]
    assert worker["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification", "Swap"]


def api_server_args(cluster):
    return {arg["name"]: arg["value"] for arg in cluster["apiServer"].get("extraArgs", [])}


@pytest.mark.parametrize(
    "settings, gone_args, volumes",
    [
        (
            {"control_plane_audit_log": False},
            {"audit-log-maxage", "audit-log-maxbackup", "audit-log-maxsize", "audit-log-path", "audit-policy-file"},
            ENCRYPTION_VOLUMES,
        ),
        ({"control_plane_encryption": False}, {"encryption-provider-config"}, AUDIT_VOLUMES),
        (
            {"control_plane_audit_log": False, "control_plane_encryption": False},
            {"audit-policy-file", "encryption-provider-config"},
            None,
        ),
    ],
    ids=["no-audit", "no-encryption", "neither"],
)
def test_audit_and_encryption_can_be_turned_off(runner, settings, gone_args, volumes):
    case = {"control_planes": SINGLE["control_planes"], "cluster_vars": {**SINGLE["cluster_vars"], **settings}}
    cluster = kubeadm_config(render(runner, case), "lochy1.example.org")["ClusterConfiguration"]
    args = api_server_args(cluster)
    assert not gone_args & set(args), args
    assert args["profiling"] == "false"
    assert cluster["apiServer"].get("extraVolumes") == volumes


def test_profiling_can_be_turned_back_on(runner):
    case = {
        "control_planes": SINGLE["control_planes"],
        "cluster_vars": {**SINGLE["cluster_vars"], "control_plane_profiling": True},
    }
    cluster = kubeadm_config(render(runner, case), "lochy1.example.org")["ClusterConfiguration"]
    assert api_server_args(cluster)["profiling"] == "true"
    for component in ("controllerManager", "scheduler"):
        assert cluster[component]["extraArgs"] == [{"name": "profiling", "value": "true"}]


def test_audit_policy_never_logs_secret_bodies(runner):
    out = render(runner, SINGLE)
    (policy,) = documents(out / "lochy1.example.org-audit-policy.yaml")
    assert (policy["apiVersion"], policy["kind"]) == ("audit.k8s.io/v1", "Policy")
    assert policy["omitStages"] == ["RequestReceived"]

    def level(verb, group, resource, user="alice"):
        """The level of the first matching rule, as the API server picks it (enough of it for these rules)."""
        for rule in policy["rules"]:
            if "nonResourceURLs" in rule:
                continue
            if "verbs" in rule and verb not in rule["verbs"]:
                continue
            if "users" in rule and user not in rule["users"]:
                continue
            if "userGroups" in rule and not user.startswith("system:node:"):
                continue
            if "resources" in rule and not any(
                group == entry["group"] and resource in entry["resources"] for entry in rule["resources"]
            ):
                continue
            return rule["level"]
        return "None"

    for verb in ("get", "list", "watch", "create", "update", "patch", "delete"):
        assert level(verb, "", "secrets") == "Metadata"
        assert level(verb, "", "configmaps") == "Metadata"
    assert level("create", "authentication.k8s.io", "tokenreviews") == "Metadata"
    assert level("create", "", "serviceaccounts/token") == "Metadata"
    assert level("create", "", "events") == "None"
    assert level("update", "coordination.k8s.io", "leases", user="system:node:cp1") == "None"
    assert level("list", "", "pods") == "Metadata"
    assert level("create", "apps", "deployments") == "Request"
    health = [rule for rule in policy["rules"] if "nonResourceURLs" in rule]
    assert health[0]["level"] == "None" and "/healthz*" in health[0]["nonResourceURLs"]


def test_site_replaces_the_audit_rules(runner):
    rules = [{"level": "Metadata"}]
    case = {
        "control_planes": SINGLE["control_planes"],
        "cluster_vars": {**SINGLE["cluster_vars"], "control_plane_audit_policy_rules": rules},
    }
    (policy,) = documents(render(runner, case) / "lochy1.example.org-audit-policy.yaml")
    assert policy["rules"] == rules
