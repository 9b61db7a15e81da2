# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.image_repository as plugin
from ansible_collections.ome.k8s.plugins.test.image_repository import image_repository


@pytest.mark.parametrize(
    "value",
    ["docker.io/library/postgres", "postgres", "registry.example.org:5000/mirror/postgres", "localhost:5000/redis"],
)
def test_repositories_pass(value):
    assert image_repository(value)


@pytest.mark.parametrize(
    "value",
    ["", " ", "redis:7", "docker.io/library/redis:7.4", "redis@sha256:" + "0" * 64, " redis", "redis ", None, 3],
)
def test_empty_tagged_or_digested_values_fail(value):
    assert not image_repository(value)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"image_repository": image_repository}
