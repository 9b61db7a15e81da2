# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.ome.k8s.plugins.filter.password_problems import password_problems


@pytest.mark.parametrize("value", ["", None, "x" * 16, "y" * 64])
def test_empty_or_long_enough_passwords_pass(value):
    assert password_problems({"redis_password": value}) == []


@pytest.mark.parametrize("value", ["Q", "short-pw", "Z" * 15])
def test_short_passwords_are_reported_by_length_never_by_value(value):
    [message] = password_problems({"redis_password": value})
    assert message == (
        "redis_password is too short (%d characters): give at least 16, or leave it empty to have one generated."
        % len(value)
    )
    assert value not in message


def test_every_short_password_is_reported_sorted():
    problems = password_problems({"redis_password": "abc", "postgresql_password": "def", "ok": "x" * 20})
    assert [m.split(" ")[0] for m in problems] == ["postgresql_password", "redis_password"]
