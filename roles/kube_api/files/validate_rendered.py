# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the rendered files against several Kubernetes versions (finalize step of kube_api).

    validate_rendered.py VERSION [VERSION ...] -- FILE [FILE ...]

Runs kubernetes-validate's strict check (the one ``kubernetes-validate --strict -k VERSION --quiet FILE...``
runs) in this one process: every file is parsed once, with libyaml when PyYAML has it, and each schema file
is read once per run instead of once per object, which was most of the command's time. Prints a JSON list
with one entry per version, in the order given: {"item": version, "rc": exit status the command would have
returned, "stdout": its messages, "stderr": "", "no_schema": [{"path", "apiVersion", "kind"} of each object
it has no schema for, and so passed unchecked]}, stdout stripped of trailing newlines like
ansible.builtin.command does. Exits 0 whatever the validation says; the verdicts are in the output.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import sys

import yaml
from kubernetes_validate import utils

# The schema files never change during a run; kubernetes-validate would read and parse them for every object.
utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader (libyaml when available) with kubernetes-validate's handling of plain `=` values."""


_Loader.add_constructor("tag:yaml.org,2002:value", utils.construct_value)


def _resources(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [item for item in yaml.load_all(handle.read(), Loader=_Loader) if item]


def validate(versions: list[str], paths: list[str]) -> list[dict[str, object]]:
    """Validate every resource of every file strictly for each version; one result per version, in order."""
    resources = [(path, resource) for path in paths for resource in _resources(path)]
    results = []
    for version in versions:
        messages = []
        no_schema = []
        rc = 0
        for path, resource in resources:
            with contextlib.redirect_stdout(io.StringIO()) as message:
                rc |= utils.validate_resource(resource, path, version, strict=True, quiet=True, no_warn=False)
            messages.append(message.getvalue())
            # kubernetes-validate passes, with this warning, the kinds it has no schema for (custom resources).
            if message.getvalue().startswith(f"WARN {path} Couldn't find schema"):
                no_schema.append({"path": path, "apiVersion": resource.get("apiVersion"), "kind": resource.get("kind")})
        stdout = "".join(messages).rstrip("\r\n")
        results.append({"item": version, "rc": rc, "stdout": stdout, "stderr": "", "no_schema": no_schema})
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
