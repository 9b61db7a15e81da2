# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.ome.k8s.plugins.filter.storage_class_problems import storage_class_problems


@pytest.mark.parametrize("value", ["", "local-path", "fast.ssd", "a", "nfs-client-2", "x" * 253])
def test_valid_names_pass(value):
    assert storage_class_problems({"redis_storage_class": value}) == []


@pytest.mark.parametrize("value", ["Fast_SSD!", "-ssd", "ssd-", "UPPER", "a..b", "x" * 254, "with space"])
def test_invalid_names_are_reported_with_the_role_variable(value):
    [message] = storage_class_problems({"redis_storage_class": value}, "local-path")
    assert message.startswith("redis_storage_class (%s) must be a StorageClass name" % value)


def test_a_value_from_the_site_wide_setting_names_it():
    problems = storage_class_problems(
        {"postgresql_storage_class": "Fast_SSD!", "postgresql_backup_storage_class": "Fast_SSD!"}, "Fast_SSD!"
    )
    assert len(problems) == 1
    assert problems[0].startswith("ome_k8s_storage_class (Fast_SSD!) must be")


def test_an_override_is_named_even_with_a_site_wide_value():
    [message] = storage_class_problems({"redmine_storage_class": "Bad!"}, "fast-ssd")
    assert message.startswith("redmine_storage_class (Bad!)")
