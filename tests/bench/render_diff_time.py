# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wall time of `make render-diff` for a one-variable change, against two whole-site renders one after the other.

    .venv/bin/python tests/bench/render_diff_time.py [--rounds 2]

Copies the working tree into a scratch git repository (tests/apps/harness.py scratch_repo), changes
omero_web_replicas in its lochy inventory and, in each round, times tools/render-diff.sh against the scratch
HEAD and then two fresh renders of the inventory (render_time.py's render_once). Alternating the two keeps a
change in the machine's load from favouring either. Prints each round, the load average and the ratio of the
best times; the target is a ratio <= 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from render_time import REPO_ROOT, render_once

sys.path.insert(0, str(REPO_ROOT / "tests" / "apps"))
import harness  # tests/apps is not a package

INVENTORY = "inventories/lochy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    env = {**harness.ansible_env(), "PATH": f"{harness.BIN_DIR}{os.pathsep}{os.environ['PATH']}"}
    diffs, pairs = [], []
    with tempfile.TemporaryDirectory(prefix="ome-k8s-render-diff-bench-") as tmp:
        repo = harness.scratch_repo(Path(tmp) / "repo")
        values = repo / INVENTORY / "group_vars/all/omero.yml"
        values.write_text(values.read_text(encoding="utf-8").replace("omero_web_replicas: 3", "omero_web_replicas: 4"))
        for round_ in range(1, args.rounds + 1):
            start = time.monotonic()
            proc = subprocess.run(
                ["bash", "tools/render-diff.sh", "HEAD", INVENTORY],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            diffs.append(time.monotonic() - start)
            if proc.returncode != 0 or "+  replicas: 4" not in proc.stdout:
                raise SystemExit(f"render-diff did not show the change:\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
            renders = [render_once(repo / INVENTORY, Path(tmp) / f"render-{round_}-{n}", env)[0] for n in (1, 2)]
            pairs.append(sum(renders))
            print(
                f"round {round_}: render-diff {diffs[-1]:.1f} s, two renders {renders[0]:.1f} + {renders[1]:.1f} = "
                f"{pairs[-1]:.1f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
    best_diff, best_pair = min(diffs), min(pairs)
    print(f"best render-diff {best_diff:.1f} s, best two renders {best_pair:.1f} s: ratio {best_diff / best_pair:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
