# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.label_key as plugin
from ansible_collections.ome.k8s.plugins.test.label_key import label_key


@pytest.mark.parametrize("value", ["role", "node-role.kubernetes.io/worker", "example.org/GPU_1", "a", "x" * 63])
def test_keys_pass(value):
    assert label_key(value)


@pytest.mark.parametrize(
    "value", ["", "/name", "example.org/", "Example.org/a", "a/b/c", "-a", "a_", "x" * 64, "a b", None, 1]
)
def test_other_values_fail(value):
    assert not label_key(value)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"label_key": label_key}
