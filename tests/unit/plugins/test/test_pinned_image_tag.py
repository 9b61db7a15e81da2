# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.pinned_image_tag as plugin
from ansible_collections.ome.k8s.plugins.test.pinned_image_tag import pinned_image_tag

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("tag", ["16.10-bookworm", "7.4.5-alpine", "6.0.11", "v1", "e2e_1", "16.10-bookworm@" + DIGEST])
def test_pinned_tags_pass(tag):
    assert pinned_image_tag(tag)


@pytest.mark.parametrize(
    "tag",
    ["latest", "latest@" + DIGEST, "", "-1", ".1", "a" * 129, "16 bookworm", "16@sha256:abc", DIGEST, None, 16, True],
)
def test_moving_or_malformed_tags_fail(tag):
    assert not pinned_image_tag(tag)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"pinned_image_tag": pinned_image_tag}
