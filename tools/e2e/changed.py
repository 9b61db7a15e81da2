#!/usr/bin/env python3
"""Read an ansible-playbook run from its ansible.posix.json output:

  changed.py FILE          the total `changed` count
  changed.py --ready FILE  the readiness modules that returned ready, one `module play` per line
  changed.py --failed FILE what failed: `host | task | message`, one per line

Molecule may print lines of its own around the callback's JSON document, so the document is found by
its first key rather than assumed to be the whole file.
"""

import json
import sys

READY_MODULES = ("omero_db_status", "omero_server_ready", "omero_web_ready", "redmine_ready")


def _document(text: str) -> dict:
    start = text.index('{\n    "custom_stats"')
    return json.JSONDecoder().raw_decode(text, start)[0]


def changed(text: str) -> int:
    return sum(host["changed"] for host in _document(text)["stats"].values())


def ready(text: str) -> list[str]:
    """`<module> <play>` for each readiness task that ran and did not fail, in run order, without repeats."""
    found = []
    for play in _document(text)["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                module = result.get("action", "").rsplit(".", 1)[-1]
                if module in READY_MODULES and not result.get("failed") and not result.get("skipped"):
                    entry = f"{module} {play['play']['name']}"
                    if entry not in found:
                        found.append(entry)
    return found


def failed(text: str) -> list[str]:
    lines = []
    for play in _document(text)["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed") and not result.get("ignore_errors"):
                    message = result.get("msg") or result.get("stderr") or result.get("reason") or "(no message)"
                    lines.append(f"{host} | {task['task']['name']} | {message}")
    return lines


if __name__ == "__main__":
    args = sys.argv[1:]
    with open(args[-1], encoding="utf-8") as handle:
        text = handle.read()
    if args[0] == "--ready":
        print("\n".join(ready(text)))
    elif args[0] == "--failed":
        print("\n".join(failed(text)))
    else:
        print(changed(text))
