# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.ome.k8s.plugins.filter.quantity_problems import quantity_problems


@pytest.mark.parametrize("value", ["10Gi", "512Mi", "1.5G", "100", "1e9", "250m", "1Ti", 20])
def test_quantities_pass(value):
    assert quantity_problems({"omero_server_data_size": value}) == []


@pytest.mark.parametrize("value", ["lots", "10 Gi", "10GB", "-1Gi", "", "Gi", "10gi", None, True])
def test_other_values_are_reported_with_the_variable(value):
    [message] = quantity_problems({"omero_server_data_size": value}, "100Gi")
    assert message.startswith("omero_server_data_size (%s) must be a Kubernetes quantity such as 100Gi" % value)


def test_every_bad_value_is_reported():
    problems = quantity_problems({"redmine_files_size": "lots", "redmine_files_backup_size": "more", "ok": "1Gi"})
    assert [m.split(" ")[0] for m in problems] == ["redmine_files_backup_size", "redmine_files_size"]
