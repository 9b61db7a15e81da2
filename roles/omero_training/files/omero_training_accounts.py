# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provision OMERO training accounts and groups, idempotently.

The script has two halves:

* pure logic (``normalize_spec``, ``plan``) that validates the desired accounts
  and groups and compares them with what exists; it needs no OMERO libraries and
  is unit tested on its own;
* a thin OMERO layer (``OmeroAdmin``) that reads the existing state and carries
  out the planned actions through omero-py's BlitzGateway and admin service.

Sub-commands:

``validate``  read the raw spec (JSON) from ``--spec`` (``-`` for stdin), print
              the normalised spec as JSON; exit 2 with ``ERROR: ...`` if invalid.
``apply``     connect to OMERO as root, create what is missing, print a JSON
              summary of the actions taken (``--dry-run`` only plans).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

PERMISSIONS = {
    "private": "rw----",
    "read-only": "rwr---",
    "read-annotate": "rwra--",
    "read-write": "rwrw--",
}
PERMISSION_NAMES = {value: key for key, value in PERMISSIONS.items()}

# Names become Kubernetes Secret keys and OMERO login names: keep them simple.
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,62}$")
# Built-in OMERO accounts and groups that training must never manage.
RESERVED_USERS = frozenset({"root", "guest", "public"})
RESERVED_GROUPS = frozenset({"system", "user", "guest"})
MAX_COUNT = 999


class SpecError(ValueError):
    """The desired accounts/groups are invalid."""


class OmeroError(RuntimeError):
    """A call to the OMERO server failed."""


# --------------------------------------------------------------------------- #
# Pure logic
# --------------------------------------------------------------------------- #
def user_names_from_count(count, prefix="user-"):
    """Return ``prefix01`` .. ``prefixNN`` (at least two digits)."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise SpecError("users: a count must be an integer, got %r" % (count,))
    if count < 1:
        raise SpecError("users: the count must be at least 1, got %d" % count)
    if count > MAX_COUNT:
        raise SpecError("users: the count must be at most %d, got %d" % (MAX_COUNT, count))
    width = max(2, len(str(count)))
    return ["%s%0*d" % (prefix, width, index) for index in range(1, count + 1)]


def _check_name(kind, name, reserved):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SpecError(
            "%s name %r is invalid: use 1-63 characters, a letter first, then letters, "
            "digits, '.', '_' or '-'" % (kind, name)
        )
    if name.lower() in reserved:
        raise SpecError("%s name %r is reserved by OMERO" % (kind, name))


def _duplicates(names):
    seen = set()
    dups = []
    for name in names:
        key = name.lower()
        if key in seen and name not in dups:
            dups.append(name)
        seen.add(key)
    return dups


def normalize_groups(groups):
    """Validate the group list; return ``[{"name", "permissions"}]`` (level names)."""
    if not isinstance(groups, list) or not groups:
        raise SpecError("groups: at least one group is required (every account needs a default group)")
    result = []
    for index, raw in enumerate(groups):
        group = {"name": raw} if isinstance(raw, str) else raw
        if not isinstance(group, dict):
            raise SpecError("groups[%d]: expected a name or a mapping, got %r" % (index, group))
        unknown = set(group) - {"name", "permissions"}
        if unknown:
            raise SpecError("groups[%d]: unknown keys %s" % (index, ", ".join(sorted(unknown))))
        name = group.get("name")
        _check_name("group", name, RESERVED_GROUPS)
        level = group.get("permissions", "read-annotate")
        if level not in PERMISSIONS:
            raise SpecError(
                "group %r: unknown permission level %r; use one of %s" % (name, level, ", ".join(PERMISSIONS))
            )
        result.append({"name": name, "permissions": level})
    dups = _duplicates([g["name"] for g in result])
    if dups:
        raise SpecError("groups: duplicate names %s" % ", ".join(dups))
    return result


def normalize_users(users, group_names, default_groups, prefix="user-"):
    """Validate the user list or count; return ``[{"name", "first_name", "last_name", "groups"}]``."""
    if isinstance(users, list):
        if not users:
            raise SpecError("users: the list is empty; give a count or at least one account")
        entries = users
    elif isinstance(users, int) and not isinstance(users, bool):
        entries = user_names_from_count(users, prefix)
    else:
        raise SpecError("users: expected a count or a list of accounts, got %r" % (users,))

    result = []
    for index, raw in enumerate(entries):
        entry = {"name": raw} if isinstance(raw, str) else raw
        if not isinstance(entry, dict):
            raise SpecError("users[%d]: expected a name or a mapping, got %r" % (index, entry))
        unknown = set(entry) - {"name", "first_name", "last_name", "groups"}
        if unknown:
            raise SpecError("users[%d]: unknown keys %s" % (index, ", ".join(sorted(unknown))))
        name = entry.get("name")
        _check_name("user", name, RESERVED_USERS)
        groups = entry.get("groups", default_groups)
        if not isinstance(groups, list) or not groups:
            raise SpecError("user %r: needs at least one group (set groups or default_groups)" % name)
        missing = [g for g in groups if g not in group_names]
        if missing:
            raise SpecError(
                "user %r: groups %s are not declared in groups (declared: %s)"
                % (name, ", ".join(map(str, missing)), ", ".join(group_names))
            )
        dup_groups = _duplicates(groups)
        if dup_groups:
            raise SpecError("user %r: group %s listed twice" % (name, ", ".join(dup_groups)))
        result.append(
            {
                "name": name,
                "first_name": str(entry.get("first_name") or name),
                "last_name": str(entry.get("last_name") or "Training"),
                "groups": list(groups),
            }
        )
    dups = _duplicates([u["name"] for u in result])
    if dups:
        raise SpecError("users: duplicate names %s" % ", ".join(dups))
    return result


def normalize_spec(spec):
    """Validate the raw spec and return it normalised.

    Raw spec keys: ``users`` (count or list), ``groups`` (list), ``default_groups``
    (list, default: the first group), ``user_prefix`` (default ``user-``),
    ``sample_data`` (null or ``{"path", "dataset"}``).
    """
    if not isinstance(spec, dict):
        raise SpecError("the spec must be a mapping, got %r" % (spec,))
    unknown = set(spec) - {"users", "groups", "default_groups", "user_prefix", "sample_data"}
    if unknown:
        raise SpecError("unknown spec keys %s" % ", ".join(sorted(unknown)))
    if "users" not in spec:
        raise SpecError("users: missing; give a count or a list of accounts")
    groups = normalize_groups(spec.get("groups"))
    group_names = [g["name"] for g in groups]
    default_groups = spec.get("default_groups") or group_names[:1]
    if not isinstance(default_groups, list):
        raise SpecError("default_groups: expected a list of group names, got %r" % (default_groups,))
    prefix = spec.get("user_prefix", "user-")
    if not isinstance(prefix, str) or not NAME_RE.match(prefix + "1"):
        raise SpecError("user_prefix %r is invalid" % (prefix,))
    users = normalize_users(spec["users"], group_names, default_groups, prefix)
    sample = spec.get("sample_data")
    if sample is not None:
        if not isinstance(sample, dict) or not sample.get("path"):
            raise SpecError("sample_data: expected null or a mapping with a path")
        sample = {"path": str(sample["path"]), "dataset": str(sample.get("dataset") or "Sample data")}
    return {"groups": groups, "users": users, "sample_data": sample}


def plan(desired, existing):
    """Compare the normalised spec with the existing state; return the actions.

    ``existing`` is ``{"groups": {name: permission string}, "users": {name: [group names]}}``.
    Nothing is ever removed: accounts and memberships that exist stay as they are.
    """
    actions = []
    existing_groups = existing.get("groups", {})
    existing_users = existing.get("users", {})
    for group in desired["groups"]:
        wanted = PERMISSIONS[group["permissions"]]
        current = existing_groups.get(group["name"])
        if current is None:
            actions.append({"action": "create_group", "group": group["name"], "permissions": wanted})
        elif current != wanted:
            actions.append(
                {
                    "action": "set_group_permissions",
                    "group": group["name"],
                    "from": current,
                    "permissions": wanted,
                }
            )
    for user in desired["users"]:
        current = existing_users.get(user["name"])
        if current is None:
            actions.append(
                {
                    "action": "create_user",
                    "user": user["name"],
                    "first_name": user["first_name"],
                    "last_name": user["last_name"],
                    "groups": user["groups"],
                }
            )
            continue
        missing = [g for g in user["groups"] if g not in current]
        if missing:
            actions.append({"action": "add_user_to_groups", "user": user["name"], "groups": missing})
    return actions


def read_passwords(directory, users):
    """Read one password per user from ``directory/<name>``; fail naming every missing one."""
    passwords = {}
    missing = []
    for name in users:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                value = handle.read().strip()
        except OSError:
            value = ""
        if not value:
            missing.append(name)
        passwords[name] = value
    if missing:
        raise SpecError("no password in %s for %s" % (directory, ", ".join(missing)))
    return passwords


# --------------------------------------------------------------------------- #
# Thin OMERO layer (needs omero-py: run with the OMERO.server image's Python)
# --------------------------------------------------------------------------- #
class OmeroAdmin:
    """The few admin calls the provisioning needs."""

    def __init__(self, host, port, password):
        try:
            from omero.gateway import BlitzGateway
        except ImportError as exc:  # pragma: no cover - depends on the image
            raise OmeroError("omero-py is not importable: %s" % exc) from exc
        self.conn = BlitzGateway("root", password, host=host, port=port, secure=True)
        if not self.conn.connect():
            raise OmeroError("cannot log in to OMERO at %s:%s as root" % (host, port))
        self.admin = self.conn.getAdminService()

    def close(self):
        self.conn.close()

    def existing(self):
        groups = {}
        for group in self.admin.lookupGroups():
            groups[group.getName().getValue()] = str(group.getDetails().getPermissions())
        users = {}
        for exp in self.admin.lookupExperimenters():
            member_of = self.admin.containedGroups(exp.getId().getValue())
            users[exp.getOmeName().getValue()] = [g.getName().getValue() for g in member_of]
        return {"groups": groups, "users": users}

    def apply(self, action, passwords):
        from omero.model import ExperimenterGroupI, ExperimenterI, PermissionsI
        from omero.rtypes import rbool, rstring

        kind = action["action"]
        if kind == "create_group":
            group = ExperimenterGroupI()
            group.setName(rstring(action["group"]))
            group.setLdap(rbool(False))
            group.getDetails().setPermissions(PermissionsI(action["permissions"]))
            self.admin.createGroup(group)
        elif kind == "set_group_permissions":
            import omero.cmd

            group = self.admin.lookupGroup(action["group"])
            request = omero.cmd.Chmod2(
                targetObjects={"ExperimenterGroup": [group.getId().getValue()]},
                permissions=action["permissions"],
            )
            self.conn.c.submit(request, loops=60, ms=1000)
        elif kind == "create_user":
            exp = ExperimenterI()
            exp.setOmeName(rstring(action["user"]))
            exp.setFirstName(rstring(action["first_name"]))
            exp.setLastName(rstring(action["last_name"]))
            exp.setLdap(rbool(False))
            groups = [self.admin.lookupGroup(name) for name in action["groups"]]
            user_group = self.admin.getGroup(self.admin.getSecurityRoles().userGroupId)
            self.admin.createExperimenterWithPassword(
                exp, rstring(passwords[action["user"]]), groups[0], [*groups[1:], user_group]
            )
        elif kind == "add_user_to_groups":
            exp = self.admin.lookupExperimenter(action["user"])
            self.admin.addGroups(exp, [self.admin.lookupGroup(name) for name in action["groups"]])
        else:  # pragma: no cover - plan() only emits the kinds above
            raise OmeroError("unknown action %r" % kind)

    def user_has_dataset(self, user, dataset):
        query = self.conn.getQueryService()
        from omero.sys import ParametersI

        params = ParametersI()
        params.addString("owner", user)
        params.addString("name", dataset)
        found = query.findAllByQuery(
            "select d from Dataset d where d.details.owner.omeName = :owner and d.name = :name",
            params,
            {"omero.group": "-1"},
        )
        return bool(found)

    def import_for_user(self, user, sample, server):
        """Import the sample data as ``user`` through a short-lived session created by root.

        ``user`` is a normalised user, ``sample`` the normalised ``sample_data``,
        ``server`` a ``(host, port)`` pair.
        """
        host, port = server
        group = user["groups"][0]
        path = sample["path"]
        dataset = sample["dataset"]
        user = user["name"]
        from omero.sys import Principal

        principal = Principal()
        principal.name = user
        principal.group = group
        principal.eventType = "User"
        session = self.conn.c.getSession().getSessionService().createSessionWithTimeout(principal, 3600 * 1000)
        key = session.getUuid().getValue()
        command = [
            "omero",
            "import",
            "-s",
            host,
            "-p",
            str(port),
            "-k",
            key,
            "-T",
            "Dataset:name:%s" % dataset,
            "--",
            path,
        ]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise OmeroError("import of %s for %s failed: %s" % (path, user, done.stderr.strip()[-500:]))


def run_apply(spec, passwords_dir, server, root_credential, dry_run=False):
    """Connect, plan, apply; return the summary printed by ``apply``."""
    host, port = server
    credentials = read_passwords(passwords_dir, [u["name"] for u in spec["users"]])
    omero = OmeroAdmin(host, port, root_credential)
    try:
        actions = plan(spec, omero.existing())
        imports = []
        if not dry_run:
            for action in actions:
                try:
                    omero.apply(action, credentials)
                except OmeroError:
                    raise
                except Exception as exc:  # Ice and omero.ServerError exceptions
                    raise OmeroError(
                        "%s for %s failed: %s" % (action["action"], action.get("user") or action.get("group"), exc)
                    ) from exc
        sample = spec.get("sample_data")
        if sample:
            for user in spec["users"]:
                if omero.user_has_dataset(user["name"], sample["dataset"]):
                    continue
                imports.append({"action": "import_sample", "user": user["name"], "dataset": sample["dataset"]})
                if not dry_run:
                    omero.import_for_user(user, sample, server)
        actions.extend(imports)
    finally:
        omero.close()
    return {"changed": bool(actions), "dry_run": dry_run, "actions": actions}


def _read_json(path):
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="validate and normalise a spec")
    validate.add_argument("--spec", default="-")
    apply = sub.add_parser("apply", help="create missing groups and accounts")
    apply.add_argument("--spec", required=True)
    apply.add_argument("--passwords-dir", required=True)
    apply.add_argument("--host", default=os.environ.get("OMERO_HOST", "localhost"))
    apply.add_argument("--port", type=int, default=int(os.environ.get("OMERO_PORT", "4064")))
    apply.add_argument("--root-password-file", required=True)
    apply.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)

    try:
        spec = normalize_spec(_read_json(args.spec))
        if args.command == "validate":
            result = spec
        else:
            with open(args.root_password_file, encoding="utf-8") as handle:
                root_credential = handle.read().strip()
            result = run_apply(spec, args.passwords_dir, (args.host, args.port), root_credential, dry_run=args.dry_run)
    except (SpecError, ValueError) as exc:
        sys.stderr.write("ERROR: invalid training accounts: %s\n" % exc)
        return 2
    except (OmeroError, OSError) as exc:
        sys.stderr.write("ERROR: %s\n" % exc)
        return 1
    json.dump(result, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
