# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive a module's main() the way Ansible does, with its exit turned into an exception to inspect."""

from __future__ import annotations

from ansible.module_utils.testing import patch_module_args


class Exit(Exception):
    """exit_json was called; args[0] holds its keyword arguments."""


class Fail(Exception):
    """fail_json was called; args[0] holds its keyword arguments."""


def run_main(module, args: dict):
    """Run module.main() with `args`; return (Exit or Fail, result dict)."""
    with patch_module_args(args):
        try:
            module.main()
        except (Exit, Fail) as outcome:
            return type(outcome), outcome.args[0]
    raise AssertionError("main() returned without exit_json or fail_json")
