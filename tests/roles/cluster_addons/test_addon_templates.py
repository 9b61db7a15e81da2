"""Render ome.k8s.cluster_addons through ansible-playbook (render mode, the applications' layout:
<namespace or _cluster>/<kind>-<name>.yaml) and check each object."""

import hashlib
import json
import os
import pathlib
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = pathlib.Path(__file__).resolve().parents[3]
PLAYBOOK = pathlib.Path(__file__).with_name("render.yml")
LOCAL_PATH_PLAYBOOK = pathlib.Path(__file__).with_name("local_path.yml")
VALIDATE_VERSIONS = ("1.35.0", "1.37.0")
CORE_GROUPS = ("v1", "apps/v1", "storage.k8s.io/v1", "rbac.authorization.k8s.io/v1", "networking.k8s.io/v1")


def run(tmp_path, render=True, playbook=PLAYBOOK, **settings):
    """Run the add-ons playbook, in render mode unless render is false; return the result and render dir."""
    out = tmp_path / "render"
    settings = dict(settings, ansible_python_interpreter=sys.executable)
    if render:
        settings["ome_k8s_render_dir"] = str(out)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", HOME=str(tmp_path), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    command = [
        str(pathlib.Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        json.dumps(settings),
        str(playbook),
    ]
    result = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300)
    return result, out


def rendered(out):
    objects = {}
    for path in sorted(out.glob("*/*.yaml")):
        objects[str(path.relative_to(out))] = yaml.safe_load(path.read_text())
    return objects


def check_core_schemas(objects):
    for name, obj in objects.items():
        if obj["apiVersion"] in CORE_GROUPS:
            for version in VALIDATE_VERSIONS:
                kubernetes_validate.validate(obj, version, strict=True)
        else:
            assert obj["apiVersion"] in (
                "operator.tigera.io/v1",
                "gateway.networking.k8s.io/v1",
                "gateway.envoyproxy.io/v1alpha1",
            ), name


def test_defaults_local_path_and_gateway(tmp_path):
    result, out = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    objects = rendered(out)
    assert sorted(objects) == [
        "_cluster/gatewayclass-ome-envoy.yaml",
        "_cluster/installation-default.yaml",
        "_cluster/storageclass-local-path.yaml",
        "envoy-gateway-system/envoyproxy-ome-envoy.yaml",
        "local-path-storage/configmap-local-path-config.yaml",
        "ome-gateway/gateway-ome-gateway.yaml",
        "ome-gateway/httproute-https-redirect.yaml",
        "ome-gateway/namespace-ome-gateway.yaml",
    ]
    check_core_schemas(objects)
    # validated and summarised like the applications: the custom resources are named as not schema-checked
    summary = (out / "SUMMARY.md").read_text()
    assert "| 1.37.0 | valid | 3 | 5 |" in summary
    assert "| _cluster/installation-default.yaml | operator.tigera.io/v1 Installation |" in summary

    pool = objects["_cluster/installation-default.yaml"]["spec"]["calicoNetwork"]["ipPools"]
    assert pool == [
        {
            "name": "default-ipv4-ippool",
            "cidr": "10.244.0.0/16",
            "blockSize": 26,
            "encapsulation": "VXLANCrossSubnet",
            "natOutgoing": "Enabled",
            "nodeSelector": "all()",
        }
    ]
    assert "registry" not in objects["_cluster/installation-default.yaml"]["spec"]

    storage_class = objects["_cluster/storageclass-local-path.yaml"]
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["provisioner"] == "rancher.io/local-path"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["reclaimPolicy"] == "Retain"
    config = json.loads(objects["local-path-storage/configmap-local-path-config.yaml"]["data"]["config.json"])
    assert config == {
        "nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["/var/lib/local-path-provisioner"]}]
    }

    gateway = objects["ome-gateway/gateway-ome-gateway.yaml"]
    assert gateway["metadata"] == {
        "name": "ome-gateway",
        "namespace": "ome-gateway",
        "labels": {
            "app.kubernetes.io/managed-by": "ome.k8s",
            "app.kubernetes.io/name": "ome-gateway",
            "app.kubernetes.io/part-of": "ome-k8s-cluster",
        },
    }
    assert gateway["spec"]["gatewayClassName"] == "ome-envoy"
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert (listeners["http"]["protocol"], listeners["http"]["port"]) == ("HTTP", 80)
    assert (listeners["https"]["protocol"], listeners["https"]["port"]) == ("HTTPS", 443)
    assert listeners["https"]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"group": "", "kind": "Secret", "name": "ome-gateway-tls"}],
    }
    for listener in listeners.values():
        assert listener["allowedRoutes"] == {"namespaces": {"from": "All"}}

    gateway_class = objects["_cluster/gatewayclass-ome-envoy.yaml"]
    assert gateway_class["spec"]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"
    proxy = objects["envoy-gateway-system/envoyproxy-ome-envoy.yaml"]
    assert gateway_class["spec"]["parametersRef"] == {
        "group": "gateway.envoyproxy.io",
        "kind": "EnvoyProxy",
        "name": proxy["metadata"]["name"],
        "namespace": proxy["metadata"]["namespace"],
    }
    kubernetes = proxy["spec"]["provider"]["kubernetes"]
    assert kubernetes["envoyService"] == {"type": "NodePort"}
    assert kubernetes["envoyDeployment"] == {"replicas": 2}

    redirect = objects["ome-gateway/httproute-https-redirect.yaml"]
    assert redirect["spec"]["parentRefs"][0]["sectionName"] == "http"
    assert redirect["spec"]["rules"] == [
        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
    ]
    assert "NOT EXERCISED (render mode)" in result.stdout


def test_nfs_load_balancer_and_site_names(tmp_path):
    result, out = run(
        tmp_path,
        cluster_addons_storage_provisioner="nfs",
        cluster_addons_nfs_server="nfs.lochy.example.org",
        cluster_addons_nfs_path="/export/k8s",
        cluster_addons_nfs_archive_on_delete=False,
        cluster_addons_calico_pod_subnet="172.20.0.0/16",
        cluster_addons_calico_registry="registry.example.org/mirror",
        cluster_addons_gateway_service_type="LoadBalancer",
        cluster_addons_gateway_load_balancer_ip="192.0.2.20",
        cluster_addons_gateway_http_redirect=False,
        ome_k8s_gateway_name="lochy-web",
        ome_k8s_gateway_namespace="lochy-gateway",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    objects = rendered(out)
    assert sorted(objects) == [
        "_cluster/clusterrole-ome-k8s-nfs-provisioner.yaml",
        "_cluster/clusterrolebinding-ome-k8s-nfs-provisioner.yaml",
        "_cluster/gatewayclass-ome-envoy.yaml",
        "_cluster/installation-default.yaml",
        "_cluster/storageclass-nfs-client.yaml",
        "envoy-gateway-system/envoyproxy-ome-envoy.yaml",
        "lochy-gateway/gateway-lochy-web.yaml",
        "lochy-gateway/namespace-lochy-gateway.yaml",
        "nfs-provisioner/deployment-nfs-provisioner.yaml",
        "nfs-provisioner/namespace-nfs-provisioner.yaml",
        "nfs-provisioner/role-nfs-provisioner-leader-election.yaml",
        "nfs-provisioner/rolebinding-nfs-provisioner-leader-election.yaml",
        "nfs-provisioner/serviceaccount-nfs-provisioner.yaml",
    ]
    check_core_schemas(objects)
    installation = objects["_cluster/installation-default.yaml"]["spec"]
    assert installation["registry"] == "registry.example.org/mirror/"
    assert installation["calicoNetwork"]["ipPools"][0]["cidr"] == "172.20.0.0/16"

    deployment = objects["nfs-provisioner/deployment-nfs-provisioner.yaml"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2"
    env = {item["name"]: item["value"] for item in container["env"]}
    storage_class = objects["_cluster/storageclass-nfs-client.yaml"]
    assert env == {
        "PROVISIONER_NAME": storage_class["provisioner"],
        "NFS_SERVER": "nfs.lochy.example.org",
        "NFS_PATH": "/export/k8s",
    }
    assert deployment["spec"]["template"]["spec"]["volumes"] == [
        {"name": "nfs-root", "nfs": {"server": "nfs.lochy.example.org", "path": "/export/k8s"}}
    ]
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["parameters"] == {"archiveOnDelete": "false"}
    binding = objects["_cluster/clusterrolebinding-ome-k8s-nfs-provisioner.yaml"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "nfs-provisioner", "namespace": "nfs-provisioner"}
    ]

    gateway = objects["lochy-gateway/gateway-lochy-web.yaml"]
    assert gateway["metadata"]["namespace"] == "lochy-gateway"
    proxy = objects["envoy-gateway-system/envoyproxy-ome-envoy.yaml"]
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    assert service == {"type": "LoadBalancer", "annotations": {"kube-vip.io/loadbalancerIPs": "192.0.2.20"}}


def test_flannel_objects(tmp_path):
    """cluster_addons_cni=flannel: our own objects instead of Calico's, with the pod network and backend given."""
    result, out = run(
        tmp_path,
        cluster_addons_cni="flannel",
        cluster_addons_pod_subnet="172.20.0.0/16",
        cluster_addons_flannel_backend="host-gw",
        cluster_addons_flannel_image="registry.example.org/flannel-io/flannel:v0.28.10",
        cluster_addons_flannel_image_pull_policy="Never",
        cluster_addons_storage_provisioner="none",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    objects = rendered(out)
    flannel = sorted(name for name in objects if "flannel" in name)
    assert flannel == [
        "_cluster/clusterrole-ome-k8s-flannel.yaml",
        "_cluster/clusterrolebinding-ome-k8s-flannel.yaml",
        "kube-flannel/configmap-kube-flannel-cfg.yaml",
        "kube-flannel/daemonset-kube-flannel.yaml",
        "kube-flannel/namespace-kube-flannel.yaml",
        "kube-flannel/serviceaccount-flannel.yaml",
    ]
    check_core_schemas(objects)

    namespace = objects["kube-flannel/namespace-kube-flannel.yaml"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    for name in flannel:
        if objects[name]["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert objects[name]["metadata"]["namespace"] == "kube-flannel", name
    assert json.loads(objects["kube-flannel/configmap-kube-flannel-cfg.yaml"]["data"]["net-conf.json"]) == {
        "Network": "172.20.0.0/16",
        "Backend": {"Type": "host-gw"},
    }
    rules = {resource: sorted(rule["verbs"]) for rule in objects["_cluster/clusterrole-ome-k8s-flannel.yaml"]["rules"]
             for resource in rule["resources"]}  # fmt: skip
    assert rules == {"pods": ["get"], "nodes": ["get", "list", "watch"], "nodes/status": ["patch"]}
    binding = objects["_cluster/clusterrolebinding-ome-k8s-flannel.yaml"]
    assert binding["roleRef"]["name"] == "ome-k8s-flannel"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "flannel", "namespace": "kube-flannel"}]

    pod = objects["kube-flannel/daemonset-kube-flannel.yaml"]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert pod["serviceAccountName"] == "flannel"
    assert pod["priorityClassName"] == "system-node-critical"
    assert {(item["operator"], item["effect"]) for item in pod["tolerations"]} == {
        ("Exists", "NoSchedule"),
        ("Exists", "NoExecute"),
    }
    (container,) = pod["containers"]
    assert container["image"] == "registry.example.org/flannel-io/flannel:v0.28.10"
    assert container["imagePullPolicy"] == "Never"
    assert container["command"] == ["/opt/bin/flanneld"]
    assert container["args"] == ["--ip-masq", "--kube-subnet-mgr"]
    assert {item["name"]: item["valueFrom"]["fieldRef"]["fieldPath"] for item in container["env"]} == {
        "POD_NAME": "metadata.name",
        "POD_NAMESPACE": "metadata.namespace",
    }
    assert container["securityContext"] == {"privileged": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts == {"run": "/run/flannel", "flannel-cfg": "/etc/kube-flannel/", "xtables-lock": "/run/xtables.lock"}
    assert volumes["run"]["hostPath"] == {"path": "/run/flannel", "type": "DirectoryOrCreate"}
    assert volumes["xtables-lock"]["hostPath"] == {"path": "/run/xtables.lock", "type": "FileOrCreate"}
    assert volumes["flannel-cfg"]["configMap"]["name"] == "kube-flannel-cfg"
    # No upstream manifest is downloaded for flannel: render mode leaves out only the Gateway's.
    assert "envoy-gateway-v1.7.2-install.yaml" in result.stdout
    assert "calico-" not in result.stdout


def test_flannel_defaults_take_the_pinned_upstream_image_and_the_former_calico_subnet(tmp_path):
    result, out = run(tmp_path, cluster_addons_cni="flannel", cluster_addons_calico_pod_subnet="10.32.0.0/16")
    assert result.returncode == 0, result.stdout + result.stderr
    objects = rendered(out)
    container = objects["kube-flannel/daemonset-kube-flannel.yaml"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/flannel-io/flannel:v0.28.10"
    assert container["imagePullPolicy"] == "IfNotPresent"
    net_conf = json.loads(objects["kube-flannel/configmap-kube-flannel-cfg.yaml"]["data"]["net-conf.json"])
    assert net_conf == {"Network": "10.32.0.0/16", "Backend": {"Type": "vxlan"}}


TRAEFIK = {
    "cluster_addons_gateway": "traefik",
    "ome_k8s_gateway_proxy_namespace": "traefik",
    "cluster_addons_cni": "flannel",
    "cluster_addons_storage_provisioner": "none",
}


def test_traefik_objects(tmp_path):
    """cluster_addons_gateway=traefik: our Traefik objects, its GatewayClass, listeners on its entryPoints' ports."""
    result, out = run(
        tmp_path,
        **TRAEFIK,
        cluster_addons_traefik_image="registry.example.org/library/traefik:v3.6.12",
        cluster_addons_traefik_image_pull_policy="Never",
        cluster_addons_traefik_http_node_port=31080,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    objects = rendered(out)
    gateway_files = sorted(name for name in objects if "traefik" in name or name.startswith("ome-gateway/"))
    assert gateway_files == [
        "_cluster/clusterrole-ome-k8s-traefik.yaml",
        "_cluster/clusterrolebinding-ome-k8s-traefik.yaml",
        "_cluster/gatewayclass-ome-traefik.yaml",
        "ome-gateway/gateway-ome-gateway.yaml",
        "ome-gateway/httproute-https-redirect.yaml",
        "ome-gateway/namespace-ome-gateway.yaml",
        "traefik/deployment-traefik.yaml",
        "traefik/namespace-traefik.yaml",
        "traefik/service-traefik.yaml",
        "traefik/serviceaccount-traefik.yaml",
    ]
    check_core_schemas(objects)

    namespace = objects["traefik/namespace-traefik.yaml"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for name in ("deployment-traefik", "service-traefik", "serviceaccount-traefik"):
        assert objects["traefik/%s.yaml" % name]["metadata"]["namespace"] == "traefik", name

    gateway_class = objects["_cluster/gatewayclass-ome-traefik.yaml"]
    assert gateway_class["spec"] == {"controllerName": "traefik.io/gateway-controller"}
    gateway = objects["ome-gateway/gateway-ome-gateway.yaml"]
    assert gateway["spec"]["gatewayClassName"] == "ome-traefik"
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    assert (listeners["http"]["protocol"], listeners["http"]["port"]) == ("HTTP", 8000)
    assert (listeners["https"]["protocol"], listeners["https"]["port"]) == ("HTTPS", 8443)

    pod = objects["traefik/deployment-traefik.yaml"]["spec"]["template"]["spec"]
    assert objects["traefik/deployment-traefik.yaml"]["spec"]["replicas"] == 2
    assert pod["serviceAccountName"] == "traefik"
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["image"] == "registry.example.org/library/traefik:v3.6.12"
    assert container["imagePullPolicy"] == "Never"
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    args = container["args"]
    assert "--providers.kubernetesGateway=true" in args
    assert "--global.checkNewVersion=false" in args and "--global.sendAnonymousUsage=false" in args
    assert not [
        arg for arg in args if arg.startswith(("--api", "--providers.kubernetesCRD", "--providers.kubernetesIngress"))
    ]
    # Traefik serves a listener on the entryPoint whose address ends in the listener's port.
    entry_points = {arg.split(".")[1]: int(arg.rsplit(":", 1)[1]) for arg in args if arg.startswith("--entryPoints.")}
    assert entry_points == {"web": 8000, "websecure": 8443, "traefik": 8080}
    container_ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert container_ports == entry_points
    assert container["readinessProbe"]["httpGet"] == {"path": "/ping", "port": "traefik"}

    service = objects["traefik/service-traefik.yaml"]
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["selector"] == pod_labels(objects["traefik/deployment-traefik.yaml"])
    ports = {(port["port"], container_ports[port["targetPort"]], port["nodePort"]) for port in service["spec"]["ports"]}
    assert ports == {(80, listeners["http"]["port"], 31080), (443, listeners["https"]["port"], 30443)}
    assert "annotations" not in service["metadata"]

    rules = {resource: sorted(rule["verbs"]) for rule in objects["_cluster/clusterrole-ome-k8s-traefik.yaml"]["rules"]
             for resource in rule["resources"]}  # fmt: skip
    for resource in ("namespaces", "services", "secrets"):
        assert {"list", "watch"} <= set(rules[resource]), resource
    assert rules["endpointslices"] == ["list", "watch"]
    for resource in ("gatewayclasses", "gateways", "httproutes", "referencegrants"):
        assert rules[resource] == ["get", "list", "watch"], resource
        if resource != "referencegrants":
            assert rules[resource + "/status"] == ["update"], resource
    binding = objects["_cluster/clusterrolebinding-ome-k8s-traefik.yaml"]
    assert binding["roleRef"]["name"] == "ome-k8s-traefik"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "traefik", "namespace": "traefik"}]
    assert "gateway-api-v1.4.1-standard-install.yaml" in result.stdout
    assert "envoy-gateway" not in result.stdout


def pod_labels(deployment):
    return deployment["spec"]["template"]["metadata"]["labels"]


def test_traefik_load_balancer_and_cluster_ip(tmp_path):
    result, out = run(
        tmp_path,
        **TRAEFIK,
        cluster_addons_gateway_service_type="LoadBalancer",
        cluster_addons_gateway_load_balancer_ip="192.0.2.20",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    service = rendered(out)["traefik/service-traefik.yaml"]
    assert service["metadata"]["annotations"] == {"kube-vip.io/loadbalancerIPs": "192.0.2.20"}
    assert [port["nodePort"] for port in service["spec"]["ports"]] == [30080, 30443]

    result, out = run(tmp_path, **TRAEFIK, cluster_addons_gateway_service_type="ClusterIP")
    assert result.returncode == 0, result.stdout + result.stderr
    service = rendered(out)["traefik/service-traefik.yaml"]
    check_core_schemas({"service": service})
    assert service["spec"]["type"] == "ClusterIP"
    assert [sorted(port) for port in service["spec"]["ports"]] == [["name", "port", "protocol", "targetPort"]] * 2


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"cluster_addons_storage_provisioner": "nfs"}, "the required variables cluster_addons_nfs_server"),
        ({"cluster_addons_calico_version": "latest"}, "Add-on versions must be exact release tags"),
        (
            {"cluster_addons_nfs_image": "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:latest"},
            "must carry a tag other than latest",
        ),
        ({"cluster_addons_gateway_load_balancer_ip": "192.0.2.20"}, "needs the type LoadBalancer"),
        ({"cluster_addons_cni": "cilium"}, "value of cluster_addons_cni must be one of: calico, flannel, got: cilium"),
        (
            {"cluster_addons_cni": "flannel", "cluster_addons_flannel_backend": "udp"},
            "value of cluster_addons_flannel_backend must be one of: vxlan, host-gw, got: udp",
        ),
        (
            {"cluster_addons_cni": "flannel", "cluster_addons_pod_subnet": "10.244.0.0"},
            "cluster_addons_pod_subnet an IPv4 CIDR equal to control_plane_pod_subnet (got '10.244.0.0')",
        ),
        ({"cluster_addons_flannel_version": "v0.28"}, "flannel 'v0.28'"),
        (
            {"cluster_addons_flannel_image": "ghcr.io/flannel-io/flannel:latest"},
            "'ghcr.io/flannel-io/flannel:latest'",
        ),
        ({"cluster_addons_local_path_helper_image": "busybox"}, "'busybox',"),
        ({"cluster_addons_local_path_helper_image": "busybox:latest"}, "'busybox:latest',"),
        (
            {"cluster_addons_local_path_image": "rancher/local-path-provisioner:latest"},
            "'rancher/local-path-provisioner:latest'",
        ),
        (
            {"cluster_addons_local_path_image_pull_policy": "Sometimes"},
            "value of cluster_addons_local_path_image_pull_policy must be one of: IfNotPresent, Always, Never",
        ),
        (
            {"cluster_addons_gateway": "traefik"},
            "the Gateway's proxies run in the namespace traefik, but ome_k8s_gateway_proxy_namespace is "
            "'envoy-gateway-system'",
        ),
        (
            dict(TRAEFIK, cluster_addons_traefik_https_node_port=30080),
            "must be two different ports of Kubernetes' default NodePort range 30000-32767 (got 30080 and 30080)",
        ),
        (
            dict(TRAEFIK, cluster_addons_traefik_image="docker.io/library/traefik:latest"),
            "'docker.io/library/traefik:latest'",
        ),
        (
            dict(TRAEFIK, cluster_addons_traefik_image_pull_policy="Sometimes"),
            "value of cluster_addons_traefik_image_pull_policy must be one of: Always, IfNotPresent, Never",
        ),
    ],
    ids=[
        "nfs-without-server",
        "unpinned-calico",
        "latest-image",
        "address-without-load-balancer",
        "unknown-cni",
        "flannel-udp-backend",
        "subnet-not-cidr",
        "unpinned-flannel",
        "latest-flannel-image",
        "untagged-local-path-helper",
        "latest-local-path-helper",
        "latest-local-path-image",
        "unknown-local-path-pull-policy",
        "traefik-behind-envoy-policies",
        "traefik-same-node-ports",
        "latest-traefik-image",
        "traefik-pull-policy",
    ],
)
def test_bad_settings_fail_before_rendering(tmp_path, settings, message):
    result, out = run(tmp_path, **settings)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert message in output
    assert not out.exists()


def test_every_failed_check_is_reported_at_once(tmp_path):
    """Two unrelated problems in one run; the helper image names a registry's port but no tag."""
    result, out = run(
        tmp_path,
        cluster_addons_storage_provisioner="nfs",
        cluster_addons_local_path_helper_image="registry.example.org:5000/library/busybox",
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "the required variables cluster_addons_nfs_server" in output
    assert "must carry a tag other than latest or a digest" in output
    assert "'registry.example.org:5000/library/busybox'," in output
    assert not out.exists()


def test_offline_directory_missing_a_manifest_fails_before_any_apply(tmp_path):
    """Apply mode with cluster_addons_manifest_dir: a missing upstream file is named, with its URL."""
    offline = tmp_path / "offline"
    offline.mkdir()
    result, _unused = run(
        tmp_path,
        render=False,
        cluster_addons_manifest_dir=str(offline),
        cluster_addons_kubeconfig=str(tmp_path / "no-such-kubeconfig"),
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert (
        "cluster_addons_manifest_dir is %s but it has no calico-v3.31.0-operator-crds.yaml, "
        "calico-v3.31.0-tigera-operator.yaml." % offline
    ) in output
    assert "https://raw.githubusercontent.com/projectcalico/calico/v3.31.0/manifests/operator-crds.yaml" in output
    assert "Apply the Calico operator" not in output


ALL_MANIFESTS = {
    "calico-v3.31.0-operator-crds.yaml": (
        "https://raw.githubusercontent.com/projectcalico/calico/v3.31.0/manifests/operator-crds.yaml"
    ),
    "calico-v3.31.0-tigera-operator.yaml": (
        "https://raw.githubusercontent.com/projectcalico/calico/v3.31.0/manifests/tigera-operator.yaml"
    ),
    "local-path-provisioner-v0.0.33.yaml": (
        "https://raw.githubusercontent.com/rancher/local-path-provisioner/v0.0.33/deploy/local-path-storage.yaml"
    ),
    "envoy-gateway-v1.7.2-install.yaml": "https://github.com/envoyproxy/gateway/releases/download/v1.7.2/install.yaml",
}


def test_download_without_checksums_names_every_manifest_before_downloading(tmp_path):
    """Apply mode, manifests by URL, no cluster_addons_manifest_checksums (an upgraded site): refused up front."""
    result, _unused = run(tmp_path, render=False, cluster_addons_kubeconfig=str(tmp_path / "no-such-kubeconfig"))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "cluster_addons_manifest_checksums has no sha256 for %s." % ", ".join(ALL_MANIFESTS) in output
    for url in ALL_MANIFESTS.values():
        assert url in output
    assert "Download the pinned manifests" not in output
    assert not (tmp_path / ".cache").exists()


def test_download_names_only_the_manifests_still_without_checksum(tmp_path):
    """A site that pinned some manifests (here Calico's) is told only about the others; NFS needs no local-path."""
    pinned = {name: "sha256:" + "a" * 64 for name in list(ALL_MANIFESTS)[:2]}
    result, _unused = run(
        tmp_path,
        render=False,
        cluster_addons_manifest_checksums=pinned,
        cluster_addons_storage_provisioner="nfs",
        cluster_addons_nfs_server="nfs.example.org",
        cluster_addons_nfs_path="/export",
        cluster_addons_kubeconfig=str(tmp_path / "no-such-kubeconfig"),
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "cluster_addons_manifest_checksums has no sha256 for envoy-gateway-v1.7.2-install.yaml." in output
    assert "Download the pinned manifests" not in output


def test_checksum_that_is_not_a_sha256_is_refused(tmp_path):
    result, out = run(tmp_path, cluster_addons_manifest_checksums={"envoy-gateway-v1.7.2-install.yaml": "md5:abc"})
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "wrong for envoy-gateway-v1.7.2-install.yaml." in output
    assert not out.exists()


def _offline_dir(tmp_path):
    offline = tmp_path / "offline"
    offline.mkdir()
    for name in ALL_MANIFESTS:
        (offline / name).write_text("# stand-in for %s\n" % name)
    return offline


def test_offline_directory_needs_no_checksums(tmp_path):
    """Air-gapped sites: files of cluster_addons_manifest_dir are used as they are (here up to the apply)."""
    offline = _offline_dir(tmp_path)
    result, _unused = run(
        tmp_path,
        render=False,
        cluster_addons_manifest_dir=str(offline),
        cluster_addons_kubeconfig=str(tmp_path / "no-such-kubeconfig"),
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert "has no sha256" not in output
    assert "Apply the Calico operator and its CRDs" in output


def test_offline_manifest_that_differs_from_its_checksum_fails_before_any_apply(tmp_path):
    offline = _offline_dir(tmp_path)
    crds = "calico-v3.31.0-operator-crds.yaml"
    good = hashlib.sha256((offline / crds).read_bytes()).hexdigest()
    operator = "calico-v3.31.0-tigera-operator.yaml"
    actual = hashlib.sha256((offline / operator).read_bytes()).hexdigest()
    result, _unused = run(
        tmp_path,
        render=False,
        cluster_addons_manifest_dir=str(offline),
        cluster_addons_manifest_checksums={crds: "sha256:" + good, operator: "sha256:" + "0" * 64},
        cluster_addons_kubeconfig=str(tmp_path / "no-such-kubeconfig"),
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert (
        "In %s, %s (sha256:%s) does not match cluster_addons_manifest_checksums." % (offline, operator, actual)
    ) in output
    assert "Apply the Calico operator" not in output


# A stand-in for the upstream deploy/local-path-storage.yaml with the parts the role changes or keeps.
LOCAL_PATH_HELPER_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "helper-pod"},
    "spec": {
        "priorityClassName": "system-node-critical",
        "containers": [{"name": "helper-pod", "image": "busybox", "imagePullPolicy": "IfNotPresent"}],
    },
}
LOCAL_PATH_UPSTREAM = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "local-path-storage"}},
    {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "local-path-provisioner-service-account", "namespace": "local-path-storage"},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "local-path-provisioner", "namespace": "local-path-storage"},
        "spec": {
            "selector": {"matchLabels": {"app": "local-path-provisioner"}},
            "template": {
                "metadata": {"labels": {"app": "local-path-provisioner"}},
                "spec": {
                    "containers": [
                        {
                            "name": "local-path-provisioner",
                            "image": "rancher/local-path-provisioner:v0.0.33",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["local-path-provisioner", "start", "--config", "/etc/config/config.json"],
                        }
                    ]
                },
            },
        },
    },
    {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "local-path"},
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
    },
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "local-path-config", "namespace": "local-path-storage"},
        "data": {
            "config.json": '{"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["/opt"]}]}',
            "setup": '#!/bin/sh\nmkdir -m 0777 -p "$VOL_DIR"\n',
            "teardown": '#!/bin/sh\nrm -rf "$VOL_DIR"\n',
            "helperPod.yaml": yaml.safe_dump(LOCAL_PATH_HELPER_POD),
        },
    },
]


def local_path_objects(tmp_path, **settings):
    """The objects the role applies for local-path, from the stand-in manifest in cluster_addons_manifest_dir."""
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "local-path-provisioner-v0.0.33.yaml").write_text(yaml.safe_dump_all(LOCAL_PATH_UPSTREAM))
    out = tmp_path / "local-path.json"
    result, _unused = run(
        tmp_path,
        render=False,
        playbook=LOCAL_PATH_PLAYBOOK,
        cluster_addons_manifest_dir=str(offline),
        test_local_path_out=str(out),
        **settings,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    objects = json.loads(out.read_text())
    for obj in objects:
        if obj["apiVersion"] in CORE_GROUPS:
            for version in VALIDATE_VERSIONS:
                kubernetes_validate.validate(obj, version, strict=True)
    return objects


def test_local_path_keeps_upstream_objects_and_pins_the_helper_image(tmp_path):
    """Defaults: upstream's provisioner image and scripts, our path and class, busybox pinned to a release."""
    objects = local_path_objects(tmp_path)
    kinds = [obj["kind"] for obj in objects]
    assert kinds == ["Namespace", "ServiceAccount", "ConfigMap", "Deployment", "StorageClass"]
    # Labels of ours (a Namespace applied without any field of ours changes on every run) and the
    # privileged level the helper pods' host paths need.
    assert objects[0]["metadata"]["labels"] == {
        "app.kubernetes.io/part-of": "ome-k8s-cluster",
        "app.kubernetes.io/managed-by": "ome.k8s",
        "pod-security.kubernetes.io/enforce": "privileged",
    }
    config, deployment, storage_class = objects[2:]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container == LOCAL_PATH_UPSTREAM[2]["spec"]["template"]["spec"]["containers"][0]
    assert config["data"]["setup"] == LOCAL_PATH_UPSTREAM[4]["data"]["setup"]
    assert config["data"]["teardown"] == LOCAL_PATH_UPSTREAM[4]["data"]["teardown"]
    assert json.loads(config["data"]["config.json"]) == {
        "nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["/var/lib/local-path-provisioner"]}]
    }
    helper = yaml.safe_load(config["data"]["helperPod.yaml"])
    assert helper["spec"]["priorityClassName"] == "system-node-critical"
    assert helper["spec"]["containers"] == [
        {"name": "helper-pod", "image": "busybox:1.35.0", "imagePullPolicy": "IfNotPresent"}
    ]
    assert storage_class["reclaimPolicy"] == "Retain"
    assert storage_class["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "ome.k8s"
    # The provisioner reads the helper pod template only at start: its pods carry the template's checksum.
    assert deployment["spec"]["template"]["metadata"] == {
        "labels": {"app": "local-path-provisioner"},
        "annotations": {
            "ome.k8s/helper-pod-sha256": hashlib.sha256(config["data"]["helperPod.yaml"].encode()).hexdigest()
        },
    }


def test_local_path_images_and_pull_policy_from_the_site(tmp_path):
    """An air-gapped site or a mirror: both images and the pull policy of both containers are the site's."""
    objects = local_path_objects(
        tmp_path,
        cluster_addons_local_path_image="registry.example.org/rancher/local-path-provisioner:v0.0.33",
        cluster_addons_local_path_helper_image="registry.example.org/library/busybox:1.35.0",
        cluster_addons_local_path_image_pull_policy="Never",
    )
    by_kind = {obj["kind"]: obj for obj in objects}
    (container,) = by_kind["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.org/rancher/local-path-provisioner:v0.0.33"
    assert container["imagePullPolicy"] == "Never"
    assert container["command"][0] == "local-path-provisioner"
    (helper,) = yaml.safe_load(by_kind["ConfigMap"]["data"]["helperPod.yaml"])["spec"]["containers"]
    assert helper == {
        "name": "helper-pod",
        "image": "registry.example.org/library/busybox:1.35.0",
        "imagePullPolicy": "Never",
    }


def test_traefik_download_needs_the_checksum_of_the_gateway_api_crds(tmp_path):
    """Traefik's one upstream file is the Gateway API's standard-install.yaml, pinned like the others."""
    result, _unused = run(
        tmp_path, render=False, **TRAEFIK, cluster_addons_kubeconfig=str(tmp_path / "no-such-kubeconfig")
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert "cluster_addons_manifest_checksums has no sha256 for gateway-api-v1.4.1-standard-install.yaml." in output
    assert "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.4.1/standard-install.yaml" in output
    assert "envoy-gateway" not in output


LOGGING_FILES = [
    "_cluster/clusterrole-ome-k8s-vlagent.yaml",
    "_cluster/clusterrolebinding-ome-k8s-vlagent.yaml",
    "ome-logging/daemonset-vlagent.yaml",
    "ome-logging/namespace-ome-logging.yaml",
    "ome-logging/networkpolicy-allow-dns.yaml",
    "ome-logging/networkpolicy-default-deny.yaml",
    "ome-logging/networkpolicy-victoria-logs.yaml",
    "ome-logging/networkpolicy-vlagent.yaml",
    "ome-logging/secret-victoria-logs-auth.yaml",
    "ome-logging/service-victoria-logs.yaml",
    "ome-logging/serviceaccount-vlagent.yaml",
    "ome-logging/statefulset-victoria-logs.yaml",
]


def _args(container):
    """vlagent's and victoria-logs' -flag=value arguments as a dict (a bare -flag gives True)."""
    found = {}
    for arg in container["args"]:
        name, _sep, value = arg.lstrip("-").partition("=")
        found[name] = value if _sep else True
    return found


def test_logging_collector_and_store(tmp_path):
    """cluster_addons_logging: vlagent on every node reading the pod logs into one VictoriaLogs with a volume."""
    result, out = run(tmp_path, cluster_addons_logging=True)
    assert result.returncode == 0, result.stdout + result.stderr
    objects = rendered(out)
    assert sorted(name for name in objects if "vlagent" in name or name.startswith("ome-logging/")) == LOGGING_FILES
    check_core_schemas(objects)
    namespace = objects["ome-logging/namespace-ome-logging.yaml"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"

    # The collector: every node (control plane included), the node's log directories read-only, its positions
    # and buffer in a node directory, no capability, the store's password from the Secret's file.
    daemonset = objects["ome-logging/daemonset-vlagent.yaml"]
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"operator": "Exists", "effect": "NoSchedule"}]
    assert pod["serviceAccountName"] == "vlagent"
    assert "hostNetwork" not in pod  # vlagent finds its node through its pod, named by the host name
    (collector,) = pod["containers"]
    assert collector["image"] == "docker.io/victoriametrics/vlagent:v1.52.2"
    assert collector["imagePullPolicy"] == "IfNotPresent"
    assert _args(collector) == {
        "kubernetesCollector": True,
        "kubernetesCollector.includePodLabels": "true",
        "tmpDataPath": "/var/lib/vlagent",
        "remoteWrite.url": "http://victoria-logs.ome-logging.svc:9428/insert/native",
        "remoteWrite.maxDiskUsagePerURL": "1GiB",
        "remoteWrite.basicAuth.username": "logs",
        "remoteWrite.basicAuth.passwordFile": "/etc/vlagent/auth/password",
        "httpListenAddr": ":9429",
    }
    assert collector["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert collector["resources"]["limits"]["memory"] == "256Mi"
    mounts = {mount["mountPath"]: mount for mount in collector["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    host_paths = {path: volumes[mount["name"]].get("hostPath") for path, mount in mounts.items()}
    assert host_paths == {
        "/var/log/containers": {"path": "/var/log/containers", "type": "Directory"},
        "/var/log/pods": {"path": "/var/log/pods", "type": "Directory"},
        "/var/lib/vlagent": {"path": "/var/lib/ome-k8s/vlagent", "type": "DirectoryOrCreate"},
        "/etc/vlagent/auth": None,
    }
    assert [path for path, mount in mounts.items() if not mount.get("readOnly")] == ["/var/lib/vlagent"]
    assert volumes["auth"]["secret"]["secretName"] == "victoria-logs-auth"

    # Read-only access to what vlagent reads: its pod, its node, the node's pods and the namespaces.
    rules = objects["_cluster/clusterrole-ome-k8s-vlagent.yaml"]["rules"]
    assert {resource: sorted(rule["verbs"]) for rule in rules for resource in rule["resources"]} == {
        "pods": ["get", "list", "watch"],
        "nodes": ["get"],
        "namespaces": ["list"],
    }
    assert all(rule["apiGroups"] == [""] for rule in rules)
    binding = objects["_cluster/clusterrolebinding-ome-k8s-vlagent.yaml"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "vlagent", "namespace": "ome-logging"}]

    # The store: one pod with its volume, the retention, basic authentication from the Secret's file.
    statefulset = objects["ome-logging/statefulset-victoria-logs.yaml"]
    pod = statefulset["spec"]["template"]["spec"]
    (store,) = pod["containers"]
    assert store["image"] == "docker.io/victoriametrics/victoria-logs:v1.52.2"
    assert _args(store) == {
        "storageDataPath": "/victoria-logs-data",
        "retentionPeriod": "30d",
        "retention.maxDiskUsagePercent": "80",
        "httpListenAddr": ":9428",
        "httpAuth.username": "logs",
        "httpAuth.password": "file:///etc/victoria-logs/auth/password",
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert store["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert "storageClassName" not in claim["spec"]
    assert {m["name"]: m["mountPath"] for m in store["volumeMounts"]}["data"] == "/victoria-logs-data"
    service = objects["ome-logging/service-victoria-logs.yaml"]
    assert service["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]
    assert service["spec"]["type"] == "ClusterIP"
    secret = objects["ome-logging/secret-victoria-logs-auth.yaml"]
    assert secret["stringData"] == {"password": "<redacted>"}

    # No route unless the site names a host; the store takes lines only from the collectors.
    assert not [name for name in objects if name.startswith("ome-logging/httproute-")]
    policy = objects["ome-logging/networkpolicy-victoria-logs.yaml"]["spec"]
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "vlagent"}}}],
            "ports": [{"protocol": "TCP", "port": 9428}],
        }
    ]
    egress = objects["ome-logging/networkpolicy-vlagent.yaml"]["spec"]["egress"]
    assert [rule["ports"] for rule in egress] == [
        [{"protocol": "TCP", "port": 9428}],
        [{"protocol": "TCP", "port": 6443}],
    ]


def test_logging_site_settings_route_and_password_never_written(tmp_path):
    """A site's retention, volume, images and resources; a host name routes /select/ through the Gateway (here
    Traefik's); a password the site gives reaches no file and no output."""
    password = "site-given-Logs-password-4711"
    result, out = run(
        tmp_path,
        **TRAEFIK,
        cluster_addons_logging=True,
        cluster_addons_logging_namespace="site-logs",
        cluster_addons_logging_retention="8w",
        cluster_addons_logging_max_disk_usage_percent=70,
        cluster_addons_logging_storage_size="50Gi",
        cluster_addons_logging_storage_class="fast-ssd",
        cluster_addons_logging_store_image="registry.example.org/victoriametrics/victoria-logs:v1.52.2",
        cluster_addons_logging_collector_image="registry.example.org/victoriametrics/vlagent:v1.52.2",
        cluster_addons_logging_image_pull_policy="Never",
        cluster_addons_logging_store_resources={
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "1Gi"},
        },
        cluster_addons_logging_collector_buffer="500MB",
        cluster_addons_logging_api_server_port=8443,
        cluster_addons_logging_password=password,
        cluster_addons_logging_hostname="logs.lochy.example.org",
        ome_k8s_gateway_listeners=["https"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert password not in result.stdout + result.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(), path
    objects = rendered(out)
    check_core_schemas(objects)
    statefulset = objects["site-logs/statefulset-victoria-logs.yaml"]
    (store,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert store["image"] == "registry.example.org/victoriametrics/victoria-logs:v1.52.2"
    assert store["imagePullPolicy"] == "Never"
    assert store["resources"]["limits"] == {"memory": "1Gi"}
    assert _args(store)["retentionPeriod"] == "8w"
    assert _args(store)["retention.maxDiskUsagePercent"] == "70"
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "fast-ssd"
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    (collector,) = objects["site-logs/daemonset-vlagent.yaml"]["spec"]["template"]["spec"]["containers"]
    assert collector["image"] == "registry.example.org/victoriametrics/vlagent:v1.52.2"
    assert collector["imagePullPolicy"] == "Never"
    assert _args(collector)["remoteWrite.url"] == "http://victoria-logs.site-logs.svc:9428/insert/native"
    assert _args(collector)["remoteWrite.maxDiskUsagePerURL"] == "500MB"
    egress = objects["site-logs/networkpolicy-vlagent.yaml"]["spec"]["egress"]
    assert egress[1]["ports"] == [{"protocol": "TCP", "port": 8443}]

    route = objects["site-logs/httproute-victoria-logs.yaml"]
    assert route["spec"]["hostnames"] == ["logs.lochy.example.org"]
    assert route["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "ome-gateway",
            "namespace": "ome-gateway",
            "sectionName": "https",
        }
    ]
    (rule,) = route["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/select/"}}]
    assert rule["backendRefs"][0]["name"] == "victoria-logs" and rule["backendRefs"][0]["port"] == 9428
    # ... and the store lets in the Gateway's proxies, here Traefik's namespace.
    peers = objects["site-logs/networkpolicy-victoria-logs.yaml"]["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}} in peers
    summary = (out / "SUMMARY.md").read_text()
    assert "HTTPRoute logs.lochy.example.org via Gateway ome-gateway/ome-gateway listener https" in summary


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"cluster_addons_logging_retention": "30m"},
            "number of days, weeks or years such as 30d, 8w or 1y (got '30m')",
        ),
        ({"cluster_addons_logging_max_disk_usage_percent": 0}, "a percentage from 1 to 100 (got '0')"),
        ({"cluster_addons_logging_storage_size": "lots"}, "cluster_addons_logging_storage_size must be a quantity"),
        ({"cluster_addons_logging_collector_buffer": "1G"}, "a size such as 1GiB or 500MB (got '1G')"),
        ({"cluster_addons_logging_collector_state_dir": "var/lib/vlagent"}, "an absolute directory of the nodes"),
        (
            {"cluster_addons_logging_store_image": "docker.io/victoriametrics/victoria-logs:latest"},
            "'docker.io/victoriametrics/victoria-logs:latest'",
        ),
        ({"cluster_addons_logging_version": "1.52"}, "a release tag such as v1.52.2 (got '1.52')"),
        (
            {"cluster_addons_logging_namespace": "Logs"},
            "cluster_addons_logging_namespace must be a DNS label (got 'Logs')",
        ),
        ({"cluster_addons_logging_hostname": "Logs_Host"}, "a lower-case DNS host name (got 'Logs_Host')"),
        ({"cluster_addons_logging_username": "ad:min"}, "letters, digits, '.', '_' or '-' (got 'ad:min')"),
        (
            {"cluster_addons_logging_password": "sh0rt-Pw"},
            "cluster_addons_logging_password empty (generated) or at least 16",
        ),
        ({"cluster_addons_logging_collector_resources": {"requests": {"cpu": "10m"}}}, "must each set limits.memory"),
        (
            {"cluster_addons_logging_image_pull_policy": "Sometimes"},
            "value of cluster_addons_logging_image_pull_policy must be one of: IfNotPresent, Always, Never",
        ),
    ],
    ids=[
        "retention-minutes",
        "disk-percent-zero",
        "storage-size",
        "buffer-unit",
        "relative-state-dir",
        "latest-store-image",
        "version-not-a-tag",
        "namespace",
        "hostname",
        "username-colon",
        "short-password",
        "no-memory-limit",
        "pull-policy",
    ],
)
def test_bad_logging_settings_fail_before_rendering(tmp_path, settings, message):
    result, out = run(tmp_path, cluster_addons_logging=True, **settings)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert message in output
    assert not out.exists()
    # A refused password is not echoed either.
    assert "sh0rt-Pw" not in output
