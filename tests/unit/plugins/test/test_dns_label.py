# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.dns_label as plugin
from ansible_collections.ome.k8s.plugins.test.dns_label import dns_label


@pytest.mark.parametrize("value", ["redis", "a", "omero-2", "0abc", "x" * 63])
def test_labels_pass(value):
    assert dns_label(value)


@pytest.mark.parametrize("value", ["", "Bad_Name", "-a", "a-", "a.b", "with space", "x" * 64, None, 7, ["a"]])
def test_other_values_fail(value):
    assert not dns_label(value)


def test_the_length_limit_is_a_parameter():
    assert dns_label("d" * 40, 40)
    assert not dns_label("d" * 41, 40)
    assert dns_label("d" * 41, "41")


def test_a_letter_first_can_be_required():
    assert dns_label("a1", letter_first=True)
    assert not dns_label("1a", letter_first=True)
    assert dns_label("1a")


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"dns_label": dns_label}
