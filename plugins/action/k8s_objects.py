# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ome.k8s.k8s_objects: every object of the task in one call, to a cluster or to files.

Apply mode: one call of kubernetes.core.k8s applies the whole list (server-side apply, one API client, one
discovery), where a loop would start a module run, with its client set-up, per object. The per-object diffs the
module nests in its results are lifted to the task's `diff` list, so `--check --diff` shows every object's change.

Render mode (render_dir given): each object is validated against the Kubernetes versions, then written to its
file at once (`<namespace>/<kind>-<name>.yaml`), and the call is noted in the render directory's ledger for
ome.k8s.render_finalize. Check mode writes nothing; the diff is each file's text before and after.

Secret values never leave the plugin: their diffs and files are cut down to key names, and the module's
invocation (which holds the objects as given) is dropped.
"""

from __future__ import annotations

import os

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.ome.k8s.plugins.module_utils.k8s_render import (
    DEFAULT_VERSIONS,
    RenderError,
    label,
    ledger_add,
    object_problems,
    read_text,
    record,
    redact_secret,
    validate,
    write_text,
)

ARGUMENT_SPEC = dict(
    objects=dict(type="list", elements="dict", required=True),
    render_dir=dict(type="path"),
    validate_versions=dict(type="list", elements="str", default=list(DEFAULT_VERSIONS)),
    kubeconfig=dict(type="path"),
    field_manager=dict(type="str", default="ome.k8s"),
    force_conflicts=dict(type="bool", default=False),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=120),
)


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


def render(objects, root, versions, check):
    """Validate the objects, then write each file whose text or mode differs (not in check mode); returns the
    per-object summary, the file diffs and the objects without a schema. Raises RenderError on an invalid object."""
    records = [record(obj) for obj in objects]
    errors, no_schema = validate(records, versions)
    if errors:
        raise RenderError("; ".join(errors))
    summaries, diffs = [], []
    for obj, rec in zip(objects, records):
        path = os.path.join(root, rec["path"])
        before, mode_ok = read_text(path)
        changed = before != rec["content"] or not mode_ok
        if changed and not check:
            write_text(path, rec["content"])
        summaries.append({"object": label(obj), "changed": changed, "path": rec["path"]})
        if before != rec["content"]:
            diffs.append(
                {
                    "before_header": rec["path"],
                    "after_header": rec["path"],
                    "before": before or "",
                    "after": rec["content"],
                }
            )
    if not check:
        ledger_add(root, records, versions, no_schema)
    return summaries, diffs, no_schema


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        objects = args["objects"]
        problems = object_problems(objects)
        if problems:
            result.update(
                failed=True,
                msg="Objects need apiVersion, kind and metadata.name (and a Secret its namespace): "
                + "; ".join(problems)
                + ".",
            )
            return result
        if args["render_dir"]:
            return self._render(result, objects, args)
        if not objects:
            result.update(changed=False, objects=[], msg="Nothing to apply.")
            return result
        return self._apply(result, objects, args, task_vars)

    def _render(self, result, objects, args):
        root = args["render_dir"]
        if not os.path.isabs(root):
            result.update(failed=True, msg="render_dir must be an absolute path, got %s" % root)
            return result
        try:
            summaries, diffs, no_schema = render(objects, root, args["validate_versions"], self._task.check_mode)
        except (RenderError, OSError) as exc:
            result.update(failed=True, msg="Rendering %d object(s) to %s failed: %s" % (len(objects), root, exc))
            return result
        result.update(
            changed=any(s["changed"] for s in summaries),
            objects=summaries,
            not_schema_validated=[item["path"] for item in no_schema],
        )
        if diffs:
            result["diff"] = diffs
        return result

    def _apply(self, result, objects, args, task_vars):
        server_side_apply = dict(field_manager=args["field_manager"])
        if args["force_conflicts"]:
            server_side_apply["force_conflicts"] = True
        module_args = dict(
            definition=objects,
            state="present",
            apply=True,
            server_side_apply=server_side_apply,
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
