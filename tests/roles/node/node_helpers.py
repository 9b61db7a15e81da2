# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the node role's tests find the role."""

from __future__ import annotations

import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[3]


def role_root() -> pathlib.Path:
    """The ome.k8s.node tree Ansible resolves (installed copy under `make test`, else the repo)."""
    for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        candidate = pathlib.Path(path) / "ansible_collections" / "ome" / "k8s" / "roles" / "node"
        if candidate.is_dir():
            return candidate.resolve()
    return REPO / "roles" / "node"
