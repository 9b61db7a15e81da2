# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.password as plugin
from ansible_collections.ome.k8s.plugins.test.password import password


@pytest.mark.parametrize("value", ["", None, "p" * 16, "correct horse battery staple"])
def test_empty_or_long_enough_passes(value):
    assert password(value)


@pytest.mark.parametrize("value", ["x", "p" * 15])
def test_short_passwords_fail(value):
    assert not password(value)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"password": password}
