# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for render-mode tests of the application roles (see harness.py)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness


@pytest.fixture
def render(tmp_path):
    """``render(playbook, inventory=None, extra_vars=None, **kw) -> harness.Rendered`` bound to tmp_path."""
    return functools.partial(harness.render, tmp_path=tmp_path)


@pytest.fixture
def render_fail(tmp_path):
    """``render_fail(playbook, inventory=None, extra_vars=None) -> str`` (output); the run must fail."""
    return functools.partial(harness.render_fail, tmp_path=tmp_path)
