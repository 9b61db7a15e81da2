# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible.module_utils import basic
from module_harness import Exit, Fail

from ansible_collections.ome.k8s.plugins.module_utils import readiness


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    """exit_json/fail_json raise Exit/Fail; retry loops run instantly on a fake clock that `sleep` moves."""

    def exit_json(self, **kwargs):
        raise Exit(kwargs)

    def fail_json(self, **kwargs):
        raise Fail(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    clock = {"now": 0.0}
    monkeypatch.setattr(readiness.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(readiness.time, "sleep", lambda seconds: clock.__setitem__("now", clock["now"] + seconds))
    return clock
