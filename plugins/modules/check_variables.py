#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: check_variables
short_description: Report settings that look like ome.k8s variables but that no role reads
version_added: 0.2.0
description:
  - Lists the variables visible to the task (inventory, play and extra variables) and those of the hosts named in
    O(hosts) whose names start with a role prefix of the collection (C(omero_web_), C(control_plane_), ...) or
    with C(ome_k8s_), and reports those that no role's C(meta/argument_specs.yml) declares, with the closest
    declared name as a suggestion. A misspelled setting such as C(omero_web_replicsa) would otherwise be ignored.
  - Variables starting with an underscore are the roles' internals and are never reported.
  - Runs on the controller only and changes nothing. Every playbook of the collection runs it first.
author:
  - OME team (@ome)
options:
  hosts:
    description:
      - Inventory hosts whose variables are checked too (the cluster hosts in the cluster playbooks).
    type: list
    elements: str
    default: []
  known:
    description:
      - Further names that are not role settings but are read by the calling playbook, as a list of names or as
        a mapping whose keys are the names (the playbook's own C(vars)).
    type: raw
    default: []
  strict:
    description:
      - V(false) reports unknown settings as warnings; V(true) fails the task. The playbooks pass
        C(ome_k8s_strict_variables).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The check only reads variables; it runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  action:
    support: full
    description: Runs as an action plugin on the controller.
notes:
  - Implemented as an action plugin; nothing runs on a managed host.
"""

EXAMPLES = r"""
- name: Report misspelled ome.k8s settings
  ome.k8s.check_variables:
    hosts: "{{ groups['k8s_cluster'] }}"
    strict: "{{ ome_k8s_strict_variables | default(false) }}"
"""

RETURN = r"""
unknown:
  description: The unknown settings, each with the closest declared name (or null).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "omero_web_replicsa", "suggestion": "omero_web_replicas"}]
"""
