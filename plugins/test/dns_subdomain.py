# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``dns_subdomain``: a host name or a Kubernetes name such as a StorageClass's (documented in
dns_subdomain.yml)."""

from __future__ import annotations

import re

# RFC 1123 subdomain: dot-separated DNS labels.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def dns_subdomain(value, max_length=253):
    """True for lower-case DNS labels joined by dots, at most ``max_length`` characters in all."""
    return isinstance(value, str) and len(value) <= int(max_length) and _DNS_SUBDOMAIN.match(value) is not None


class TestModule:
    def tests(self):
        return {"dns_subdomain": dns_subdomain}
