# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.version_tag as plugin
from ansible_collections.ome.k8s.plugins.test.version_tag import version_tag


@pytest.mark.parametrize("tag", ["5.6.17", "5.6.17-1", "16.4", "16.10-bookworm", "1.29.4-alpine", "16"])
def test_version_tags_pass(tag):
    assert version_tag(tag)


@pytest.mark.parametrize(
    "tag", ["latest", "v5.6.17", "5.6.", "5..6", "5.6.17-", "5.6.17@sha256:" + "0" * 64, "", None, 5]
)
def test_other_tags_fail(tag):
    assert not version_tag(tag)


def test_the_number_of_parts_can_be_required():
    assert version_tag("5.6.17-1", 3)
    assert not version_tag("16.4", 3)
    assert not version_tag("5.6.17.1", 3)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"version_tag": version_tag}
