# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ome.k8s.render_finalize: the end of a render run.

ome.k8s.k8s_objects has written and validated every file already; each of its calls noted what it rendered in
the render directory's ledger. This removes the *.yaml files of those directories that no call of the run
rendered, writes SUMMARY.md from the ledger and removes the ledger.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.ome.k8s.plugins.module_utils.k8s_render import (
    LEDGER,
    SUMMARY,
    ledger_read,
    read_text,
    stale_files,
    write_text,
)
from ansible_collections.ome.k8s.plugins.module_utils.render_summary import summary

ARGUMENT_SPEC = dict(render_dir=dict(type="path", required=True))


def finalize(root, check):
    """Remove stale files and write SUMMARY.md (neither in check mode); return what changed and the run's
    records and validation (for the task's own summary)."""
    entries = ledger_read(root)
    records = {rec["path"]: rec for entry in entries for rec in entry["records"]}
    validation = {
        "versions": list(dict.fromkeys(v for entry in entries for v in entry["versions"])),
        "no_schema": list({item["path"]: item for entry in entries for item in entry["no_schema"]}.values()),
    }
    removed = stale_files(root, set(records))
    written = []
    if records:
        text = summary(records, validation)
        before, mode_ok = read_text(os.path.join(root, SUMMARY))
        if before != text or not mode_ok:
            written.append(SUMMARY)
    if not check:
        for relpath in removed:
            os.unlink(os.path.join(root, relpath))
        if written:
            write_text(os.path.join(root, SUMMARY), text)
        if entries:
            os.unlink(os.path.join(root, LEDGER))
    return {"written": written, "removed": removed}, records, validation


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        root = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]["render_dir"]
        if not os.path.isabs(root):
            result.update(failed=True, msg="render_dir must be an absolute path, got %s" % root)
            return result
        try:
            files, records, validation = finalize(root, self._task.check_mode)
        except (OSError, ValueError, KeyError) as exc:
            result.update(failed=True, msg="Finalizing the render in %s failed: %s" % (root, exc))
            return result
        counts = {}
        for rec in records.values():
            counts[rec["dir"]] = counts.get(rec["dir"], 0) + 1
        result.update(
            changed=bool(files["written"] or files["removed"]),
            files=files,
            summary_file=os.path.join(root, SUMMARY) if records else None,
            objects_per_namespace=dict(sorted(counts.items())),
            images=sorted({image for rec in records.values() for image in rec["images"]}),
            exposed=sorted({endpoint for rec in records.values() for endpoint in rec["exposed"]}),
            not_schema_validated=sorted(item["path"] for item in validation["no_schema"]),
        )
        return result
