# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wall time of rendering and validating every application of an inventory (playbooks/apps.yml).

    .venv/bin/python tests/bench/render_time.py [--inventory inventories/lochy] [--runs 2] [--max-seconds N]

Run 1 renders into an empty directory, later runs re-render into the same one (nothing to write). For each
run it prints the wall time, the CPU time ansible used (user+sys of the child processes, which is what the
wall time would be on an idle machine with one core) and the load average, since a loaded machine
stretches wall time. With --max-seconds the exit status is 1 when the best wall time exceeds it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def render_once(inventory: Path, render_dir: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run apps.yml in render mode; return (wall seconds, child CPU seconds, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory),
            str(REPO_ROOT / "playbooks" / "apps.yml"),
            "-e",
            f"ome_k8s_render_dir={render_dir}",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-8000:] + proc.stderr[-4000:])
        raise SystemExit(f"render failed (rc={proc.returncode})")
    return wall, cpu, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--inventory", default="inventories/lochy")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=None)
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO_ROOT / ".ansible" / "collections"))
    env["ANSIBLE_NOCOLOR"] = "1"
    inventory = (REPO_ROOT / args.inventory) if not Path(args.inventory).is_absolute() else Path(args.inventory)

    walls = []
    with tempfile.TemporaryDirectory(prefix="ome-k8s-render-bench-") as tmp:
        render_dir = Path(tmp) / "rendered"
        for run in range(1, args.runs + 1):
            wall, cpu, stdout = render_once(inventory, render_dir, env)
            files = len(list(render_dir.glob("*/*.yaml")))
            tasks = stdout.count("\nTASK [")
            load = os.getloadavg()[0]
            kind = "fresh" if run == 1 else "re-render"
            print(
                f"run {run} ({kind}): {wall:.1f} s wall, {cpu:.1f} s CPU, {files} files, {tasks} tasks, "
                f"load average {load:.1f} on {os.cpu_count()} CPUs"
            )
            walls.append(wall)
    best = min(walls)
    print(f"best wall time: {best:.1f} s (target < 10 s)")
    if args.max_seconds is not None and best > args.max_seconds:
        print(f"slower than --max-seconds {args.max_seconds}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
