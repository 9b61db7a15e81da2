# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``quantity``: a Kubernetes quantity, such as a volume or memory size (documented in quantity.yml)."""

from __future__ import annotations

import re

# A non-negative decimal with an optional binary (Ki, Mi, ...) or decimal (k, M, ...) suffix or exponent.
# Anything else is rejected by the API server, after the objects before it were applied.
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]*)?((Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE][-+]?[0-9]+)?$")


def quantity(value):
    """True for a quantity such as 10Gi, 512Mi, 1.5G or 1e9 (a number given as an integer counts too)."""
    if value is None or isinstance(value, bool):
        return False
    return _QUANTITY.match(str(value)) is not None


class TestModule:
    def tests(self):
        return {"quantity": quantity}
