# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SUMMARY.md of a render: what a reviewer reads first (written by ome.k8s.render_finalize).

Built from the records of the run (k8s_render.record: kind, name, dir, images, exposed) and what the validation
of each k8s_objects call found, with paths relative to the render directory and nothing that changes between two
runs of the same inventory (no time, no absolute path), so the file is byte-stable and diffs like the objects.
"""

from __future__ import annotations

from collections import defaultdict

# API groups that are not built into Kubernetes although their names end in k8s.io: kubernetes-validate has no
# schema for them because they come from CustomResourceDefinitions. Value: who installs the CRDs for lochy.
_CRD_GROUPS = {
    "gateway.networking.k8s.io": "the Gateway API, whose CRDs ome.k8s.cluster_addons installs with its Gateway",
    "gateway.envoyproxy.io": "Envoy Gateway, whose CRDs ome.k8s.cluster_addons installs from its release manifest",
    "operator.tigera.io": "the Tigera operator, whose CRDs ome.k8s.cluster_addons installs with Calico",
}


def _image_parts(image: str) -> tuple[str, str]:
    """Repository and tag (or digest) of an image reference; a registry port is not a tag."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, digest
    repository, _sep, tag = image.rpartition(":")
    if not repository or "/" in tag:
        return image, "(none, so latest)"
    return repository, tag


def _why_no_schema(api_version: str, kind: str) -> str:
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    if group in _CRD_GROUPS:
        return (
            f"custom resource of {_CRD_GROUPS[group]}; the Kubernetes OpenAPI schemas hold only built-in kinds, "
            "so kubernetes-validate has no schema for it and passes it unchecked"
        )
    if "." not in group or group.endswith(".k8s.io"):
        return (
            f"no schema for {kind} in {api_version}: not a built-in kind of these Kubernetes versions; "
            "check the apiVersion and kind"
        )
    return (
        f"custom resource of API group {group}: its schema comes from a CustomResourceDefinition in the cluster, "
        "not from the Kubernetes OpenAPI schemas"
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _objects(records: dict) -> list[str]:
    names = defaultdict(list)
    for record in records.values():
        names[(record["dir"], record["kind"])].append(record["name"])
    rows = [[d, kind, str(len(n)), ", ".join(sorted(n))] for (d, kind), n in sorted(names.items())]
    return ["## Objects per namespace and kind", "", *_table(["namespace", "kind", "count", "names"], rows)]


def _images(records: dict) -> list[str]:
    users = defaultdict(set)
    for record in records.values():
        for image in record["images"]:
            users[image].add(f"{record['dir']}/{record['kind']} {record['name']}")
    rows = [[*_image_parts(image), ", ".join(sorted(users[image]))] for image in sorted(users)]
    return ["## Images", "", *(_table(["image", "tag", "used by"], rows) if rows else ["None."])]


def _exposed(records: dict) -> list[str]:
    exposed = sorted({endpoint for record in records.values() for endpoint in record["exposed"]})
    return [
        "## Exposed outside the cluster",
        "",
        "HTTPRoute and Ingress host names with the Gateway listener they attach to and the Service port they lead "
        "to; NodePort and LoadBalancer Services as node port -> Service port (auto: Kubernetes picks the node port). "
        "The Gateway's Service (its addresses and node ports) is listed when the cluster add-ons render it "
        "(Traefik); Envoy Gateway creates its own at run time.",
        "",
        *([f"- {endpoint}" for endpoint in exposed] or ["Nothing."]),
    ]


def _secrets(records: dict) -> list[str]:
    secrets = sorted(f"{r['dir']}/{r['name']}" for r in records.values() if r["kind"] == "Secret")
    return [
        "## Secrets",
        "",
        "Names only: every value in the Secret files is the placeholder, never the real value.",
        "",
        *([f"- {secret}" for secret in secrets] or ["None."]),
    ]


def _validation(records: dict, validation: dict) -> list[str]:
    lines = ["## Validation", ""]
    if not validation["versions"]:
        return [*lines, "Not validated in this run (no Kubernetes versions given)."]
    unchecked = {item["path"]: item for item in validation["no_schema"]}
    lines += [
        "Every object was checked, before its file was written, with kubernetes-validate's strict mode (an unknown "
        "field is an error) against the Kubernetes OpenAPI schemas of each version; an invalid object stops the "
        "render, so every file here passed:",
        "",
        *_table(
            ["Kubernetes", "verdict", "objects checked", "objects without a schema"],
            [[v, "valid", str(len(records) - len(unchecked)), str(len(unchecked))] for v in validation["versions"]],
        ),
    ]
    if unchecked:
        rows = [
            [path, f"{item['apiVersion']} {item['kind']}", _why_no_schema(item["apiVersion"], item["kind"])]
            for path, item in sorted(unchecked.items())
        ]
        lines += ["", "### Not validated against a schema", "", *_table(["file", "kind", "why"], rows)]
    lines += [
        "",
        "### Not checked by a render",
        "",
        "- Anything that depends on the live cluster: admission (quotas, policies, webhooks), the objects already "
        "there and who owns their fields, whether the images can be pulled. Apply mode's server-side apply meets "
        "those.",
        "- The upstream manifests the cluster add-ons apply as published (Calico's operator, Envoy Gateway, the "
        "local-path provisioner, the Gateway API CRDs): a render downloads nothing.",
    ]
    return lines


def summary(records: dict, validation: dict) -> str:
    """SUMMARY.md for ``records`` (path -> record) and ``validation`` ({versions, no_schema}, paths relative to
    the render directory)."""
    namespaces = sorted({record["dir"] for record in records.values()})
    sections = [
        [
            "# Render summary",
            "",
            f"{len(records)} objects in {len(namespaces)} directories ({', '.join(namespaces)}), one file each. "
            "Written by every render (ome.k8s.kube_api finalize) from the objects of that run; do not edit.",
        ],
        _objects(records),
        _images(records),
        _exposed(records),
        _secrets(records),
        _validation(records, validation),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
