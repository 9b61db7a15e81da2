# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Testinfra checks of playbooks/cluster.yml on the Molecule hosts (run by `molecule verify -s cluster`).

kubeadm is not run here (molecule.yml says why); these tests check what was exercised for real: the
kubeadm configuration on the control plane, the join credentials computed on the control plane and
consumed by the workers, name resolution between the hosts, the rendered add-ons, and the exact list of
steps that were left out.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import pytest
import testinfra
import testinfra.utils.ansible_runner
import yaml

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
testinfra_hosts = RUNNER.get_hosts("k8s_cluster")

CONTROL_PLANE = "ome-k8s-cluster-cp1"
WORKERS = ("ome-k8s-cluster-w1", "ome-k8s-cluster-w2")
ENDPOINT = CONTROL_PLANE + ":6443"
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])


def other(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


def documents(host, path):
    return [doc for doc in yaml.safe_load_all(host.file(path).content_string) if doc is not None]


def is_control_plane(host):
    return host.backend.get_hostname() == CONTROL_PLANE


def test_kubeadm_configuration_on_the_control_plane(host):
    config = host.file("/etc/kubernetes/kubeadm-config.yaml")
    if not is_control_plane(host):
        assert not config.exists
        return
    assert config.is_file
    assert (config.user, config.group, config.mode) == ("root", "root", 0o600)
    docs = {doc["kind"]: doc for doc in documents(host, config.path)}
    assert sorted(docs) == [
        "ClusterConfiguration",
        "InitConfiguration",
        "KubeProxyConfiguration",
        "KubeletConfiguration",
    ]
    cluster = docs["ClusterConfiguration"]
    assert cluster["clusterName"] == "molecule"
    assert cluster["kubernetesVersion"] == "v1.35.0"
    assert cluster["controlPlaneEndpoint"] == ENDPOINT
    assert CONTROL_PLANE in cluster["apiServer"]["certSANs"]
    assert docs["KubeletConfiguration"]["cgroupDriver"] == "systemd"


def test_api_server_files_on_the_control_plane_only(host):
    """What the API server's static pod mounts: audit policy, audit log directory, encryption configuration."""
    policy = host.file("/etc/kubernetes/audit/policy.yaml")
    log_dir = host.file("/var/log/kubernetes/audit")
    encryption = host.file("/etc/kubernetes/enc/encryption-config.yaml")
    if not is_control_plane(host):
        assert not (policy.exists or log_dir.exists or encryption.exists)
        return
    assert documents(host, policy.path)[0]["kind"] == "Policy"
    assert (log_dir.is_directory, log_dir.user, log_dir.mode) == (True, "root", 0o700)
    assert (encryption.user, encryption.group, encryption.mode) == ("root", "root", 0o600)
    (config,) = documents(host, encryption.path)
    providers = config["resources"][0]["providers"]
    assert list(providers[0]) == ["secretbox"] and providers[1] == {"identity": {}}
    assert len(base64.b64decode(providers[0]["secretbox"]["keys"][0]["secret"])) == 32


def ca_public_key_hash():
    """Hash of the control plane's CA public key, computed here independently of the role."""
    cp = other(CONTROL_PLANE)
    der = cp.check_output(
        "openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | od -An -v -tx1"
    )
    data = bytes.fromhex("".join(der.split()))
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_workers_join_with_credentials_from_the_control_plane(host):
    join = host.file("/etc/kubernetes/kubeadm-join.yaml")
    if is_control_plane(host):
        assert not join.exists  # the control plane initialises, it does not join
        return
    assert join.is_file
    assert (join.user, join.group, join.mode) == ("root", "root", 0o600)
    (doc,) = documents(host, join.path)
    assert (doc["apiVersion"], doc["kind"]) == ("kubeadm.k8s.io/v1beta4", "JoinConfiguration")
    assert "controlPlane" not in doc
    discovery = doc["discovery"]["bootstrapToken"]
    assert discovery["apiServerEndpoint"] == ENDPOINT
    assert re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", discovery["token"])
    assert discovery["caCertHashes"] == [ca_public_key_hash()]
    assert doc["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-labels", "value": "ome.example.org/pool=molecule"}
    ]


def test_one_token_for_all_joining_workers():
    """The token is made once on the control plane for the batch, and both workers received it."""
    tokens = {
        documents(other(name), "/etc/kubernetes/kubeadm-join.yaml")[0]["discovery"]["bootstrapToken"]["token"]
        for name in WORKERS
    }
    assert len(tokens) == 1


def test_control_plane_endpoint_resolves_from_every_host(host):
    assert host.run("getent hosts %s" % CONTROL_PLANE).rc == 0


ADDON_FILES = {
    "calico/installation-default.yaml": ("operator.tigera.io/v1", "Installation"),
    "local-path/configmap-local-path-config.yaml": ("v1", "ConfigMap"),
    "local-path/storageclass-local-path.yaml": ("storage.k8s.io/v1", "StorageClass"),
    "gateway/namespace-ome-gateway.yaml": ("v1", "Namespace"),
    "gateway/envoyproxy-ome-envoy.yaml": ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy"),
    "gateway/gatewayclass-ome-envoy.yaml": ("gateway.networking.k8s.io/v1", "GatewayClass"),
    "gateway/gateway-ome-gateway.yaml": ("gateway.networking.k8s.io/v1", "Gateway"),
    "gateway/httproute-https-redirect.yaml": ("gateway.networking.k8s.io/v1", "HTTPRoute"),
}


def test_addons_rendered_on_the_controller():
    rendered = sorted(str(path.relative_to(EPHEMERAL / "addons")) for path in (EPHEMERAL / "addons").rglob("*.yaml"))
    assert rendered == sorted(ADDON_FILES)
    for name, (api_version, kind) in ADDON_FILES.items():
        doc = yaml.safe_load((EPHEMERAL / "addons" / name).read_text())
        assert (doc["apiVersion"], doc["kind"]) == (api_version, kind)
    installation = yaml.safe_load((EPHEMERAL / "addons" / "calico/installation-default.yaml").read_text())
    # The pod subnet travels from the control plane's settings to Calico's IP pool.
    assert installation["spec"]["calicoNetwork"]["ipPools"][0]["cidr"] == "10.244.0.0/16"
    storage_class = yaml.safe_load((EPHEMERAL / "addons" / "local-path/storageclass-local-path.yaml").read_text())
    assert storage_class["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_exactly_these_steps_were_not_exercised():
    recorded = yaml.safe_load((EPHEMERAL / "not-exercised.yml").read_text())
    assert recorded == [
        "fetch /etc/kubernetes/admin.conf to %s (mode 0600)" % (EPHEMERAL / "kubeconfig"),
        "kubeadm init --config /etc/kubernetes/kubeadm-config.yaml",
        "kubeadm token create <token> --ttl 15m (on %s)" % CONTROL_PLANE,
        "kubeadm join --config /etc/kubernetes/kubeadm-join.yaml (worker)",
    ]


@pytest.mark.parametrize("name", ["kubeadm", "kubelet"])
def test_kubernetes_binaries_are_really_absent(host, name):
    """Guards the premise of this scenario: if kubeadm ever becomes installable, run it instead."""
    assert not host.exists(name)
