# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings check of the length of passwords a site gives, shared by every role that takes one (documented in
password_problems.yml). Never puts a password's value in a message."""

from __future__ import annotations

from ansible_collections.ome.k8s.plugins.test.password import MINIMUM_LENGTH


def password_problems(settings):
    """One message per value of ``settings`` (variable name -> password) that is given but too short, sorted."""
    return sorted(
        "%s is too short (%d characters): give at least %d, or leave it empty to have one generated."
        % (name, len(value), MINIMUM_LENGTH)
        for name, value in settings.items()
        if value and len(value) < MINIMUM_LENGTH
    )


class FilterModule:
    def filters(self):
        return {"password_problems": password_problems}
