# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings checks of Kubernetes quantities (volume and memory sizes), shared by every role that sizes
something (documented in quantity_problems.yml)."""

from __future__ import annotations

from ansible_collections.ome.k8s.plugins.test.quantity import quantity as is_quantity


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
