#!/usr/bin/env python3
"""Print the total `changed` count of an ansible-playbook run from its ansible.posix.json output.

Molecule may print lines of its own around the callback's JSON document, so the document is found by
its first key rather than assumed to be the whole file.
"""

import json
import sys


def changed(text: str) -> int:
    start = text.index('{\n    "custom_stats"')
    stats = json.JSONDecoder().raw_decode(text, start)[0]["stats"]
    return sum(host["changed"] for host in stats.values())


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(changed(handle.read()))
