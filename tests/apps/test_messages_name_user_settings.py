# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A component's settings check names the variable the user set through the wrapping role, not its own."""

from __future__ import annotations

import pytest

INVENTORY = "inventories/lochy"

CASES = [
    ("playbooks/omero.yml", {"omero_hostname": "Omero.Example.org"}, "omero_hostname", "omero_web_hostname"),
    (
        "playbooks/training.yml",
        {"omero_training_hostname": "Training.Example.org"},
        "omero_training_hostname",
        "omero_web_hostname",
    ),
    (
        "playbooks/training.yml",
        {"omero_training_postgresql_storage_size": "lots"},
        "omero_training_postgresql_storage_size",
        "postgresql_storage_size (lots)",
    ),
    (
        "playbooks/training.yml",
        {"omero_training_db_password": "too-short"},
        "omero_training_db_password is too short (9 characters)",
        "omero_server_db_password",
    ),
    (
        "playbooks/training.yml",
        {"omero_training_server_data_size": "lots"},
        "omero_training_server_data_size (lots)",
        "omero_server_data_size (lots)",
    ),
    (
        "playbooks/redmine.yml",
        {"redmine_postgresql_storage_size": "lots"},
        "redmine_postgresql_storage_size (lots)",
        "postgresql_storage_size (lots)",
    ),
]


@pytest.mark.parametrize(("playbook", "extra", "named", "not_named"), CASES, ids=[str(c[1]) for c in CASES])
def test_the_message_names_the_users_variable(render_fail, playbook, extra, named, not_named):
    output = " ".join(render_fail(playbook, inventory=INVENTORY, extra_vars=extra).split())
    assert named in output
    assert f" {not_named}" not in output
