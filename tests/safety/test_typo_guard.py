# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The typo guard in a run: a warning by default, an error with ome_k8s_strict_variables, silent on the example."""

from __future__ import annotations

import sys

import yaml
from runner import REPO, run

PLAYBOOK = "tests/safety/playbooks/check_variables.yml"


def inventory(tmp_path, host_vars):
    path = tmp_path / "hosts.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                        "cp1": {"ansible_host": "192.0.2.1", **host_vars},
                    }
                }
            }
        )
    )
    return path


def test_a_misspelled_setting_is_a_warning_with_a_suggestion(tmp_path):
    out = run(
        PLAYBOOK,
        tmp_path,
        inventory=inventory(tmp_path, {"control_plane_vip_interfce": "eth0"}),
        extra_vars={"omero_web_replicsa": 5},
    )
    assert out.rc == 0, out.failures()
    warnings = " ".join(out.warnings())
    assert "omero_web_replicsa (set for " in warnings
    assert "did you mean omero_web_replicas?" in warnings
    assert "control_plane_vip_interfce (set for cp1)" in warnings
    assert "did you mean control_plane_vip_interface?" in warnings
    assert out.ran("Go on after the check")


def test_strict_makes_it_an_error_before_anything_else(tmp_path):
    out = run(
        PLAYBOOK,
        tmp_path,
        inventory=inventory(tmp_path, {}),
        extra_vars={"omero_web_replicsa": 5, "ome_k8s_strict_variables": True},
    )
    assert out.rc != 0
    [message] = out.failures()
    assert "omero_web_replicsa" in message and "did you mean omero_web_replicas?" in message
    assert not out.ran("Go on after the check")


def test_the_example_inventory_has_no_unknown_setting(tmp_path):
    out = run(
        PLAYBOOK, tmp_path, inventory=REPO / "inventories" / "lochy", extra_vars={"ome_k8s_strict_variables": True}
    )
    assert out.rc == 0, out.failures()
    [result] = [result for name, result in out.tasks() if name.startswith("Check the variables")]
    assert result["unknown"] == []


def test_the_application_playbooks_warn_once_per_run(tmp_path):
    out = run(
        "playbooks/apps.yml",
        tmp_path,
        inventory=REPO / "inventories" / "lochy",
        extra_vars={"omero_web_replicsa": 5, "ome_k8s_render_dir": str(tmp_path / "rendered")},
    )
    assert out.rc == 0, out.failures()
    assert len([w for w in out.warnings() if "omero_web_replicsa" in w]) == 1
