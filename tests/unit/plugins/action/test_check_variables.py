# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The typo guard's pure parts: which names are reported, and what is suggested."""

from __future__ import annotations

import os

import pytest

from ansible_collections.ome.k8s.plugins.action import check_variables as cv

ROLES_DIR = os.path.join(cv.COLLECTION_ROOT, "roles")
PREFIXES = ["omero_", "omero_web_", "ome_k8s_", "redis_"]
DECLARED = {"omero_web_replicas", "omero_hostname", "ome_k8s_kubeconfig", "redis_resources"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("omero_web_replicsa", [("omero_web_replicsa", "omero_web_replicas")]),
        ("ome_k8s_kubeconfg", [("ome_k8s_kubeconfg", "ome_k8s_kubeconfig")]),
        ("omero_something_else", [("omero_something_else", None)]),
        ("omero_web_replicas", []),  # declared
        ("__omero_web_labels", []),  # a role's internal
        ("my_own_variable", []),  # not the collection's prefix
        ("ansible_host", []),
    ],
)
def test_unknown_variables(name, expected):
    assert cv.unknown_variables([name], DECLARED, PREFIXES) == expected


def test_every_role_prefix_and_the_collection_prefix_are_known():
    specs = cv.role_specs(ROLES_DIR)
    assert {"omero_web_", "control_plane_", "kube_api_", "ome_k8s_"} <= set(cv.prefixes(specs))


def test_declared_names_come_from_every_entry_point():
    declared = cv.declared_names(cv.role_specs(ROLES_DIR))
    # main entry points, another entry point (kube_api identity) and a merged common block (<<: *common)
    assert {
        "omero_web_replicas",
        "ome_k8s_cluster_name",
        "ome_k8s_render_dir",
        "omero_training_reset_confirm",
    } <= declared


def test_describe_names_the_hosts_and_the_suggestion():
    lines = cv.describe(
        [("omero_web_replicsa", "omero_web_replicas"), ("omero_x", None)],
        {"omero_web_replicsa": {"localhost"}, "omero_x": {"cp2", "cp1"}},
    )
    assert lines == [
        "omero_web_replicsa (set for localhost) is not a setting of any ome.k8s role and is ignored;"
        " did you mean omero_web_replicas?",
        "omero_x (set for cp1, cp2) is not a setting of any ome.k8s role and is ignored.",
    ]
