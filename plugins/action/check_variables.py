# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report variables that look like settings of this collection but that no role reads (documented in
plugins/modules/check_variables.py)."""

from __future__ import annotations

import difflib
import os

import yaml
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

# The collection's own root: <collection>/plugins/action/check_variables.py.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Collection-wide settings (ome_k8s_render_dir, ...) share this prefix besides the role names.
COLLECTION_PREFIX = "ome_k8s_"
# Set on the controller once the check has reported: apps.yml imports three playbooks that each run it.
CHECKED_FACT = "__ome_k8s_variables_checked"


def role_specs(roles_dir):
    """Role name -> parsed meta/argument_specs.yml, for every role of the collection."""
    specs = {}
    for role in sorted(os.listdir(roles_dir)):
        path = os.path.join(roles_dir, role, "meta", "argument_specs.yml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                specs[role] = yaml.safe_load(handle) or {}
    return specs


def declared_names(specs):
    """Every top-level option of every entry point of every role."""
    return {
        name
        for spec in specs.values()
        for entry_point in (spec.get("argument_specs") or {}).values()
        for name in (entry_point.get("options") or {})
    }


def prefixes(roles):
    """The prefixes that mark a variable as a setting of the collection."""
    return sorted({role + "_" for role in roles} | {COLLECTION_PREFIX})


def unknown_variables(names, declared, known_prefixes):
    """(name, suggestion or None) for each name with a collection prefix that is declared nowhere, sorted.

    Internal variables (leading underscore) are the roles' own business and never reported.
    """
    found = []
    for name in sorted(set(names)):
        if name.startswith("_") or name in declared or not name.startswith(tuple(known_prefixes)):
            continue
        close = difflib.get_close_matches(name, sorted(declared), n=1, cutoff=0.8)
        found.append((name, close[0] if close else None))
    return found


def describe(unknown, where):
    """One sentence per unknown variable, naming where it was seen and the likely intended name."""
    lines = []
    for name, suggestion in unknown:
        hosts = ", ".join(sorted(where[name]))
        text = "%s (set for %s) is not a setting of any ome.k8s role and is ignored" % (name, hosts)
        lines.append(text + ("; did you mean %s?" % suggestion if suggestion else "."))
    return lines


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("hosts", "known", "strict"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        if task_vars.get(CHECKED_FACT):
            result.update(changed=False, skipped=True, unknown=[], msg="Already checked in this run.")
            return result
        args = self._task.args
        hosts = args.get("hosts") or []
        known = set(args.get("known") or [])
        strict = boolean(args.get("strict", False), strict=False)

        specs = role_specs(os.path.join(COLLECTION_ROOT, "roles"))
        declared = declared_names(specs) | known
        # Where each name was seen: this host's variables (inventory, play, extra vars), then each listed host's.
        where = {}
        for name in task_vars:
            where.setdefault(to_text(name), set()).add(task_vars.get("inventory_hostname", "localhost"))
        hostvars = task_vars.get("hostvars", {})
        for host in hosts:
            for name in hostvars[host]:
                where.setdefault(to_text(name), set()).add(host)

        unknown = unknown_variables(where, declared, prefixes(specs))
        messages = describe(unknown, where)
        result.update(
            changed=False,
            unknown=[{"name": n, "suggestion": s} for n, s in unknown],
            ansible_facts={CHECKED_FACT: True},
        )
        if not messages:
            result["msg"] = "Every setting of ome.k8s that is set is one a role reads."
        elif strict:
            result.update(failed=True, msg=" ".join(messages) + " (ome_k8s_strict_variables is true.)")
        else:
            result["msg"] = "%d unknown setting(s)." % len(messages)
            hint = "Set ome_k8s_strict_variables: true to make unknown ome.k8s settings an error."
            result["warnings"] = [*messages, hint]
        return result
