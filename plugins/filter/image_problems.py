# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings checks of container images given as a repository and a tag, shared by every role that runs
containers (documented in image_problems.yml)."""

from __future__ import annotations

from ansible_collections.ome.k8s.plugins.test.image_repository import image_repository
from ansible_collections.ome.k8s.plugins.test.pinned_image_tag import pinned_image_tag as is_pinned_tag


def _repository_problem(name, repository):
    if not isinstance(repository, str) or not repository.strip():
        return "%s must name the image repository, such as registry.example.org/library/redis (it is empty)." % name
    if not image_repository(repository):
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
