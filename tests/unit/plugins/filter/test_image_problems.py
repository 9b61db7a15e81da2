# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.ome.k8s.plugins.filter.image_problems import image_problems, is_pinned_tag

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("tag", ["16.10-bookworm", "7.4.5-alpine", "6.0.11", "v1", "e2e_1", "16.10-bookworm@" + DIGEST])
def test_pinned_tags_pass(tag):
    assert is_pinned_tag(tag)


@pytest.mark.parametrize(
    "tag",
    ["latest", "latest@" + DIGEST, "", "-1", ".1", "a" * 129, "16 bookworm", "16@sha256:abc", DIGEST, None, 16, True],
)
def test_moving_or_malformed_tags_fail(tag):
    assert not is_pinned_tag(tag)


@pytest.mark.parametrize(
    "repository",
    ["docker.io/library/postgres", "postgres", "registry.example.org:5000/mirror/postgres", "localhost:5000/redis"],
)
def test_repositories_pass(repository):
    assert image_problems({"postgresql_image": [repository, "16.10-bookworm"]}) == []


@pytest.mark.parametrize(
    "repository",
    ["docker.io/library/postgres:16.10-bookworm", "registry.example.org:5000/postgres:16", "postgres@" + DIGEST],
)
def test_a_repository_with_a_tag_or_digest_names_the_tag_variable(repository):
    [message] = image_problems({"postgresql_image": [repository, "16.10-bookworm"]})
    assert message == (
        "postgresql_image (%s) must name the image repository only, without tag or digest: the tag goes in"
        " postgresql_image_tag." % repository
    )


@pytest.mark.parametrize("repository", ["", "  ", None])
def test_an_empty_repository_is_reported(repository):
    [message] = image_problems({"redis_image": [repository, "7.4.5-alpine"]})
    assert message.startswith("redis_image must name the image repository")


def test_a_moving_tag_is_reported_with_the_tag_variable():
    [message] = image_problems({"redis_image": ["docker.io/library/redis", "latest"]})
    assert message.startswith("redis_image_tag (latest) must be a pinned tag other than latest")


def test_every_problem_of_every_image_is_reported_in_variable_order():
    problems = image_problems(
        {
            "redmine_image": ["docker.io/library/redmine:6", "latest"],
            "redmine_extensions_image": ["", "6.0.11"],
        }
    )
    assert [m.split(" ")[0] for m in problems] == ["redmine_extensions_image", "redmine_image", "redmine_image_tag"]
