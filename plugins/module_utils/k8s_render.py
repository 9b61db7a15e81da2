# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ome.k8s.k8s_objects needs to hand objects to a render directory instead of a cluster.

One definition each of: the object checks, the Secret redaction, the file of an object (path and byte-stable
YAML), the atomic write, the validation against Kubernetes versions, and the run ledger that lets
ome.k8s.render_finalize find the files of this run. Controller-side code: only action plugins import it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Mapping

# Objects without a namespace (other than Namespaces themselves) are written under this directory.
CLUSTER_DIR = "_cluster"
REDACTED = "<redacted>"
SUMMARY = "SUMMARY.md"
# Every render call of a run appends one JSON line here; render_finalize reads it and removes it.
LEDGER = ".ome-k8s-render-run.jsonl"
DEFAULT_VERSIONS = ("1.35.0", "1.37.0")
# <namespace or _cluster>/<kind>-<name>.yaml and nothing else: a name must not lead a file out of its directory.
_PATH = re.compile(r"^[a-z0-9_][-a-z0-9_.]*/[a-z0-9][-a-z0-9.]*\.yaml$")


class RenderError(Exception):
    """A render could not be done; the message says what and why."""


def label(obj):
    """`Kind/namespace/name`, as a task's log names an object."""
    meta = (obj.get("metadata") if isinstance(obj, dict) else None) or {}
    kind = obj.get("kind") if isinstance(obj, dict) else None
    return "%s/%s/%s" % (kind or "?", meta.get("namespace") or "-", meta.get("name") or "?")


def object_problems(objects):
    """One message per object that cannot be applied or rendered: no apiVersion, kind or metadata.name, or a
    Secret without a namespace (its file would land outside every namespace directory)."""
    problems = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            problems.append("object %d is not a mapping" % index)
            continue
        missing = [key for key in ("apiVersion", "kind") if not obj.get(key)]
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        if not metadata.get("name"):
            missing.append("metadata.name")
        elif obj.get("kind") == "Secret" and not metadata.get("namespace"):
            missing.append("metadata.namespace")
        if missing:
            problems.append("object %d (%s) has no %s" % (index, label(obj), ", ".join(missing)))
    return problems


def redact_secret(obj, placeholder=REDACTED):
    """A Secret as it may be shown or written: every key of data and stringData under stringData, each with the
    placeholder; other objects unchanged."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    out = {key: value for key, value in obj.items() if key not in ("data", "stringData")}
    out["stringData"] = {key: placeholder for key in sorted(keys)}
    return out


def _represent_str(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


@functools.cache
def _review_dumper():
    """The dumper of to_nice_yaml, except that multi-line strings are block scalars (``|``).

    A block scalar keeps a configuration file or script one line per line, so a diff of the render shows the
    changed line instead of one long escaped string. The emitter still falls back to a quoted string where
    YAML cannot hold the text as a block (a line ending in a space, control characters).
    """
    # Imported here: module_utils are imported where only the standard library is sure to be; the controller,
    # the only place this code runs, has PyYAML (ansible-core needs it).
    import yaml

    dumper = type("ReviewDumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {})
    dumper.add_representer(str, _represent_str)
    return dumper


def plain(value):
    """The value with Ansible's tagged str/int/... subclasses turned into the built-in types the dumper knows."""
    if isinstance(value, Mapping):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    for kind in (str, bool, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def to_review_yaml(obj):
    """YAML of ``obj`` for a render file: sorted keys, two-space indentation, block scalars for multi-line text."""
    import yaml

    return yaml.dump(
        obj, Dumper=_review_dumper(), indent=2, sort_keys=True, allow_unicode=True, default_flow_style=False
    )


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


def record(obj, placeholder=REDACTED):
    """The file of a well-formed object and what the summary says of it: {path, kind, name, dir, images,
    exposed, object (as written, Secret values replaced), content (its YAML)}."""
    obj = plain(obj)
    metadata = obj["metadata"]
    directory = metadata["name"] if obj["kind"] == "Namespace" else metadata.get("namespace") or CLUSTER_DIR
    written = redact_secret(obj, placeholder)
    path = f"{directory}/{obj['kind'].lower()}-{metadata['name']}.yaml"
    if not _PATH.match(path) or ".." in path:
        raise RenderError(f"refusing to write {label(obj)} to {path!r} (expected <namespace>/<kind>-<name>.yaml)")
    pod = _pod_spec(obj)
    containers = (pod.get("initContainers") or []) + (pod.get("containers") or [])
    return {
        "path": path,
        "kind": obj["kind"],
        "name": metadata["name"],
        "dir": directory,
        "images": [c["image"] for c in containers if c.get("image")],
        "exposed": _exposed(obj, directory),
        "object": written,
        "content": to_review_yaml(written),
    }


def read_text(path):
    """The file's text and whether it is a regular file of mode 0644, or (None, False) when it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None, False
    return data.decode("utf-8", errors="replace"), os.stat(path).st_mode & 0o7777 == 0o644


def write_text(path, text):
    """Write atomically with mode 0644 (directories 0755): a reader never sees half a file."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _kubernetes_validate():
    """kubernetes_validate, with its schema reader memoized."""
    try:
        import kubernetes_validate
        from kubernetes_validate import utils
    except ImportError as exc:
        raise RenderError(
            "render mode needs the Python package kubernetes-validate on the controller: %s" % exc
        ) from exc
    # The one private name used: the public validate() reads and parses two schema files per object and
    # version, one of them the 1.5 MB of shared definitions; memoizing the reader cuts the site render's
    # validation from about 3 s of CPU to 0.4 s (tests/bench/render_time.py). Without the name (another
    # kubernetes-validate release) validation is only slower.
    reader = getattr(utils, "schema_contents", None)
    if callable(reader) and not hasattr(reader, "cache_info"):
        utils.schema_contents = functools.cache(reader)
    return kubernetes_validate


def validate(records, versions):
    """Check each record's object strictly (an unknown field is an error) for every version with
    kubernetes-validate's public validate(). Returns (errors, no_schema): messages naming file, version and field, and
    the {path, apiVersion, kind} of objects it has no schema for (custom resources), which pass unchecked."""
    kubernetes_validate = _kubernetes_validate()
    errors, no_schema = [], []
    for rec in records:
        for version in versions:
            try:
                kubernetes_validate.validate(rec["object"], version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(item) for item in exc.path) or "(top level)"
                errors.append("%s is not valid for Kubernetes %s: %s: %s" % (rec["path"], version, where, exc.message))
            except kubernetes_validate.SchemaNotFoundError:
                entry = {"path": rec["path"], "apiVersion": rec["object"]["apiVersion"], "kind": rec["kind"]}
                if entry not in no_schema:
                    no_schema.append(entry)
            except kubernetes_validate.utils.VersionNotSupportedError:
                errors.append(
                    "Kubernetes %s is not supported by kubernetes-validate %s"
                    % (version, kubernetes_validate.__version__)
                )
            except kubernetes_validate.InvalidSchemaError as exc:
                errors.append("%s: no usable schema for Kubernetes %s: %s" % (rec["path"], version, exc.message))
    return list(dict.fromkeys(errors)), no_schema


def ledger_add(root, records, versions, no_schema):
    """Note in the render directory what one call rendered, for render_finalize at the end of the run."""
    entry = {
        "versions": list(versions),
        "records": [{k: rec[k] for k in ("path", "kind", "name", "dir", "images", "exposed")} for rec in records],
        "no_schema": no_schema,
    }
    os.makedirs(root, mode=0o755, exist_ok=True)
    # One short line per call, appended: calls of one run never rewrite each other's lines.
    with open(os.path.join(root, LEDGER), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


def ledger_read(root):
    """The entries of the ledger, oldest first ([] when no call of this run rendered anything)."""
    try:
        with open(os.path.join(root, LEDGER), encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def stale_files(root, paths):
    """The *.yaml files of the directories of ``paths`` (relative to root) that are not among them, sorted."""
    stale = []
    for directory in sorted({path.split("/", 1)[0] for path in paths}):
        full = os.path.join(root, directory)
        if not os.path.isdir(full):
            continue
        for name in sorted(os.listdir(full)):
            relpath = f"{directory}/{name}"
            if name.endswith(".yaml") and relpath not in paths and os.path.isfile(os.path.join(full, name)):
                stale.append(relpath)
    return stale
