# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``version_tag``: an image tag that states the version a role relies on (documented in version_tag.yml)."""

from __future__ import annotations

import re

# Dot-separated numbers, optionally followed by a suffix such as -1 or -bookworm; no digest, because roles put
# the tag in the app.kubernetes.io/version label.
_VERSION_TAG = re.compile(r"^(?P<version>[0-9]+(\.[0-9]+)*)(-[0-9A-Za-z][0-9A-Za-z.-]*)?$")


def version_tag(value, parts=None):
    """True for a tag such as 5.6.17, 5.6.17-1 or 16.10-bookworm; ``parts`` asks for exactly that many numbers."""
    if not isinstance(value, str) or len(value) > 128:
        return False
    match = _VERSION_TAG.match(value)
    if match is None:
        return False
    return parts is None or len(match.group("version").split(".")) == int(parts)


class TestModule:
    def tests(self):
        return {"version_tag": version_tag}
