# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-object invariants of rendered manifests.

Every check takes the list of rendered objects (dicts) and returns a list of violations (strings), so a
test asserts ``check_all(objects) == []`` and sees every problem at once. Each check is proven able to
fail in test_invariants.py.

Workloads are Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob. Containers of Jobs
and CronJobs (run to completion) need no readiness/liveness probes; everything else does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

WORKLOAD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
RUN_TO_COMPLETION = ("Job", "CronJob")
PROTECTED_COMPONENTS = ("database", "cache")
COMPONENT_LABEL = "app.kubernetes.io/component"

# Names that announce a secret: PASSWORD, PASSWD, SECRET, TOKEN anywhere; KEY as a word (API_KEY, SECRET_KEY).
_SECRET_NAME = re.compile(r"pass(word|wd)|secret|token|(^|[_.\-])(api)?key([_.\-]|$)", re.IGNORECASE)
# A `name = value` / `name: value` line of a configuration file whose name announces a secret.
_SECRET_LINE = re.compile(
    r"^\s*(?P<name>[\w.\-]*(pass(word|wd)|secret|token)[\w.\-]*)\s*[:=]\s*(?P<value>\S.*?)\s*$",
    re.IGNORECASE,
)
# Values that are references, not secrets: environment/template placeholders, file paths, booleans.
_NOT_A_LITERAL = re.compile(r"^(['\"]?)(\$|%|\{|<|/|ENV\[|true\b|false\b|null\b|none\b|~|\1$)", re.IGNORECASE)


def _ns(obj: dict) -> str | None:
    return obj.get("metadata", {}).get("namespace")


def _ref(obj: dict) -> str:
    ns = _ns(obj)
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{obj.get('metadata', {}).get('name')}"


def pod_template(obj: dict) -> tuple[dict, dict] | None:
    """(pod labels, pod spec) of a workload, or None for other kinds."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind not in WORKLOAD_KINDS:
        return None
    if kind == "Pod":
        return obj.get("metadata", {}).get("labels") or {}, spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") or {}
    return (template.get("metadata") or {}).get("labels") or {}, template.get("spec") or {}


def workloads(objects: list[dict]) -> Iterator[tuple[dict, dict, dict]]:
    """(workload, pod labels, pod spec) for every workload."""
    for obj in objects:
        tpl = pod_template(obj)
        if tpl is not None:
            yield obj, tpl[0], tpl[1]


def containers(pod_spec: dict, init: bool = True) -> Iterator[tuple[str, dict]]:
    """("container"|"initContainer", container) pairs of a pod spec."""
    if init:
        for c in pod_spec.get("initContainers") or []:
            yield "initContainer", c
    for c in pod_spec.get("containers") or []:
        yield "container", c


def selector_matches(selector: dict | None, labels: dict) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels + matchExpressions); an empty selector matches all."""
    selector = selector or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _selector_empty(selector: dict | None) -> bool:
    return not (selector or {}).get("matchLabels") and not (selector or {}).get("matchExpressions")


def _index(objects: list[dict]) -> dict[tuple[str, str | None, str], dict]:
    return {(o.get("kind"), _ns(o), o.get("metadata", {}).get("name")): o for o in objects}


def services_select_workloads(objects: list[dict]) -> list[str]:
    """Every Service with a selector selects the pods of some workload in its namespace."""
    out = []
    for svc in (o for o in objects if o.get("kind") == "Service"):
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            continue  # ExternalName or manually managed endpoints
        if not any(
            _ns(w) == _ns(svc) and selector_matches({"matchLabels": selector}, labels)
            for w, labels, _unused in workloads(objects)
        ):
            out.append(f"{_ref(svc)}: selector {selector} matches no workload's pods in its namespace")
    return out


def service_target_ports(objects: list[dict]) -> list[str]:
    """Every Service port's targetPort (number or name) is a container port of the selected pods."""
    out = []
    for svc in (o for o in objects if o.get("kind") == "Service"):
        spec = svc.get("spec") or {}
        selector = spec.get("selector")
        if not selector:
            continue
        selected = [
            spec_
            for w, labels, spec_ in workloads(objects)
            if _ns(w) == _ns(svc) and selector_matches({"matchLabels": selector}, labels)
        ]
        if not selected:
            continue  # reported by services_select_workloads
        ports = [p for pod in selected for _unused, c in containers(pod, init=False) for p in c.get("ports") or []]
        numbers = {p.get("containerPort") for p in ports}
        names = {p.get("name") for p in ports if p.get("name")}
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if (isinstance(target, int) and target not in numbers) or (isinstance(target, str) and target not in names):
                out.append(
                    f"{_ref(svc)}: port {port.get('name', port.get('port'))} targets {target!r}, not a container "
                    f"port of the selected pods (numbers {sorted(n for n in numbers if n)}, names {sorted(names)})"
                )
    return out


def _keys(obj: dict) -> set[str]:
    return set(obj.get("data") or {}) | set(obj.get("stringData") or {}) | set(obj.get("binaryData") or {})


def references_exist(objects: list[dict]) -> list[str]:
    """Secrets, ConfigMaps (with the referenced keys) and PVCs referenced by pods exist in their namespace."""
    index = _index(objects)
    out = []

    def need(w: dict, kind: str, name: str, key: str | None, where: str, *, optional: bool = False) -> None:
        if optional:
            return
        target = index.get((kind, _ns(w), name))
        if target is None:
            out.append(f"{_ref(w)}: {where} references missing {kind} {name}")
        elif key is not None and key not in _keys(target):
            out.append(f"{_ref(w)}: {where} references key {key!r} missing from {kind} {name}")

    for w, _unused, pod in workloads(objects):
        for what, c in containers(pod):
            where = f"{what} {c.get('name')}"
            for env in c.get("env") or []:
                vf = env.get("valueFrom") or {}
                for ref_name, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    if ref_name in vf:
                        r = vf[ref_name]
                        need(
                            w,
                            kind,
                            r.get("name"),
                            r.get("key"),
                            f"{where} env {env.get('name')}",
                            optional=r.get("optional"),
                        )
            for ef in c.get("envFrom") or []:
                for ref_name, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                    if ref_name in ef:
                        need(
                            w,
                            kind,
                            ef[ref_name].get("name"),
                            None,
                            f"{where} envFrom",
                            optional=ef[ref_name].get("optional"),
                        )
        claim_templates = {
            t.get("metadata", {}).get("name") for t in (w.get("spec") or {}).get("volumeClaimTemplates") or []
        }
        for vol in pod.get("volumes") or []:
            where = f"volume {vol.get('name')}"
            sources = [vol]
            sources += (vol.get("projected") or {}).get("sources") or []
            for src in sources:
                if "secret" in src:
                    s = src["secret"]
                    name = s.get("secretName", s.get("name"))
                    need(w, "Secret", name, None, where, optional=s.get("optional"))
                    for item in s.get("items") or []:
                        need(w, "Secret", name, item.get("key"), where, optional=s.get("optional"))
                if "configMap" in src:
                    s = src["configMap"]
                    need(w, "ConfigMap", s.get("name"), None, where, optional=s.get("optional"))
                    for item in s.get("items") or []:
                        need(w, "ConfigMap", s.get("name"), item.get("key"), where, optional=s.get("optional"))
            if "persistentVolumeClaim" in vol:
                claim = vol["persistentVolumeClaim"].get("claimName")
                if claim not in claim_templates:
                    need(w, "PersistentVolumeClaim", claim, None, where)
        for what, c in containers(pod):
            for mount in c.get("volumeMounts") or []:
                if mount.get("name") not in {v.get("name") for v in pod.get("volumes") or []} | claim_templates:
                    out.append(f"{_ref(w)}: {what} {c.get('name')} mounts undefined volume {mount.get('name')}")
    return out


def no_secret_material(objects: list[dict]) -> list[str]:
    """No literal secret in a ConfigMap (key names or config-file lines) or in a plain env value."""
    out = []
    for cm in (o for o in objects if o.get("kind") == "ConfigMap"):
        for key, raw in (cm.get("data") or {}).items():
            value = "" if raw is None else str(raw)
            if _SECRET_NAME.search(key) and value.strip() and "\n" not in value.strip():
                out.append(f"{_ref(cm)}: key {key!r} looks like a secret with a literal value")
            for line in value.splitlines():
                m = _SECRET_LINE.match(line)
                if m and not _NOT_A_LITERAL.match(m.group("value")):
                    out.append(f"{_ref(cm)}: key {key!r} has a literal secret-looking setting {m.group('name')!r}")
    for w, _unused, pod in workloads(objects):
        for what, c in containers(pod):
            for env in c.get("env") or []:
                if _SECRET_NAME.search(env.get("name", "")) and str(env.get("value") or "").strip():
                    out.append(f"{_ref(w)}: {what} {c.get('name')} env {env['name']} has a literal value")
    return out


def container_hardening(objects: list[dict]) -> list[str]:
    """Requests and limits, non-root, no privilege escalation; readiness and liveness probes on long-running
    containers (not on init containers, nor on Job/CronJob containers)."""
    out = []
    for w, _unused, pod in workloads(objects):
        pod_sc = pod.get("securityContext") or {}
        for what, c in containers(pod):
            where = f"{_ref(w)}: {what} {c.get('name')}"
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                if not res.get(part):
                    out.append(f"{where} has no resources.{part}")
            sc = c.get("securityContext") or {}
            if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                out.append(f"{where} does not set runAsNonRoot: true")
            if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
                out.append(f"{where} runs as uid 0")
            if sc.get("allowPrivilegeEscalation") is not False:
                out.append(f"{where} does not set allowPrivilegeEscalation: false")
            if sc.get("privileged"):
                out.append(f"{where} is privileged")
            if what == "container" and w.get("kind") not in RUN_TO_COMPLETION:
                for probe in ("readinessProbe", "livenessProbe"):
                    if not c.get(probe):
                        out.append(f"{where} has no {probe}")
    return out


# Volume types the Pod Security "restricted" profile admits.
_RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def pod_security_restricted(objects: list[dict]) -> list[str]:
    """Every pod passes the Pod Security Standard "restricted" (Kubernetes' pod-security-standards page), and
    every Namespace rendered enforces it."""
    out = []
    for o in objects:
        if o.get("kind") == "Namespace":
            labels = o["metadata"].get("labels") or {}
            if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
                out.append(f"{_ref(o)} does not enforce Pod Security restricted")
    for w, _unused, pod in workloads(objects):
        pod_sc = pod.get("securityContext") or {}
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(field):
                out.append(f"{_ref(w)} sets {field}")
        for v in pod.get("volumes") or []:
            kinds = set(v) - {"name"}
            if not kinds <= _RESTRICTED_VOLUMES:
                out.append(f"{_ref(w)}: volume {v.get('name')} is of type {sorted(kinds - _RESTRICTED_VOLUMES)}")
        for what, c in containers(pod):
            where = f"{_ref(w)}: {what} {c.get('name')}"
            sc = c.get("securityContext") or {}
            if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                out.append(f"{where} does not set runAsNonRoot: true")
            if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
                out.append(f"{where} runs as uid 0")
            seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                out.append(f"{where} has seccompProfile {seccomp!r}, not RuntimeDefault")
            caps = sc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                out.append(f"{where} does not drop ALL capabilities")
            if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
                out.append(f"{where} adds capabilities {sorted(set(caps['add']) - {'NET_BIND_SERVICE'})}")
            if sc.get("allowPrivilegeEscalation") is not False:
                out.append(f"{where} does not set allowPrivilegeEscalation: false")
            if sc.get("privileged"):
                out.append(f"{where} is privileged")
            if any(p.get("hostPort") for p in c.get("ports") or []):
                out.append(f"{where} uses a hostPort")
    return out


def image_is_pinned(image: str) -> bool:
    """True when the image names a tag other than latest, or a digest."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.rsplit(":", 1)[1]
    return bool(tag) and tag != "latest"


def images_pinned(objects: list[dict]) -> list[str]:
    """Every container image has a pinned tag (no ``latest``, no missing tag)."""
    return [
        f"{_ref(w)}: {what} {c.get('name')} image {c.get('image')!r} is not pinned to a tag"
        for w, _unused, pod in workloads(objects)
        for what, c in containers(pod)
        if not image_is_pinned(str(c.get("image") or ""))
    ]


def _namespace_labels(objects: list[dict], namespaces: set[str]) -> dict[str, dict]:
    labels = {ns: {"kubernetes.io/metadata.name": ns} for ns in namespaces}
    for o in objects:
        if o.get("kind") == "Namespace":
            name = o["metadata"]["name"]
            labels[name] = {**(o["metadata"].get("labels") or {}), "kubernetes.io/metadata.name": name}
    return labels


def network_policies_protect_data(objects: list[dict]) -> list[str]:
    """Pods labelled component=database or =cache are selected by a NetworkPolicy with ingress rules whose
    ``from`` peers are all non-empty pod selectors that match pods which exist."""
    out = []
    pods = [(w, labels) for w, labels, _unused in workloads(objects)]
    namespaces = {_ns(w) for w, _unused in pods if _ns(w)}
    ns_labels = _namespace_labels(objects, namespaces)
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
    for w, labels in pods:
        if labels.get(COMPONENT_LABEL) not in PROTECTED_COMPONENTS:
            continue
        mine = [
            p
            for p in policies
            if _ns(p) == _ns(w)
            and selector_matches((p.get("spec") or {}).get("podSelector"), labels)
            and "Ingress" in ((p.get("spec") or {}).get("policyTypes") or ["Ingress"])
            # A namespace's default deny (every pod, no rule) admits nothing: it is no allow-list.
            and not (
                _selector_empty((p.get("spec") or {}).get("podSelector")) and not (p.get("spec") or {}).get("ingress")
            )
        ]
        if not mine:
            out.append(f"{_ref(w)}: {labels.get(COMPONENT_LABEL)} pods are selected by no ingress NetworkPolicy")
            continue
        for p in mine:
            rules = (p.get("spec") or {}).get("ingress") or []
            if not rules:
                out.append(f"{_ref(p)}: no ingress rule, so no client can reach {_ref(w)}")
            for i, rule in enumerate(rules):
                peers = rule.get("from") or []
                if not peers:
                    out.append(f"{_ref(p)}: ingress rule {i} has no 'from', so it admits every source")
                for peer in peers:
                    if "ipBlock" in peer or _selector_empty(peer.get("podSelector")):
                        out.append(f"{_ref(p)}: ingress rule {i} peer {peer} is not a non-empty pod selector")
                        continue
                    if "namespaceSelector" in peer:
                        in_ns = {n for n, nl in ns_labels.items() if selector_matches(peer["namespaceSelector"], nl)}
                    else:
                        in_ns = {_ns(p)}
                    if not any(_ns(cw) in in_ns and selector_matches(peer["podSelector"], cl) for cw, cl in pods):
                        out.append(f"{_ref(p)}: ingress rule {i} peer {peer['podSelector']} matches no pods")
    return out


# kubernetes-validate has no schema for Gateway API kinds (they are custom resources), so HTTPRoutes get
# this check instead: the fields these roles use, in the places the HTTPRoute v1 API defines them (an
# unknown or misplaced field is reported, as --strict would), and references that resolve.
_ROUTE_FIELDS = {
    "spec": {"parentRefs", "hostnames", "rules"},
    "parentRef": {"group", "kind", "namespace", "name", "sectionName", "port"},
    "rule": {"name", "matches", "filters", "backendRefs", "timeouts", "retry", "sessionPersistence"},
    "match": {"path", "headers", "queryParams", "method"},
    "path": {"type", "value"},
    "backendRef": {"group", "kind", "namespace", "name", "port", "weight", "filters"},
    "timeouts": {"request", "backendRequest"},
}
_PATH_TYPES = {"Exact", "PathPrefix", "RegularExpression"}
_GATEWAY_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _unknown(where: str, obj: dict, kind: str) -> list[str]:
    extra = sorted(set(obj) - _ROUTE_FIELDS[kind])
    return [f"{where}: unknown field(s) {extra}"] if extra else []


def http_routes_resolve(objects: list[dict]) -> list[str]:
    """Every HTTPRoute is well formed, attaches to a Gateway and sends traffic to an existing Service port."""
    out = []
    services = {(_ns(o), o["metadata"]["name"]): o for o in objects if o.get("kind") == "Service"}
    for route in (o for o in objects if o.get("kind") == "HTTPRoute"):
        ref = _ref(route)
        if route.get("apiVersion") != "gateway.networking.k8s.io/v1":
            out.append(f"{ref}: apiVersion {route.get('apiVersion')!r} is not gateway.networking.k8s.io/v1")
        spec = route.get("spec") or {}
        out += _unknown(f"{ref} spec", spec, "spec")
        parents = spec.get("parentRefs") or []
        if not parents:
            out.append(f"{ref}: no parentRefs, so no Gateway serves it")
        for i, parent in enumerate(parents):
            out += _unknown(f"{ref} parentRefs[{i}]", parent, "parentRef")
            if parent.get("kind", "Gateway") != "Gateway" or not parent.get("name"):
                out.append(f"{ref} parentRefs[{i}]: must name a Gateway, got {parent}")
        for host in spec.get("hostnames") or []:
            if not (isinstance(host, str) and len(host) <= 253 and _HOSTNAME.match(host)):
                out.append(f"{ref}: hostname {host!r} is not a valid DNS name")
        for i, rule in enumerate(spec.get("rules") or []):
            where = f"{ref} rules[{i}]"
            out += _unknown(where, rule, "rule")
            for j, match in enumerate(rule.get("matches") or []):
                out += _unknown(f"{where} matches[{j}]", match, "match")
                path = match.get("path") or {}
                out += _unknown(f"{where} matches[{j}].path", path, "path")
                if path and path.get("type", "PathPrefix") not in _PATH_TYPES:
                    out.append(f"{where} matches[{j}]: path type {path.get('type')!r} not in {sorted(_PATH_TYPES)}")
            timeouts = rule.get("timeouts") or {}
            out += _unknown(f"{where} timeouts", timeouts, "timeouts")
            for name, value in timeouts.items():
                if not (isinstance(value, str) and _GATEWAY_DURATION.match(value)):
                    out.append(f"{where} timeouts.{name}: {value!r} is not a Gateway API duration (e.g. 30s, 1h)")
            backends = rule.get("backendRefs") or []
            if not backends:
                out.append(f"{where}: no backendRefs")
            for j, backend in enumerate(backends):
                out += _unknown(f"{where} backendRefs[{j}]", backend, "backendRef")
                if backend.get("kind", "Service") != "Service" or backend.get("group", "") != "":
                    out.append(f"{where} backendRefs[{j}]: only core Services are used as backends, got {backend}")
                    continue
                svc = services.get((backend.get("namespace", _ns(route)), backend.get("name")))
                if svc is None:
                    out.append(f"{where} backendRefs[{j}]: Service {backend.get('name')} does not exist")
                elif backend.get("port") not in {p.get("port") for p in (svc.get("spec") or {}).get("ports") or []}:
                    out.append(
                        f"{where} backendRefs[{j}]: Service {backend.get('name')} has no port {backend.get('port')}"
                    )
    return out


SECRET_VERSIONS = "ome.k8s/secret-versions"
RESTARTED_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def _secrets_read(pod: dict) -> set[str]:
    """Names of the Secrets a pod reads: env secretKeyRef, envFrom secretRef and secret volumes."""
    names = set()
    for _unused, c in containers(pod):
        names |= {((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") for e in c.get("env") or []}
        names |= {(ef.get("secretRef") or {}).get("name") for ef in c.get("envFrom") or []}
    for vol in pod.get("volumes") or []:
        for src in [vol] + ((vol.get("projected") or {}).get("sources") or []):
            if "secret" in src:
                names.add(src["secret"].get("secretName", src["secret"].get("name")))
    return names - {None}


def secret_readers_restart(objects: list[dict]) -> list[str]:
    """Deployments, StatefulSets and DaemonSets whose pods read a rendered Secret name it, with its
    resourceVersion, in the pod template annotation ome.k8s/secret-versions (a JSON object): pods read Secrets
    at start, so a changed password must change the template to reach them. Jobs and bare Pods start afresh."""
    rendered = {(_ns(o), o.get("metadata", {}).get("name")) for o in objects if o.get("kind") == "Secret"}
    out = []
    for w, _unused, pod in workloads(objects):
        if w.get("kind") not in RESTARTED_KINDS:
            continue
        read = {name for name in _secrets_read(pod) if (_ns(w), name) in rendered}
        if not read:
            continue
        annotation = ((w["spec"]["template"].get("metadata") or {}).get("annotations") or {}).get(SECRET_VERSIONS)
        try:
            versions = json.loads(annotation) if isinstance(annotation, str) else None
        except ValueError:
            versions = None
        if not isinstance(versions, dict):
            out.append(f"{_ref(w)}: reads Secret(s) {sorted(read)} but has no JSON object in {SECRET_VERSIONS}")
        elif read - set(versions):
            out.append(f"{_ref(w)}: {SECRET_VERSIONS} lacks Secret(s) {sorted(read - set(versions))} its pods read")
    return out


def _empty_lists(value, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _empty_lists(item, f"{path}.{key}")
    elif isinstance(value, list):
        if not value:
            yield path
        for index, item in enumerate(value):
            yield from _empty_lists(item, f"{path}[{index}]")


def no_empty_lists(objects: list[dict]) -> list[str]:
    """No empty list in any object: the API server drops most of them (omitempty), so the applied object never
    matches the stored one and every server-side apply reports a change (an `ingress: []` did, in make e2e)."""
    return [f"{_ref(o)}: empty list at {path[1:]}" for o in objects for path in _empty_lists(o, "")]


CHECKS: dict[str, Callable[[list[dict]], list[str]]] = {
    "services_select_workloads": services_select_workloads,
    "service_target_ports": service_target_ports,
    "references_exist": references_exist,
    "no_secret_material": no_secret_material,
    "container_hardening": container_hardening,
    "images_pinned": images_pinned,
    "pod_security_restricted": pod_security_restricted,
    "network_policies_protect_data": network_policies_protect_data,
    "http_routes_resolve": http_routes_resolve,
    "secret_readers_restart": secret_readers_restart,
    "no_empty_lists": no_empty_lists,
}


def check_all(objects: list[dict], skip: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Every violation of every check (except those named in ``skip``), prefixed with the check's name."""
    unknown = set(skip) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown invariant(s) to skip: {sorted(unknown)}; known: {sorted(CHECKS)}")
    return [f"{name}: {v}" for name, check in CHECKS.items() if name not in skip for v in check(objects)]


# --------------------------------------------------------------------------- #
# Connectivity under the rendered NetworkPolicies (the Kubernetes NetworkPolicy semantics, with ipBlock
# taken to match only addresses outside the cluster, so pods are reached through pod or namespace selectors).
# --------------------------------------------------------------------------- #
EXTERNAL = ("<outside the cluster>", None)


def _policy_types(policy: dict) -> list[str]:
    spec = policy.get("spec") or {}
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


def _port_numbers(objects: list[dict], namespace: str, labels: dict | None, port) -> set:
    """The numbers a policy port stands for at the destination (a named port resolved on the matching pods)."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return {int(port)}
    found = set()
    for w, pod_labels, pod in workloads(objects):
        if _ns(w) == namespace and labels is not None and selector_matches({"matchLabels": labels}, pod_labels):
            for _unused, c in containers(pod):
                found |= {p["containerPort"] for p in c.get("ports") or [] if p.get("name") == port}
    return found


def _ports_admit(objects, rule, dst, port, protocol) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p or port in _port_numbers(objects, dst[0], dst[1], p["port"]):
            return True
    return False


def _peer_matches(peer: dict, policy_ns: str, who: tuple, ns_labels: dict) -> bool:
    ns, labels = who
    if labels is None:  # outside the cluster
        return "ipBlock" in peer
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], ns_labels.get(ns, {"kubernetes.io/metadata.name": ns})):
            return False
    elif ns != policy_ns:
        return False
    return "podSelector" not in peer or selector_matches(peer["podSelector"], labels)


def connection_allowed(objects: list[dict], src: tuple, dst: tuple, port: int, protocol: str = "TCP") -> bool:
    """Whether a pod (namespace, labels), or EXTERNAL, may open ``port`` on another under the policies."""
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
    ns_labels = _namespace_labels(objects, {_ns(p) for p in policies if _ns(p)})

    def side(pod, other, direction, peers_key):
        if pod[1] is None:
            return True
        selecting = [
            p
            for p in policies
            if _ns(p) == pod[0]
            and direction in _policy_types(p)
            and selector_matches((p.get("spec") or {}).get("podSelector") or {}, pod[1])
        ]
        if not selecting:
            return True
        for p in selecting:
            for rule in (p.get("spec") or {}).get(direction.lower()) or []:
                peers = rule.get(peers_key)
                if (not peers or any(_peer_matches(x, _ns(p), other, ns_labels) for x in peers)) and _ports_admit(
                    objects, rule, dst, port, protocol
                ):
                    return True
        return False

    return side(src, dst, "Egress", "to") and side(dst, src, "Ingress", "from")
