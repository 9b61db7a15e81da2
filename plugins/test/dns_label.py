# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``dns_label``: a Kubernetes object or namespace name (documented in dns_label.yml)."""

from __future__ import annotations

import re

# RFC 1123 label, as Kubernetes validates namespace and most object names.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns_label(value, max_length=63, letter_first=False):
    """True for a DNS label of at most ``max_length`` characters; ``letter_first`` also asks for a leading letter
    (RFC 1035, as Service names need)."""
    if not isinstance(value, str) or len(value) > int(max_length) or not _DNS_LABEL.match(value):
        return False
    return not letter_first or value[0].isalpha()


class TestModule:
    def tests(self):
        return {"dns_label": dns_label}
