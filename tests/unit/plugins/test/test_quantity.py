# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.quantity as plugin
from ansible_collections.ome.k8s.plugins.test.quantity import quantity


@pytest.mark.parametrize("value", ["10Gi", "512Mi", "1.5G", "100", "1e9", "250m", "1Ti", "1.", 20])
def test_quantities_pass(value):
    assert quantity(value)


@pytest.mark.parametrize("value", ["lots", "10 Gi", "10GB", "-1Gi", "", "Gi", "10gi", ".5Gi", None, True])
def test_other_values_fail(value):
    assert not quantity(value)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"quantity": quantity}
