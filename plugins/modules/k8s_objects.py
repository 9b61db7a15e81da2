#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_objects
short_description: Apply a list of Kubernetes objects in one call, or render them to files, never showing a Secret value
version_added: 0.3.0
description:
  - Applies every object of O(objects) with server-side apply through M(kubernetes.core.k8s), in one run of that
    module, so the whole list shares one API client and one discovery instead of setting them up per object.
  - With O(render_dir), touches no cluster instead; validates every object strictly against each of
    O(validate_versions) with kubernetes-validate and fails on the first call holding an invalid one, then writes
    each object to C(<render_dir>/<namespace>/<kind>-<name>.yaml) (cluster-scoped objects under C(_cluster),
    a Namespace in its own directory) as YAML with sorted keys, rewriting only files whose text or mode differs.
    Each call is noted in the render directory for M(ome.k8s.render_finalize), which removes stale files and
    writes C(SUMMARY.md) at the end of the run.
  - Supports check mode (server-side dry run; in render mode nothing is written) and diff mode; the diff of each
    object that would change or did change is shown under its C(Kind/namespace/name), or its file in render mode.
  - Secret values never appear in the task's result, diff or files (they read C(<redacted>), under
    C(stringData)), and the objects as given are not echoed back.
  - Used by the C(ome.k8s.kube_api) role in both modes, and so by every application role and
    C(ome.k8s.cluster_addons).
author:
  - OME team (@ome)
requirements:
  - Apply mode, kubernetes.core and the Python C(kubernetes) client on the host the task runs on.
  - Render mode, the Python packages C(kubernetes-validate) and C(PyYAML) on the controller.
options:
  objects:
    description:
      - The objects to apply, each with C(apiVersion), C(kind) and C(metadata.name) (and C(metadata.namespace)
        for namespaced kinds). They are applied in the order given.
    type: list
    elements: dict
    required: true
  render_dir:
    description:
      - Absolute path of the render directory. When set, the objects are written there and no cluster is
        contacted; O(kubeconfig), O(field_manager), O(force_conflicts), O(wait) and O(wait_timeout) are ignored.
    type: path
  validate_versions:
    description:
      - Kubernetes versions every object is validated against in render mode (C(kubernetes-validate --strict)).
    type: list
    elements: str
    default: ["1.35.0", "1.37.0"]
  kubeconfig:
    description:
      - The kubeconfig file to use; the client's default (C(KUBECONFIG), C(~/.kube/config)) when omitted.
    type: path
  field_manager:
    description:
      - The field manager of the server-side apply.
    type: str
    default: ome.k8s
  force_conflicts:
    description:
      - Take over fields another field manager owns (server-side apply's C(force)); for objects this collection
        alone manages, such as the cluster add-ons' settings on top of an upstream manifest.
    type: bool
    default: false
  wait:
    description:
      - Wait for each object to be ready (Deployments and StatefulSets rolled out, Jobs finished, Pods ready),
        as M(kubernetes.core.k8s) waits.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for each object when O(wait=true).
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    description: The API server's dry run of the same server-side apply; in render mode nothing is written.
  diff_mode:
    support: full
    description: Each object's change, before and after, under its C(Kind/namespace/name); in render mode, its file's.
  action:
    support: full
    description: >-
      Runs as an action plugin on the controller, which runs M(kubernetes.core.k8s) where the task runs; render
      mode writes on the controller.
notes:
  - Implemented as an action plugin that runs M(kubernetes.core.k8s) once with the whole list.
  - When an object fails to apply, the objects before it in the list have been applied. In render mode an
    invalid object stops the call before any of its files is written.
seealso:
  - module: kubernetes.core.k8s
  - module: ome.k8s.render_finalize
"""

EXAMPLES = r"""
- name: Apply the OMERO.web objects
  ome.k8s.k8s_objects:
    objects: "{{ omero_web_objects }}"
    kubeconfig: "{{ ome_k8s_kubeconfig }}"
    wait: true
    wait_timeout: 600

- name: Render them instead (no cluster contacted)
  ome.k8s.k8s_objects:
    objects: "{{ omero_web_objects }}"
    render_dir: /srv/review/rendered
"""

RETURN = r"""
objects:
  description: One entry per object, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    object:
      description: The object's C(Kind/namespace/name).
      type: str
      sample: Deployment/omero/omero-web
    changed:
      description: Whether applying the object changed it (or would, in check mode).
      type: bool
    method:
      description: What M(kubernetes.core.k8s) did (C(apply)); apply mode only.
      type: str
      sample: apply
    path:
      description: The object's file, relative to O(render_dir); render mode only.
      type: str
      sample: omero/deployment-omero-web.yaml
not_schema_validated:
  description: Files of objects kubernetes-validate has no schema for (custom resources), passed unchecked.
  returned: render mode
  type: list
  elements: str
  sample: [omero/httproute-omero-web.yaml]
"""
