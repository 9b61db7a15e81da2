# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each invariant holds on a small good object set and is broken by a targeted change."""

from __future__ import annotations

import copy

import invariants
import pytest


def _container(name, image, port, port_name, env=None, **extra):
    c = {
        "name": name,
        "image": image,
        "ports": [{"containerPort": port, "name": port_name}],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "readinessProbe": {"tcpSocket": {"port": port}},
        "livenessProbe": {"tcpSocket": {"port": port}},
    }
    if env:
        c["env"] = env
    c.update(extra)
    return c


def _labels(name, component):
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}


def _workload(kind, name, component, container, volumes=None, **spec):
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "selector": {"matchLabels": _labels(name, component)},
            "template": {
                "metadata": {"labels": _labels(name, component)},
                "spec": {"containers": [container], **({"volumes": volumes} if volumes else {})},
            },
            **spec,
        },
    }


def _service(name, component, target):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"selector": _labels(name, component), "ports": [{"port": 80, "targetPort": target}]},
    }


def _policy(name, component, from_labels):
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "podSelector": {"matchLabels": _labels(name, component)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": from_labels}}]}],
        },
    }


def good_objects():
    secret_env = [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}}},
        {"name": "LOG_LEVEL", "value": "info"},
    ]
    web = _container("web", "nginx:1.27.3", 8080, "http", env=secret_env, envFrom=[{"configMapRef": {"name": "cfg"}}])
    web["volumeMounts"] = [{"name": "data", "mountPath": "/data"}, {"name": "conf", "mountPath": "/conf"}]
    db = _container("postgres", "postgres:17.2-bookworm", 5432, "postgresql")
    db["volumeMounts"] = [{"name": "pgdata", "mountPath": "/var/lib/postgresql/data"}]
    cache = _container("redis", "redis:7.4.2-alpine", 6379, "redis")
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "demo", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-credentials", "namespace": "demo"},
            "stringData": {"password": "<redacted>"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "demo"},
            "data": {"LOG_FORMAT": "json", "app.conf": "listen = 8080\npassword_file = /run/secrets/db\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "web-data", "namespace": "demo"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
        _workload(
            "Deployment",
            "web",
            "server",
            web,
            volumes=[
                {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}},
                {"name": "conf", "projected": {"sources": [{"secret": {"name": "db-credentials"}}]}},
            ],
        ),
        _service("web", "server", "http"),
        _workload(
            "StatefulSet",
            "db",
            "database",
            db,
            volumeClaimTemplates=[{"metadata": {"name": "pgdata"}, "spec": {}}],
        ),
        _service("db", "database", 5432),
        _policy("db", "database", _labels("web", "server")),
        _workload("Deployment", "cache", "cache", cache),
        _service("cache", "cache", "redis"),
        _policy("cache", "cache", {"app.kubernetes.io/name": "web"}),
        _route(),
    ]
    return _with_secret_versions(objects)


def _with_secret_versions(objects):
    _find(objects, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"] = {
        invariants.SECRET_VERSIONS: '{"db-credentials": "<resourceVersion>"}'
    }
    return objects


def _route():
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "parentRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw", "sectionName": "https"}
            ],
            "hostnames": ["web.example.org"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"group": "", "kind": "Service", "name": "web", "port": 80}],
                    "timeouts": {"request": "60s"},
                }
            ],
        },
    }


def _find(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _pod(objects, kind, name):
    return _find(objects, kind, name)["spec"]["template"]["spec"]


def test_good_set_has_no_violation():
    assert invariants.check_all(good_objects()) == []


def _svc_selects_nothing(o):
    _find(o, "Service", "web")["spec"]["selector"]["app.kubernetes.io/name"] = "nope"


def _svc_other_namespace(o):
    _find(o, "Service", "web")["metadata"]["namespace"] = "elsewhere"


def _bad_port_name(o):
    _find(o, "Service", "web")["spec"]["ports"][0]["targetPort"] = "https"


def _bad_port_number(o):
    _find(o, "Service", "db")["spec"]["ports"][0]["targetPort"] = 5433


def _default_target_port(o):
    del _find(o, "Service", "db")["spec"]["ports"][0]["targetPort"]  # falls back to port 80


def _missing_secret(o):
    o.remove(_find(o, "Secret", "db-credentials"))


def _missing_secret_key(o):
    _pod(o, "Deployment", "web")["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["key"] = "pass"


def _missing_configmap(o):
    _find(o, "ConfigMap", "cfg")["metadata"]["name"] = "cfg2"


def _missing_pvc(o):
    o.remove(_find(o, "PersistentVolumeClaim", "web-data"))


def _missing_projected_secret(o):
    _pod(o, "Deployment", "web")["volumes"][1]["projected"]["sources"][0]["secret"]["name"] = "other"


def _undefined_mount(o):
    _pod(o, "StatefulSet", "db")["containers"][0]["volumeMounts"][0]["name"] = "pgdata2"


def _literal_env_password(o):
    _pod(o, "Deployment", "web")["containers"][0]["env"].append({"name": "ADMIN_PASSWORD", "value": "hunter2"})


def _literal_env_api_key(o):
    _pod(o, "Deployment", "web")["containers"][0]["env"].append({"name": "API_KEY", "value": "abc"})


def _configmap_token_key(o):
    _find(o, "ConfigMap", "cfg")["data"]["GITHUB_TOKEN"] = "ghp_x"


def _configmap_secret_line(o):
    _find(o, "ConfigMap", "cfg")["data"]["app.conf"] += "db_password = hunter2\n"


def _no_limits(o):
    del _pod(o, "Deployment", "web")["containers"][0]["resources"]["limits"]


def _no_requests(o):
    _pod(o, "StatefulSet", "db")["containers"][0]["resources"] = {}


def _root(o):
    _pod(o, "Deployment", "web")["containers"][0]["securityContext"]["runAsNonRoot"] = False


def _uid0(o):
    _pod(o, "Deployment", "web")["securityContext"] = {"runAsUser": 0}


def _escalation(o):
    del _pod(o, "Deployment", "cache")["containers"][0]["securityContext"]["allowPrivilegeEscalation"]


def _namespace_baseline(o):
    _find(o, "Namespace", "demo")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"


def _no_seccomp(o):
    del _pod(o, "Deployment", "web")["containers"][0]["securityContext"]["seccompProfile"]


def _caps_kept(o):
    _pod(o, "Deployment", "web")["containers"][0]["securityContext"]["capabilities"] = {"drop": ["NET_RAW"]}


def _caps_added(o):
    _pod(o, "Deployment", "web")["containers"][0]["securityContext"]["capabilities"]["add"] = ["SYS_ADMIN"]


def _host_path(o):
    _pod(o, "Deployment", "web")["volumes"].append({"name": "host", "hostPath": {"path": "/"}})


def _host_network(o):
    _pod(o, "Deployment", "web")["hostNetwork"] = True


def _no_readiness(o):
    del _pod(o, "Deployment", "web")["containers"][0]["readinessProbe"]


def _no_liveness(o):
    del _pod(o, "StatefulSet", "db")["containers"][0]["livenessProbe"]


def _root_init_container(o):
    _pod(o, "StatefulSet", "db")["initContainers"] = [
        {"name": "init", "image": "busybox:1.37", "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}}
    ]


def _latest(o):
    _pod(o, "Deployment", "web")["containers"][0]["image"] = "nginx:latest"


def _untagged(o):
    _pod(o, "Deployment", "cache")["containers"][0]["image"] = "registry.example.org:5000/redis"


def _no_db_policy(o):
    o.remove(_find(o, "NetworkPolicy", "db"))


def _only_default_deny(o):
    _no_db_policy(o)
    deny = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    o.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "demo"},
            "spec": deny,
        }
    )


def _open_policy(o):
    _find(o, "NetworkPolicy", "db")["spec"]["ingress"] = [{}]


def _empty_peer(o):
    _find(o, "NetworkPolicy", "cache")["spec"]["ingress"][0]["from"] = [{"podSelector": {}}]


def _ip_block(o):
    _find(o, "NetworkPolicy", "cache")["spec"]["ingress"][0]["from"] = [{"ipBlock": {"cidr": "10.0.0.0/8"}}]


def _peer_matches_nothing(o):
    _find(o, "NetworkPolicy", "db")["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] = {"x": "y"}


def _egress_only_policy(o):
    _find(o, "NetworkPolicy", "db")["spec"]["policyTypes"] = ["Egress"]


def _route_rule(o):
    return _find(o, "HTTPRoute", "web")["spec"]["rules"][0]


def _route_unknown_field(o):
    _route_rule(o)["backendRef"] = _route_rule(o).pop("backendRefs")


def _route_missing_service(o):
    _route_rule(o)["backendRefs"][0]["name"] = "webb"


def _route_wrong_port(o):
    _route_rule(o)["backendRefs"][0]["port"] = 8080


def _route_bad_timeout(o):
    _route_rule(o)["timeouts"]["request"] = "60 seconds"


def _route_bad_path_type(o):
    _route_rule(o)["matches"][0]["path"]["type"] = "Prefix"


def _route_no_parent(o):
    _find(o, "HTTPRoute", "web")["spec"]["parentRefs"] = []


def _route_bad_hostname(o):
    _find(o, "HTTPRoute", "web")["spec"]["hostnames"] = ["Web_Server.example.org"]


def _no_ingress_rules(o):
    _find(o, "NetworkPolicy", "cache")["spec"]["ingress"] = []


def _no_secret_versions(o):
    del _find(o, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"]


def _secret_versions_not_json(o):
    _find(o, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"][invariants.SECRET_VERSIONS] = "3"


def _secret_read_without_version(o):
    # The cache starts reading a rendered Secret that its template does not name.
    _pod(o, "Deployment", "cache")["containers"][0]["envFrom"] = [{"secretRef": {"name": "db-credentials"}}]
    _find(o, "Deployment", "cache")["spec"]["template"]["metadata"]["annotations"] = {
        invariants.SECRET_VERSIONS: '{"other": "7"}'
    }


BREAKAGES = [
    ("services_select_workloads", _svc_selects_nothing, "matches no workload"),
    ("services_select_workloads", _svc_other_namespace, "matches no workload"),
    ("service_target_ports", _bad_port_name, "targets 'https'"),
    ("service_target_ports", _bad_port_number, "targets 5433"),
    ("service_target_ports", _default_target_port, "targets 80"),
    ("references_exist", _missing_secret, "missing Secret db-credentials"),
    ("references_exist", _missing_secret_key, "key 'pass' missing"),
    ("references_exist", _missing_configmap, "missing ConfigMap cfg"),
    ("references_exist", _missing_pvc, "missing PersistentVolumeClaim web-data"),
    ("references_exist", _missing_projected_secret, "missing Secret other"),
    ("references_exist", _undefined_mount, "undefined volume pgdata2"),
    ("no_secret_material", _literal_env_password, "ADMIN_PASSWORD has a literal value"),
    ("no_secret_material", _literal_env_api_key, "API_KEY has a literal value"),
    ("no_secret_material", _configmap_token_key, "'GITHUB_TOKEN' looks like a secret"),
    ("no_secret_material", _configmap_secret_line, "'db_password'"),
    ("container_hardening", _no_limits, "no resources.limits"),
    ("container_hardening", _no_requests, "no resources.requests"),
    ("container_hardening", _root, "runAsNonRoot"),
    ("container_hardening", _uid0, "uid 0"),
    ("container_hardening", _escalation, "allowPrivilegeEscalation"),
    ("container_hardening", _no_readiness, "no readinessProbe"),
    ("container_hardening", _no_liveness, "no livenessProbe"),
    ("container_hardening", _root_init_container, "initContainer init does not set runAsNonRoot"),
    ("pod_security_restricted", _namespace_baseline, "Namespace/demo does not enforce Pod Security restricted"),
    ("pod_security_restricted", _no_seccomp, "seccompProfile None"),
    ("pod_security_restricted", _caps_kept, "does not drop ALL capabilities"),
    ("pod_security_restricted", _caps_added, "adds capabilities ['SYS_ADMIN']"),
    ("pod_security_restricted", _host_path, "is of type ['hostPath']"),
    ("pod_security_restricted", _host_network, "sets hostNetwork"),
    ("pod_security_restricted", _uid0, "runs as uid 0"),
    ("pod_security_restricted", _escalation, "allowPrivilegeEscalation"),
    ("images_pinned", _latest, "'nginx:latest'"),
    ("images_pinned", _untagged, "registry.example.org:5000/redis"),
    ("network_policies_protect_data", _no_db_policy, "selected by no ingress NetworkPolicy"),
    ("network_policies_protect_data", _egress_only_policy, "selected by no ingress NetworkPolicy"),
    ("network_policies_protect_data", _only_default_deny, "selected by no ingress NetworkPolicy"),
    ("network_policies_protect_data", _open_policy, "admits every source"),
    ("network_policies_protect_data", _empty_peer, "not a non-empty pod selector"),
    ("network_policies_protect_data", _ip_block, "not a non-empty pod selector"),
    ("network_policies_protect_data", _peer_matches_nothing, "matches no pods"),
    ("network_policies_protect_data", _no_ingress_rules, "no ingress rule"),
    ("http_routes_resolve", _route_unknown_field, "unknown field(s) ['backendRef']"),
    ("http_routes_resolve", _route_missing_service, "Service webb does not exist"),
    ("http_routes_resolve", _route_wrong_port, "has no port 8080"),
    ("http_routes_resolve", _route_bad_timeout, "not a Gateway API duration"),
    ("http_routes_resolve", _route_bad_path_type, "path type 'Prefix'"),
    ("http_routes_resolve", _route_no_parent, "no parentRefs"),
    ("secret_readers_restart", _no_secret_versions, "reads Secret(s) ['db-credentials'] but has no JSON object"),
    ("secret_readers_restart", _secret_versions_not_json, "has no JSON object in ome.k8s/secret-versions"),
    ("secret_readers_restart", _secret_read_without_version, "lacks Secret(s) ['db-credentials']"),
    ("http_routes_resolve", _route_bad_hostname, "not a valid DNS name"),
    ("no_empty_lists", _no_ingress_rules, "empty list at spec.ingress"),
]


@pytest.mark.parametrize(("check", "breakage", "expected"), BREAKAGES, ids=[b[1].__name__[1:] for b in BREAKAGES])
def test_each_check_can_fail(check, breakage, expected):
    objects = copy.deepcopy(good_objects())
    breakage(objects)
    violations = invariants.CHECKS[check](objects)
    assert violations, f"{check} did not notice {breakage.__name__}"
    assert any(expected in v for v in violations), violations
    assert any(v.startswith(f"{check}: ") for v in invariants.check_all(objects))


def test_init_containers_need_no_probes_and_jobs_no_probes():
    objects = good_objects()
    init = copy.deepcopy(_pod(objects, "StatefulSet", "db")["containers"][0])
    del init["readinessProbe"], init["livenessProbe"]
    _pod(objects, "StatefulSet", "db")["initContainers"] = [init]
    job_container = copy.deepcopy(init)
    objects.append(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "backup", "namespace": "demo"},
            "spec": {
                "schedule": "0 3 * * *",
                "jobTemplate": {
                    "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [job_container]}}}
                },
            },
        }
    )
    assert invariants.container_hardening(objects) == []


def test_pod_level_run_as_non_root_counts():
    objects = good_objects()
    pod = _pod(objects, "Deployment", "web")
    del pod["containers"][0]["securityContext"]["runAsNonRoot"]
    pod["securityContext"] = {"runAsNonRoot": True, "runAsUser": 101}
    assert invariants.container_hardening(objects) == []


def test_namespace_selector_peers():
    objects = good_objects()
    policy = _find(objects, "NetworkPolicy", "db")
    policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = {
        "matchLabels": {"kubernetes.io/metadata.name": "demo"}
    }
    assert invariants.network_policies_protect_data(objects) == []
    policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] = "x"
    assert "matches no pods" in invariants.network_policies_protect_data(objects)[0]


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"a": "1"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
    ],
)
def test_selector_matches(selector, labels, expected):
    assert invariants.selector_matches(selector, labels) is expected


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("postgres:17.2-bookworm", True),
        ("docker.io/library/redis:7.4.2-alpine", True),
        ("registry:5000/x/y:1.0", True),
        ("nginx@sha256:" + "a" * 64, True),
        ("nginx", False),
        ("nginx:latest", False),
        ("registry:5000/x/y", False),
        ("", False),
    ],
)
def test_image_is_pinned(image, pinned):
    assert invariants.image_is_pinned(image) is pinned


def test_skip_names_are_checked():
    objects = copy.deepcopy(good_objects())
    _latest(objects)
    assert invariants.check_all(objects, skip=["images_pinned"]) == []
    with pytest.raises(ValueError, match="unknown invariant"):
        invariants.check_all(objects, skip=["nope"])
