# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings checks of container images given as a repository and a tag, shared by every role that runs
containers (documented in image_problems.yml)."""

from __future__ import annotations

import re

# A tag as the OCI distribution specification allows it, optionally followed by a digest: the tag documents
# the version, the digest (when given) pins the content. A moving tag such as latest pins nothing.
_PINNED_TAG = re.compile(r"^(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@sha256:[0-9a-f]{64})?$")


def is_pinned_tag(value):
    """True for a tag other than latest, such as 16.10-bookworm or 16.10-bookworm@sha256:<64 hex digits>."""
    if not isinstance(value, str):
        return False
    match = _PINNED_TAG.match(value)
    return match is not None and match.group("tag") != "latest"


def _repository_problem(name, repository):
    if not isinstance(repository, str) or not repository.strip():
        return "%s must name the image repository, such as registry.example.org/library/redis (it is empty)." % name
    # A colon after the last slash is a tag; one before it is a registry's port (registry.example.org:5000/x).
    if "@" in repository or ":" in repository.rsplit("/", 1)[-1] or repository != repository.strip():
        return "%s (%s) must name the image repository only, without tag or digest: the tag goes in %s_tag." % (
            name,
            repository,
            name,
        )
    return None


def image_problems(settings):
    """Messages for ``settings`` (image variable name -> [repository, tag]); the tag variable is <name>_tag."""
    problems = []
    for name, (repository, tag) in sorted(settings.items()):
        problem = _repository_problem(name, repository)
        if problem:
            problems.append(problem)
        if not is_pinned_tag(tag):
            problems.append(
                "%s_tag (%s) must be a pinned tag other than latest (letters, digits, '_', '.' and '-'), optionally"
                " followed by @sha256:<digest>." % (name, tag)
            )
    return problems


class FilterModule:
    def filters(self):
        return {"image_problems": image_problems}
