# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a playbook with the ansible.posix.json callback and read its structured result."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


@dataclasses.dataclass
class Run:
    rc: int
    result: dict
    stderr: str

    def tasks(self, host: str = "localhost") -> list[tuple[str, dict]]:
        """(task name, result) of every task that ran on ``host``, in order."""
        return [
            (task["task"]["name"], task["hosts"][host])
            for play in self.result.get("plays", [])
            for task in play["tasks"]
            if host in task["hosts"]
        ]

    def ran(self, name: str, host: str = "localhost") -> bool:
        """Whether a task whose name contains ``name`` ran (not skipped) on ``host``."""
        return any(name in task and not result.get("skipped") for task, result in self.tasks(host))

    def failures(self) -> list[str]:
        """The message of every failed or unreachable task result, on any host."""
        return [
            str(result.get("msg", ""))
            for play in self.result.get("plays", [])
            for task in play["tasks"]
            for result in task["hosts"].values()
            if result.get("failed") or result.get("unreachable")
        ]

    def warnings(self) -> list[str]:
        return [
            w
            for play in self.result.get("plays", [])
            for task in play["tasks"]
            for result in task["hosts"].values()
            for w in result.get("warnings", [])
        ]


def run(
    playbook: str,
    tmp_path: Path,
    inventory: Path | None = None,
    extra_vars: dict | None = None,
    args: list[str] | None = None,
) -> Run:
    """Run ``playbook`` (relative to the repository) with ``extra_vars``; HOME is a fresh directory."""
    if inventory is None:
        inventory = tmp_path / "localhost.ini"
        inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    vars_file = tmp_path / "extra-vars.json"
    vars_file.write_text(json.dumps(extra_vars or {}))
    (tmp_path / "home").mkdir(exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(
        {
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "HOME": str(tmp_path / "home"),
        }
    )
    full_env.pop("K8S_AUTH_KUBECONFIG", None)
    cmd = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "-e", f"@{vars_file}", str(REPO / playbook), *(args or [])]
    proc = subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True, check=False)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"no JSON result (rc={proc.returncode}):\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
        ) from exc
    return Run(proc.returncode, result, proc.stderr)
