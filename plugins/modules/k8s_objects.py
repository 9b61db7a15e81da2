#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: k8s_objects
short_description: Apply a list of Kubernetes objects in one call, with a diff per object and no Secret value shown
version_added: 0.3.0
description:
  - Applies every object of O(objects) with server-side apply through M(kubernetes.core.k8s), in one run of that
    module, so the whole list shares one API client and one discovery instead of setting them up per object.
  - Supports check mode (server-side dry run) and diff mode; the diff of each object that would change or did
    change is shown under its C(Kind/namespace/name).
  - Secret values never appear in the task's result or diff (they read C(<redacted>)), and the objects as
    given are not echoed back.
  - Used by the C(ome.k8s.kube_api) role in apply mode; render mode stays with that role's C(finalize).
author:
  - OME team (@ome)
requirements:
  - kubernetes.core and the Python C(kubernetes) client on the host the task runs on.
options:
  objects:
    description:
      - The objects to apply, each with C(apiVersion), C(kind) and C(metadata.name) (and C(metadata.namespace)
        for namespaced kinds). They are applied in the order given.
    type: list
    elements: dict
    required: true
  kubeconfig:
    description:
      - The kubeconfig file to use; the client's default (C(KUBECONFIG), C(~/.kube/config)) when omitted.
    type: path
  field_manager:
    description:
      - The field manager of the server-side apply.
    type: str
    default: ome.k8s
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
    description: The API server's dry run of the same server-side apply; nothing is changed.
  diff_mode:
    support: full
    description: Each object's change, before and after, under its C(Kind/namespace/name).
  action:
    support: full
    description: Runs as an action plugin on the controller, which runs M(kubernetes.core.k8s) where the task runs.
notes:
  - Implemented as an action plugin that runs M(kubernetes.core.k8s) once with the whole list.
  - When an object fails to apply, the objects before it in the list have been applied.
seealso:
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Apply the OMERO.web objects
  ome.k8s.k8s_objects:
    objects: "{{ omero_web_objects }}"
    kubeconfig: "{{ ome_k8s_kubeconfig }}"
    wait: true
    wait_timeout: 600
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
      description: What M(kubernetes.core.k8s) did (C(apply)).
      type: str
      sample: apply
"""
