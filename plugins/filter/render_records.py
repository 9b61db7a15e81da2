# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record ome.k8s.kube_api keeps of every object it renders or applies.

One record per object, keyed by the path of its render file. The finalize step writes the files from the
records and summarises them (objects per namespace, images, exposed endpoints). Python rather than a Jinja
expression: the expression was compiled again by every task that recorded objects, which made render mode slow.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml
from ansible.errors import AnsibleFilterError

# Objects without a namespace (other than Namespaces themselves) are written under this directory.
CLUSTER_DIR = "_cluster"


class _ReviewDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """The dumper of to_nice_yaml, except that multi-line strings are block scalars (``|``).

    A block scalar keeps a configuration file or script one line per line, so a diff of the render shows the
    changed line instead of one long escaped string. The emitter still falls back to a quoted string where
    YAML cannot hold the text as a block (a line ending in a space, control characters).
    """


def _represent_str(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_ReviewDumper.add_representer(str, _represent_str)


def _plain(value):
    """The value with Ansible's tagged str/int/... subclasses turned into the built-in types the dumper knows."""
    if isinstance(value, Mapping):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    for kind in (str, bool, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def to_review_yaml(obj):
    """YAML of ``obj`` for a render file: sorted keys, two-space indentation, block scalars for multi-line text."""
    return yaml.dump(
        _plain(obj), Dumper=_ReviewDumper, indent=2, sort_keys=True, allow_unicode=True, default_flow_style=False
    )


def _malformed(objects):
    """Kind or name of every object lacking apiVersion, kind or metadata.name, or a Secret lacking a namespace."""
    bad = []
    for obj in objects:
        metadata = obj.get("metadata") if isinstance(obj, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(obj, dict) or not obj.get("apiVersion") or not obj.get("kind") or not name:
            bad.append(str((obj.get("kind") if isinstance(obj, dict) else None) or name or "?"))
        elif obj["kind"] == "Secret" and not metadata.get("namespace"):
            bad.append(f"Secret {name} (no namespace)")
    return bad


def _pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    return (spec.get("template") or {}).get("spec") or {}


def _route_parents(spec, directory):
    parents = []
    for ref in spec.get("parentRefs") or []:
        where = f"{ref.get('namespace', directory)}/{ref.get('name', '?')}"
        listener = ref.get("sectionName") or ref.get("port")
        parents.append(f"{ref.get('kind', 'Gateway')} {where}" + (f" listener {listener}" if listener else ""))
    return ", ".join(parents) or "no parent"


def _route_backends(spec):
    backends = []
    for rule in spec.get("rules") or []:
        for ref in rule.get("backendRefs") or []:
            backend = f"{ref.get('kind', 'Service')} {ref.get('name', '?')}:{ref.get('port', '?')}"
            if backend not in backends:
                backends.append(backend)
    return ", ".join(backends) or "no backend"


def _exposed(obj, directory):
    """Endpoints reachable from outside the cluster: host names with where they enter and lead, node ports."""
    spec = obj.get("spec") or {}
    kind = obj["kind"]
    if kind == "Ingress":
        return [f"Ingress {rule.get('host', '*')}" for rule in spec.get("rules") or []]
    if kind == "HTTPRoute":
        via = f"via {_route_parents(spec, directory)} to {_route_backends(spec)}"
        return [f"HTTPRoute {host} {via}" for host in spec.get("hostnames") or ["*"]]
    if kind == "Service" and spec.get("type", "ClusterIP") in ("NodePort", "LoadBalancer"):
        ports = ",".join(f"{port.get('nodePort', 'auto')}->{port.get('port')}" for port in spec.get("ports") or [])
        return [f"{spec['type']} {directory}/{obj['metadata']['name']} ports {ports}"]
    return []


def _redacted(obj, placeholder):
    """The Secret as written to disk: every key of data and stringData, each with the placeholder value."""
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    out = {key: value for key, value in obj.items() if key != "data"}
    out["stringData"] = {key: placeholder for key in sorted(keys)}
    return out


def render_records(objects, placeholder="<redacted>"):
    """Map objects to {path: {kind, name, dir, images, exposed, content}}; Secret values replaced by the placeholder."""
    if not isinstance(objects, list):
        raise AnsibleFilterError(f"render_records expects a list of Kubernetes objects, got {type(objects).__name__}")
    bad = _malformed(objects)
    if bad:
        raise AnsibleFilterError(
            "kube_api_objects entries need apiVersion, kind and metadata.name (and a Secret its namespace); "
            "offending entries (kind or name): " + ", ".join(bad)
        )
    records = {}
    for obj in objects:
        metadata = obj["metadata"]
        directory = metadata["name"] if obj["kind"] == "Namespace" else metadata.get("namespace") or CLUSTER_DIR
        written = _redacted(obj, placeholder) if obj["kind"] == "Secret" else obj
        pod = _pod_spec(obj)
        containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
        path = f"{directory}/{obj['kind'].lower()}-{metadata['name']}.yaml"
        records[path] = {
            "kind": obj["kind"],
            "name": metadata["name"],
            "dir": directory,
            "images": [c["image"] for c in containers if c.get("image")],
            "exposed": _exposed(obj, directory),
            "content": to_review_yaml(written),
        }
    return records


class FilterModule:
    def filters(self):
        return {"render_records": render_records}
