# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings-check messages that name the variable the user sets (documented in settings_named.yml)."""

from __future__ import annotations

import re


def settings_named(messages, names):
    """Each message with every variable of ``names`` (role variable -> the user's) replaced, whole words only."""
    if not names:
        return list(messages)
    pattern = re.compile(r"\b(%s)\b" % "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)))
    return [pattern.sub(lambda match: names[match.group(1)], message) for message in messages]


class FilterModule:
    def filters(self):
        return {"settings_named": settings_named}
