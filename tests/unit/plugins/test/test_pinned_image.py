# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.pinned_image as plugin
from ansible_collections.ome.k8s.plugins.test.pinned_image import pinned_image

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "value",
    [
        "busybox:1.35.0",
        "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2",
        "registry.example.org:5000/flannel-io/flannel:v0.28.10",
        "busybox:1.35.0@" + DIGEST,
        "busybox@" + DIGEST,
        "registry.example.org:5000/library/busybox@" + DIGEST,
    ],
)
def test_references_pinned_by_tag_or_digest_pass(value):
    assert pinned_image(value)


@pytest.mark.parametrize(
    "value",
    [
        "busybox",
        "busybox:latest",
        "busybox:latest@" + DIGEST,
        "docker.io/library/traefik:latest",
        # a registry's port is not a tag
        "registry.example.org:5000/library/busybox",
        "busybox:",
        "busybox@",
        "busybox@sha256:abc",
        "busybox:1.35.0@sha256:abc",
        "busybox@" + DIGEST + "@" + DIGEST,
        ":1.35.0",
        " busybox:1.35.0",
        "",
        None,
        1,
    ],
)
def test_moving_untagged_or_malformed_references_fail(value):
    assert not pinned_image(value)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"pinned_image": pinned_image}
