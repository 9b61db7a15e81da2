# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.label_value as plugin
from ansible_collections.ome.k8s.plugins.test.label_value import label_value


@pytest.mark.parametrize("value", ["", "omero", "OMERO_5.6", "a", "a-b.c_d", "x" * 63])
def test_label_values_pass(value):
    assert label_value(value)


@pytest.mark.parametrize("value", ["-a", "a-", "_a", "a b", "a/b", "x" * 64, None, 5])
def test_other_values_fail(value):
    assert not label_value(value)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"label_value": label_value}
