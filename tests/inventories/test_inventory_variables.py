# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every inventory under inventories/ sets each variable once per group or host.

Ansible merges the files of one group_vars/<group> or host_vars/<host> entry (a file, a directory, or both)
in an order a reader cannot see, so a variable set in two of them silently takes one value: the example
inventory once set ome_k8s_kubeconfig in two files and every playbook used the wrong one.
"""

from __future__ import annotations

import collections
import pathlib

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
INVENTORIES = sorted(p for p in (REPO / "inventories").iterdir() if p.is_dir())
VARS_SUFFIXES = {"", ".yml", ".yaml", ".json"}


class _Loader(yaml.SafeLoader):
    """Reads Ansible's tags (!vault, !unsafe) as plain values: only the variable names matter here."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def entity_files(vars_dir: pathlib.Path) -> dict[str, list[pathlib.Path]]:
    """Files that feed each group or host: <name>[.yml|.yaml|.json] and everything under <name>/."""
    entities = collections.defaultdict(list)
    for entry in sorted(vars_dir.iterdir()):
        name = entry.name
        if entry.is_dir():
            entities[name] += sorted(p for p in entry.rglob("*") if p.is_file() and p.suffix in VARS_SUFFIXES)
        elif entry.suffix in VARS_SUFFIXES:
            entities[entry.stem] += [entry]
    return entities


def duplicates(files: list[pathlib.Path], root: pathlib.Path = REPO) -> dict[str, list[str]]:
    """Variable name -> the files (relative to root) that set it, for names set more than once."""
    seen = collections.defaultdict(list)
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for name in data:
            seen[name].append(str(path.relative_to(root)))
    return {name: paths for name, paths in seen.items() if len(paths) > 1}


def test_there_is_an_inventory_to_check():
    assert (REPO / "inventories" / "lochy" / "group_vars" / "all").is_dir()


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[p.name for p in INVENTORIES])
def test_each_variable_is_set_once_per_group_and_host(inventory):
    problems = {}
    for kind in ("group_vars", "host_vars"):
        if (inventory / kind).is_dir():
            for entity, files in entity_files(inventory / kind).items():
                for name, paths in duplicates(files).items():
                    problems[f"{kind}/{entity}: {name}"] = paths
    assert problems == {}


def test_a_variable_set_twice_is_found(tmp_path):
    group = tmp_path / "group_vars" / "all"
    group.mkdir(parents=True)
    (group / "a.yml").write_text("ome_k8s_kubeconfig: /a\nsecret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  00\n")
    (group / "b.yml").write_text("ome_k8s_kubeconfig: ''\n")
    (tmp_path / "group_vars" / "all.yml").write_text("secret: x\n")
    files = entity_files(tmp_path / "group_vars")["all"]
    found = {name: sorted(pathlib.Path(p).name for p in paths) for name, paths in duplicates(files, tmp_path).items()}
    assert found == {"ome_k8s_kubeconfig": ["a.yml", "b.yml"], "secret": ["a.yml", "all.yml"]}
