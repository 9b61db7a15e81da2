# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify the OMERO schema that `psql` read inside the database's pod, as ome.k8s.omero_db_status does.

The schema check of ome.k8s.omero_server runs `psql` in the pod of the stack's own PostgreSQL (the
NetworkPolicy in front of the database admits only OMERO's pods, not a host outside the cluster); the
script prints one JSON object, which this filter turns into the result the schema decision reads.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.ome.k8s.plugins.module_utils.omero_schema import UNINITIALISED, compare
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured

FIELDS = ("current_version", "current_patch", "previous_version", "previous_patch")


def omero_schema_state(text, expected_version, expected_patch):
    """The state of the schema described by `text` (the script's output) against what is expected."""
    try:
        facts = json.loads(text or "")
    except ValueError as exc:
        raise AnsibleFilterError(
            "omero_schema_state: the schema script printed %r, not JSON: %s" % (text, exc)
        ) from exc
    if not isinstance(facts, dict):
        raise AnsibleFilterError("omero_schema_state: the schema script printed %r, not a JSON object" % (text,))
    result = {name: facts.get(name) for name in FIELDS}
    result["in_progress"] = bool(facts.get("in_progress"))
    if result["current_version"] is None:
        result["state"] = UNINITIALISED
        return result
    try:
        state = compare(result["current_version"], result["current_patch"], expected_version, int(expected_patch))
    except Misconfigured as exc:
        raise AnsibleFilterError("omero_schema_state: %s" % exc) from exc
    result["state"] = state
    return result


class FilterModule:
    def filters(self):
        return {"omero_schema_state": omero_schema_state}
