#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: render_finalize
short_description: End a render run - remove stale files and write SUMMARY.md
version_added: 0.3.0
description:
  - Every render call of M(ome.k8s.k8s_objects) writes and validates its files at once and notes them in the
    render directory. This module, run once at the end of the run, removes every C(*.yaml) file of the
    directories written in this run that no call rendered (files of other directories are left alone), writes
    C(SUMMARY.md) at the root of O(render_dir) (objects per namespace and kind, images, exposed hosts and ports,
    Secret names, validation) and returns a shorter summary.
  - A run that fails before this step leaves its note; the next run's finalize counts those files as its own
    for once.
author:
  - OME team (@ome)
requirements:
  - The Python package C(PyYAML) on the controller.
options:
  render_dir:
    description:
      - Absolute path of the render directory the run's M(ome.k8s.k8s_objects) calls wrote to.
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: Nothing is removed or written; in check mode M(ome.k8s.k8s_objects) notes nothing either.
  diff_mode:
    support: none
    description: The files removed are listed in RV(files), not shown as a diff.
  action:
    support: full
    description: Runs as an action plugin on the controller.
seealso:
  - module: ome.k8s.k8s_objects
"""

EXAMPLES = r"""
- name: Finish the render
  ome.k8s.render_finalize:
    render_dir: /srv/review/rendered
"""

RETURN = r"""
files:
  description: Files written (C(SUMMARY.md) when its text changed) and stale files removed, relative to O(render_dir).
  returned: success
  type: dict
  sample: {"written": ["SUMMARY.md"], "removed": ["omero/deployment-old.yaml"]}
summary_file:
  description: Path of C(SUMMARY.md), or null when nothing was rendered in this run.
  returned: success
  type: str
objects_per_namespace:
  description: Number of objects rendered in this run per directory.
  returned: success
  type: dict
  sample: {"_cluster": 1, "omero": 12}
images:
  description: Container images of the rendered objects.
  returned: success
  type: list
  elements: str
exposed:
  description: Host names and node ports reachable from outside the cluster.
  returned: success
  type: list
  elements: str
not_schema_validated:
  description: Files kubernetes-validate had no schema for (custom resources), passed unchecked.
  returned: success
  type: list
  elements: str
"""
