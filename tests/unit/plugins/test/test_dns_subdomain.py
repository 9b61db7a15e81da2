# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

import ansible_collections.ome.k8s.plugins.test.dns_subdomain as plugin
from ansible_collections.ome.k8s.plugins.test.dns_subdomain import dns_subdomain


@pytest.mark.parametrize("value", ["local-path", "fast.ssd", "a", "omero.example.org", "x" * 253])
def test_subdomains_pass(value):
    assert dns_subdomain(value)


@pytest.mark.parametrize("value", ["", "Fast_SSD!", "-ssd", "ssd-", "UPPER", "a..b", ".a", "a.", "x" * 254, None, 1])
def test_other_values_fail(value):
    assert not dns_subdomain(value)


def test_the_length_limit_is_a_parameter():
    assert not dns_subdomain("a.b", 2)


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {"dns_subdomain": dns_subdomain}
