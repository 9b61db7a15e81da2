# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``password``: a password a site may give (documented in password.yml)."""

from __future__ import annotations

# Generated passwords are at least this long too (each role's *_password_length check).
MINIMUM_LENGTH = 16


def password(value):
    """True for an empty value (the role generates one) or a password of at least 16 characters."""
    value = "" if value is None else str(value)
    return value == "" or len(value) >= MINIMUM_LENGTH


class TestModule:
    def tests(self):
        return {"password": password}
