# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``label_key``: a Kubernetes label key (documented in label_key.yml)."""

from __future__ import annotations

from ansible_collections.ome.k8s.plugins.test.dns_subdomain import dns_subdomain
from ansible_collections.ome.k8s.plugins.test.label_value import label_value


def label_key(value):
    """True for ``name`` or ``prefix/name``: the name a non-empty label value, the prefix a DNS subdomain."""
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not dns_subdomain(prefix):
        return False
    return name != "" and label_value(name)


class TestModule:
    def tests(self):
        return {"label_key": label_key}
