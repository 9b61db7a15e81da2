# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.omero_schema_state: the in-pod schema script's output classified like ome.k8s.omero_db_status."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ome.k8s.plugins.filter.omero_schema_state import FilterModule, omero_schema_state


def _row(version, patch=0, in_progress=False):
    return json.dumps(
        {
            "current_version": version,
            "current_patch": patch,
            "previous_version": "OMERO5.3",
            "previous_patch": 0,
            "in_progress": in_progress,
        }
    )


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("{}", "uninitialised"),
        (json.dumps({"current_version": None, "in_progress": True}), "uninitialised"),
        (_row("OMERO5.4"), "current"),
        (_row("OMERO5.3"), "upgrade_needed"),
        (_row("OMERO5.4", 1), "newer_than_expected"),
        (_row("OMERO5.10"), "newer_than_expected"),
    ],
)
def test_states(text, state):
    assert omero_schema_state(text, "OMERO5.4", 0)["state"] == state


def test_result_carries_the_row_and_progress():
    result = omero_schema_state(_row("OMERO5.3", in_progress=True), "OMERO5.4", 0)
    assert result == {
        "state": "upgrade_needed",
        "current_version": "OMERO5.3",
        "current_patch": 0,
        "previous_version": "OMERO5.3",
        "previous_patch": 0,
        "in_progress": True,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not JSON"),
        ("psql: error", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (_row("5.4"), "not an OMERO schema version"),
    ],
)
def test_bad_output_fails(text, message):
    with pytest.raises(AnsibleFilterError, match=message):
        omero_schema_state(text, "OMERO5.4", 0)


def test_filter_is_registered():
    assert FilterModule().filters()["omero_schema_state"] is omero_schema_state
