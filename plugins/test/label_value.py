# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``label_value``: a Kubernetes label value (documented in label_value.yml)."""

from __future__ import annotations

import re

# Empty, or letters, digits, '-', '_' and '.', beginning and ending with a letter or digit; at most 63.
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def label_value(value):
    """True for a value the API server accepts in metadata.labels."""
    return isinstance(value, str) and len(value) <= 63 and _LABEL_VALUE.match(value) is not None


class TestModule:
    def tests(self):
        return {"label_value": label_value}
