# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ome.k8s playbooks in render mode and give tests the rendered objects.

Usage (pytest, through the fixtures in conftest.py)::

    def test_something(render):
        out = render("playbooks/omero.yml", inventory="inventories/lochy",
                     extra_vars={"omero_server_replicas": 1})
        sts = out.get("StatefulSet", "omero-db", namespace="omero")
        assert out.by_kind("Service")

    def test_bad_input(render_fail):
        output = render_fail("tests/apps/playbooks/x.yml", extra_vars={"x_port": "nope"})
        assert "x_port" in output

Paths are absolute or relative to the repository root. ``ANSIBLE_COLLECTIONS_PATH`` is taken from
the environment when set (``make test`` points it at an installed build of the collection), else the
in-repo symlink directory ``.ansible/collections`` is used.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
ANSIBLE_PLAYBOOK = BIN_DIR / "ansible-playbook"
DEFAULT_COLLECTIONS_PATH = REPO_ROOT / ".ansible" / "collections"


class RenderError(AssertionError):
    """The playbook did not end as the test expected."""


@dataclasses.dataclass
class Rendered:
    """Result of a render-mode run: the parsed objects plus the run's output."""

    render_dir: Path
    rc: int
    stdout: str
    stderr: str
    objects: list[dict]
    files: dict[str, dict]  # path relative to render_dir -> object

    def by_kind(self, kind: str, namespace: str | None = None) -> list[dict]:
        """All objects of ``kind`` (optionally only in ``namespace``), in file order."""
        return [o for o in self.objects if o.get("kind") == kind and (namespace is None or _namespace(o) == namespace)]

    def find(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        """The object of that kind and name (and namespace if given), or None."""
        matches = [o for o in self.by_kind(kind, namespace) if o["metadata"].get("name") == name]
        if len(matches) > 1:
            raise RenderError(f"{kind}/{name} is ambiguous, give a namespace: {[_namespace(m) for m in matches]}")
        return matches[0] if matches else None

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict:
        """Like find() but fails the test, listing what was rendered, when the object is missing."""
        found = self.find(kind, name, namespace)
        if found is None:
            raise RenderError(f"{kind} {namespace or '*'}/{name} not rendered; rendered: {sorted(self.files)}")
        return found

    def names(self, kind: str, namespace: str | None = None) -> list[str]:
        """Names of the objects of ``kind``."""
        return [o["metadata"]["name"] for o in self.by_kind(kind, namespace)]

    def namespaces(self) -> list[str]:
        """Directories written (namespaces, plus ``_cluster`` for cluster-scoped objects)."""
        return sorted({p.split("/", 1)[0] for p in self.files})

    def read(self, relpath: str) -> str:
        """Raw text of a rendered file (path relative to the render directory)."""
        return (self.render_dir / relpath).read_text(encoding="utf-8")


def _namespace(obj: dict) -> str | None:
    return obj.get("metadata", {}).get("namespace")


def _resolve(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


def ansible_env() -> dict[str, str]:
    """Environment for ansible-playbook: collections path, no colour, no interactive pager."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(DEFAULT_COLLECTIONS_PATH))
    env.update(
        {
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "PAGER": "cat",
        }
    )
    return env


def run_playbook(
    playbook: str | os.PathLike,
    tmp_path: Path,
    inventory: str | os.PathLike | None = None,
    extra_vars: dict | None = None,
    *,
    render_dir: Path | None = None,
    check: bool = False,
    args: list[str] | None = None,
) -> subprocess.CompletedProcess:
    """Run one playbook in render mode (``ome_k8s_render_dir`` = ``render_dir``, default tmp_path/rendered)."""
    tmp_path = Path(tmp_path)
    render_dir = Path(render_dir) if render_dir else tmp_path / "rendered"
    variables = {"ome_k8s_render_dir": str(render_dir)}
    variables.update(extra_vars or {})
    vars_file = tmp_path / f"extra-vars-{os.getpid()}-{len(list(tmp_path.glob('extra-vars-*')))}.json"
    vars_file.write_text(json.dumps(variables), encoding="utf-8")
    if inventory is None:
        inv = tmp_path / "localhost.ini"
        inv.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n", "utf-8")
    else:
        inv = _resolve(inventory)
    cmd = [str(ANSIBLE_PLAYBOOK), "-i", str(inv), "-e", f"@{vars_file}", str(_resolve(playbook))]
    if check:
        cmd.append("--check")
    cmd += args or []
    return subprocess.run(cmd, cwd=REPO_ROOT, env=ansible_env(), capture_output=True, text=True, check=False)


def load_rendered(render_dir: Path) -> tuple[list[dict], dict[str, dict]]:
    """Parse every ``*/*.yaml`` file under render_dir (sorted), one object per file."""
    files: dict[str, dict] = {}
    for path in sorted(Path(render_dir).glob("*/*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        if len(docs) != 1:
            raise RenderError(f"{path} holds {len(docs)} documents, expected exactly one")
        files[str(path.relative_to(render_dir))] = docs[0]
    return list(files.values()), files


def render(
    playbook: str | os.PathLike,
    inventory: str | os.PathLike | None = None,
    extra_vars: dict | None = None,
    *,
    tmp_path: Path,
    render_dir: Path | None = None,
    check: bool = False,
    args: list[str] | None = None,
) -> Rendered:
    """Render ``playbook`` and return the parsed objects; fails the test (with the output) when rc != 0."""
    render_dir = Path(render_dir) if render_dir else Path(tmp_path) / "rendered"
    proc = run_playbook(playbook, tmp_path, inventory, extra_vars, render_dir=render_dir, check=check, args=args)
    if proc.returncode != 0:
        raise RenderError(
            f"ansible-playbook {playbook} failed (rc={proc.returncode}):\n{proc.stdout[-20000:]}\n{proc.stderr[-5000:]}"
        )
    objects, files = load_rendered(render_dir) if render_dir.is_dir() else ([], {})
    return Rendered(render_dir, proc.returncode, proc.stdout, proc.stderr, objects, files)


def render_fail(
    playbook: str | os.PathLike,
    inventory: str | os.PathLike | None = None,
    extra_vars: dict | None = None,
    *,
    tmp_path: Path,
    args: list[str] | None = None,
) -> str:
    """Render ``playbook`` expecting failure; returns stdout+stderr. Fails the test if the run succeeds."""
    proc = run_playbook(playbook, tmp_path, inventory, extra_vars, args=args)
    output = proc.stdout + "\n" + proc.stderr
    if proc.returncode == 0:
        raise RenderError(f"ansible-playbook {playbook} succeeded but was expected to fail:\n{output[-20000:]}")
    return output


def changed_count(stdout: str) -> int:
    """Sum of ``changed=N`` over the PLAY RECAP lines of a run's output."""
    total = 0
    recap = stdout.rsplit("PLAY RECAP", 1)[-1]
    for token in recap.split():
        if token.startswith("changed="):
            total += int(token.split("=", 1)[1])
    return total


def scratch_repo(dest: Path) -> Path:
    """A one-commit git repository at ``dest`` holding this working tree's files (tracked and new, not ignored).

    Lets a test or benchmark change a file and run tools/render-diff.sh against HEAD without touching this
    repository's own git state.
    """
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    )
    for relpath in filter(None, listing.stdout.decode("utf-8").split("\0")):
        source = REPO_ROOT / relpath
        if source.is_file():
            (dest / relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / relpath)
    identity = ["-c", "user.name=ome.k8s tests", "-c", "user.email=tests@invalid"]
    for command in (["init", "--quiet"], ["add", "--all"], [*identity, "commit", "--quiet", "-m", "base"]):
        subprocess.run(["git", *command], cwd=dest, capture_output=True, check=True)
    return dest
