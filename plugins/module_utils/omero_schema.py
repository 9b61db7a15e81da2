# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The OMERO database schema (its `dbpatch` table) against the schema a server release expects.

Shared by ome.k8s.omero_db_status, which reads the table over a connection of its own, and the
ome.k8s.omero_schema_state filter, which classifies what `psql` read inside the database's pod.
"""

from __future__ import annotations

import re

from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured

UNINITIALISED = "uninitialised"
CURRENT = "current"
UPGRADE_NEEDED = "upgrade_needed"
NEWER_THAN_EXPECTED = "newer_than_expected"

VERSION_RE = re.compile(r"^OMERO(\d+(?:\.\d+)*)\s*$")


def parse_version(text):
    """`OMERO5.4` -> (5, 4); None when the text is not an OMERO schema version."""
    match = VERSION_RE.match(text or "")
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def compare(current_version, current_patch, expected_version, expected_patch):
    """The schema state of (current_version, current_patch) against what is expected."""
    current = parse_version(current_version)
    if current is None:
        raise Misconfigured(
            "the dbpatch table holds version %r, which is not an OMERO schema version like OMERO5.4; "
            "is this an OMERO database?" % (current_version,)
        )
    key = (current, current_patch)
    wanted = (parse_version(expected_version), expected_patch)
    if key == wanted:
        return CURRENT
    return UPGRADE_NEEDED if key < wanted else NEWER_THAN_EXPECTED
