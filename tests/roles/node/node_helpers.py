# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the node role's tests find the role, and how they run a play against a local inventory."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]


def role_root() -> pathlib.Path:
    """The ome.k8s.node tree Ansible resolves (installed copy under `make test`, else the repo)."""
    for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        candidate = pathlib.Path(path) / "ansible_collections" / "ome" / "k8s" / "roles" / "node"
        if candidate.is_dir():
            return candidate.resolve()
    return REPO / "roles" / "node"


def run_play(tmp: pathlib.Path, inventory: dict, play: list, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Write the inventory and play under tmp, run them with the JSON callback; return the run and its report."""
    (tmp / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (tmp / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORKS="10")
    run = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp / "hosts.yml"), *args,
         str(tmp / "play.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )  # fmt: skip
    return run, json.loads(run.stdout)
