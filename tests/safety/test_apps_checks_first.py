# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/apps.yml in apply mode: every application is checked, and the cluster proved, before any change.

The kubeconfig points at a recording API stand-in that refuses every write; the runs below must not reach the
first OMERO task, and a settings error must not even reach the API.
"""

from __future__ import annotations

import pytest
from runner import REPO, run

INVENTORY = REPO / "inventories" / "lochy"
FIRST_APPLY = "Deploy the OMERO instance"


def apply_apps(tmp_path, kube_api, cluster_name, extra_vars):
    """Run apps.yml in apply mode against a stand-in cluster named ``cluster_name``: (run, recording API)."""
    api, config = kube_api(tmp_path, cluster_name=cluster_name)
    out = run(
        "playbooks/apps.yml",
        tmp_path,
        inventory=INVENTORY,
        extra_vars={"ome_k8s_kubeconfig": str(config), **extra_vars},
    )
    assert out.rc != 0
    assert not out.ran(FIRST_APPLY)
    return out, api


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ({"redmine_hostname": "Not A Host!"}, "redmine_hostname (Not A Host!)"),
        # a component (the training server's PostgreSQL), checked through the training server's own check
        ({"omero_training_postgresql_storage_size": "lots"}, "omero_training_postgresql_storage_size (lots)"),
    ],
    ids=["redmine", "training-postgresql"],
)
def test_a_bad_setting_of_a_later_application_stops_before_any_request(tmp_path, kube_api, extra_vars, message):
    out, api = apply_apps(tmp_path, kube_api, "lochy", extra_vars)
    assert any(message in m for m in out.failures())
    assert api.requests == []


def test_another_cluster_stops_before_anything_is_applied(tmp_path, kube_api):
    out, api = apply_apps(tmp_path, kube_api, "production-elsewhere", {})
    assert any("reaches the cluster named production-elsewhere" in m for m in out.failures())
    assert api.writes == []
