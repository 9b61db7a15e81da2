# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings checks of Kubernetes quantities (volume and memory sizes), shared by every role that sizes
something (documented in quantity_problems.yml)."""

from __future__ import annotations

import re

# A Kubernetes quantity: a non-negative decimal with an optional binary (Ki, Mi, ...) or decimal (k, M, ...)
# suffix or exponent. Anything else is rejected by the API server, after objects before it were applied.
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]*)?((Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE][-+]?[0-9]+)?$")


def is_quantity(value):
    """True for a Kubernetes quantity such as 10Gi, 512Mi, 1.5G or 1e9."""
    if value is None or isinstance(value, bool):
        return False
    return _QUANTITY.match(str(value)) is not None


def quantity_problems(settings, example="10Gi"):
    """One message per value of ``settings`` (variable name -> value) that is not a quantity, sorted."""
    return sorted(
        "%s (%s) must be a Kubernetes quantity such as %s (a number with an optional suffix Ki, Mi, Gi, Ti, k, M,"
        " G or T)." % (name, value, example)
        for name, value in settings.items()
        if not is_quantity(value)
    )


class FilterModule:
    def filters(self):
        return {"quantity_problems": quantity_problems}
