# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the rendered files against several Kubernetes versions at once (finalize step of kube_api).

    validate_rendered.py VERSION [VERSION ...] -- FILE [FILE ...]

Starts one ``kubernetes-validate --strict -k VERSION --quiet FILE...`` process per version, all at the same
time (each takes about a second, mostly parsing YAML and schemas, so they use separate cores), and prints a
JSON list with one entry per version, in the order given: {"item": version, "rc": exit status, "stdout": ...,
"stderr": ...}, the output stripped of trailing newlines like ansible.builtin.command does. Exits 0 whatever
the validators say; their exit statuses are in the output.
"""

from __future__ import annotations

import json
import subprocess
import sys


def validate(versions: list[str], paths: list[str]) -> list[dict[str, object]]:
    """Run one strict kubernetes-validate process per version concurrently; return their results in order."""
    procs = [
        (
            version,
            subprocess.Popen(
                [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", version, "--quiet", *paths],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ),
        )
        for version in versions
    ]
    results = []
    for version, proc in procs:
        stdout, stderr = proc.communicate()
        results.append(
            {
                "item": version,
                "rc": proc.returncode,
                "stdout": stdout.decode("utf-8", errors="replace").rstrip("\r\n"),
                "stderr": stderr.decode("utf-8", errors="replace").rstrip("\r\n"),
            }
        )
    return results


def main() -> int:
    args = sys.argv[1:]
    if "--" not in args:
        print("usage: validate_rendered.py VERSION [VERSION ...] -- FILE [FILE ...]", file=sys.stderr)
        return 2
    split = args.index("--")
    print(json.dumps(validate(args[:split], args[split + 1 :])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
