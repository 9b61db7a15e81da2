# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``pinned_image``: a whole image reference that names one version (documented in pinned_image.yml)."""

from __future__ import annotations

import re

from ansible_collections.ome.k8s.plugins.test.image_repository import image_repository
from ansible_collections.ome.k8s.plugins.test.pinned_image_tag import DIGEST, pinned_image_tag

_DIGEST = re.compile("^" + DIGEST + "$")


def pinned_image(value):
    """True for <repository>:<tag>, <repository>:<tag>@sha256:<digest> or <repository>@sha256:<digest>, the
    repository as ``image_repository`` and the tag as ``pinned_image_tag`` have them."""
    if not isinstance(value, str):
        return False
    name, at, digest = value.partition("@")
    repository, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:
        # No tag: a colon before the last slash belongs to a registry's port.
        repository, tag = name, ""
    if not image_repository(repository):
        return False
    if tag:
        return pinned_image_tag(tag + at + digest)
    return _DIGEST.match(digest) is not None


class TestModule:
    def tests(self):
        return {"pinned_image": pinned_image}
