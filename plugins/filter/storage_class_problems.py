# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings checks of StorageClass names, shared by every role that creates volumes (documented in
storage_class_problems.yml)."""

from __future__ import annotations

from ansible_collections.ome.k8s.plugins.test.dns_subdomain import dns_subdomain

SITE_WIDE = "ome_k8s_storage_class"


def is_storage_class_name(value):
    """Empty (the cluster's default class) or a valid StorageClass name."""
    value = "" if value is None else str(value)
    return value == "" or dns_subdomain(value)


def storage_class_problems(settings, site_wide=""):
    """One message per invalid value of ``settings`` (variable name -> value).

    A value equal to the site-wide setting came from it (the roles default to it), so the message names
    ome_k8s_storage_class, the variable the user set, rather than the role's.
    """
    problems = []
    for name, value in settings.items():
        if is_storage_class_name(value):
            continue
        origin = SITE_WIDE if site_wide and str(value) == str(site_wide) else name
        problems.append(
            "%s (%s) must be a StorageClass name: lowercase letters, digits, '-' and '.', starting and ending with a"
            " letter or digit, at most 253 characters; empty uses the cluster's default class." % (origin, value)
        )
    return sorted(set(problems))


class FilterModule:
    def filters(self):
        return {"storage_class_problems": storage_class_problems}
