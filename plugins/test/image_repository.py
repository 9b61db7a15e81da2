# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``image_repository``: an image repository without tag or digest (documented in image_repository.yml)."""

from __future__ import annotations


def image_repository(value):
    """True for a repository such as registry.example.org:5000/library/redis: not empty, no surrounding spaces,
    no digest, and no colon after the last slash (that would be a tag; one before it is a registry's port)."""
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        return False
    return "@" not in value and ":" not in value.rsplit("/", 1)[-1]


class TestModule:
    def tests(self):
        return {"image_repository": image_repository}
