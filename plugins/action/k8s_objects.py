# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ome.k8s.k8s_objects: every object of the task in one call of kubernetes.core.k8s.

One module run applies the whole list (server-side apply, one API client, one discovery), where a loop would
start a module run, with its client set-up, per object. The per-object diffs the module nests in its
results are lifted to the task's `diff` list, so `--check --diff` shows every object's change. Secret values
never leave the plugin: their diffs and results are cut down to metadata, and the module's invocation
(which holds the objects as given) is dropped.
"""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = dict(
    objects=dict(type="list", elements="dict", required=True),
    kubeconfig=dict(type="path"),
    field_manager=dict(type="str", default="ome.k8s"),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=120),
)
REDACTED = "<redacted>"


def label(obj):
    """`Kind/namespace/name`, as the task's log names an object."""
    meta = obj.get("metadata") or {}
    return "%s/%s/%s" % (obj.get("kind", "?"), meta.get("namespace") or "-", meta.get("name", "?"))


def check_objects(objects):
    """Messages for objects the API server could not be asked about (no kind, apiVersion or name)."""
    problems = []
    for index, obj in enumerate(objects):
        missing = [key for key in ("apiVersion", "kind") if not obj.get(key)]
        if not (obj.get("metadata") or {}).get("name"):
            missing.append("metadata.name")
        if missing:
            problems.append("object %d (%s) has no %s" % (index, label(obj), ", ".join(missing)))
    return problems


def redact_secret(obj):
    """A Secret with every value of data/stringData replaced; other objects unchanged."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = dict.fromkeys(out[key], REDACTED)
    return out


def summarise(obj, result):
    """What the task returns for one object: its label and what the module did (not the object itself, which
    would fill the log at -v and could hold a Secret's values)."""
    return {"object": label(obj), "changed": bool(result.get("changed")), "method": result.get("method")}


def object_diff(obj, result):
    """The object's diff in the form Ansible's callbacks print (before/after with headers), or None."""
    diff = result.get("diff")
    if not diff:
        return None
    return {
        "before_header": label(obj),
        "after_header": label(obj),
        "before": redact_secret(diff.get("before") or {}),
        "after": redact_secret(diff.get("after") or {}),
    }


def failure_message(done):
    """The message of a failed module run. Since ansible-core 2.19 a module's fail_json message (say, which API
    server could not be reached) is no longer under `msg` of the raw result but in the captured error under
    `exception` (its `event.msg`), which Ansible would print only for a result it got straight from the module."""
    if done.get("msg"):
        return done["msg"]
    return getattr(getattr(done.get("exception"), "event", None), "msg", None)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        objects = args["objects"]
        problems = check_objects(objects)
        if problems:
            result.update(failed=True, msg="Cannot apply: " + "; ".join(problems) + ".")
            return result
        if not objects:
            result.update(changed=False, objects=[], msg="Nothing to apply.")
            return result

        module_args = dict(
            definition=objects,
            state="present",
            apply=True,
            server_side_apply=dict(field_manager=args["field_manager"]),
            wait=args["wait"],
            wait_timeout=args["wait_timeout"],
        )
        if args["kubeconfig"]:
            module_args["kubeconfig"] = args["kubeconfig"]
        done = self._execute_module(
            module_name="kubernetes.core.k8s", module_args=module_args, task_vars=task_vars, wrap_async=False
        )
        # The module echoes its arguments (every object, Secret values included) in `invocation`.
        done.pop("invocation", None)
        if done.get("failed"):
            msg = to_text(failure_message(done) or "kubernetes.core.k8s failed without a message")
            result.update(failed=True, msg="Applying %d object(s) failed: %s" % (len(objects), msg))
            for key in ("reason", "status"):
                if key in done:
                    result[key] = done[key]
            return result

        # One object comes back as the module's own result, several as a list under result.results.
        per_object = done["result"]["results"] if len(objects) > 1 else [done]
        diffs = [d for d in (object_diff(o, r) for o, r in zip(objects, per_object)) if d]
        result.update(
            changed=bool(done.get("changed")),
            objects=[summarise(o, r) for o, r in zip(objects, per_object)],
            warnings=[w for r in per_object for w in r.get("warnings", [])],
        )
        if diffs:
            result["diff"] = diffs
        return result
