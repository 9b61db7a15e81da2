# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``pinned_image_tag``: an image tag that names one version (documented in pinned_image_tag.yml)."""

from __future__ import annotations

import re

# A tag as the OCI distribution specification allows it, optionally followed by a digest: the tag documents
# the version, the digest (when given) pins the content. A moving tag such as latest pins nothing.
DIGEST = r"sha256:[0-9a-f]{64}"
_PINNED_TAG = re.compile(r"^(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@" + DIGEST + r")?$")


def pinned_image_tag(value):
    """True for a tag other than latest, such as 16.10-bookworm or 16.10-bookworm@sha256:<64 hex digits>."""
    if not isinstance(value, str):
        return False
    match = _PINNED_TAG.match(value)
    return match is not None and match.group("tag") != "latest"


class TestModule:
    def tests(self):
        return {"pinned_image_tag": pinned_image_tag}
