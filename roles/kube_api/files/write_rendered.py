# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the rendered files of a run and remove stale ones, in one process (finalize step of kube_api).

Reads JSON from stdin: {"root": "/abs/render/dir", "records": {"<dir>/<file>.yaml": record, ...}}, each record
as the ome.k8s.render_records filter builds it (content, kind, name, dir, images, exposed). Writes each file
whose content or mode differs (atomically, mode 0644, directories 0755), removes every other *.yaml file in the
directories written, and prints {"written": [...], "removed": [...]} (paths relative to root). With --check
nothing is changed; the output says what would be.

With ``--validate VERSION [VERSION ...]`` (and without --check) it then validates every file of the request
with validate_rendered.py's check and adds its results as "validation" (paths relative to root): one process
for the whole finalize step instead of two. Outside check mode it ends by writing SUMMARY.md at the root
(render_summary.py), listed in "written" when its content changed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile

_DIR = re.compile(r"^[a-z0-9_][-a-z0-9_.]*$")
_FILE = re.compile(r"^[a-z0-9][-a-z0-9.]*\.yaml$")
SUMMARY = "SUMMARY.md"


def _split(relpath: str) -> tuple[str, str]:
    parts = relpath.split("/")
    if len(parts) != 2 or not _DIR.match(parts[0]) or not _FILE.match(parts[1]) or ".." in parts[0]:
        raise ValueError(f"refusing unexpected path {relpath!r} (expected <namespace>/<kind>-<name>.yaml)")
    return parts[0], parts[1]


def _current(path: str) -> tuple[bytes | None, int | None]:
    try:
        with open(path, "rb") as handle:
            return handle.read(), os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None, None


def _write(path: str, data: bytes) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _differs(path: str, data: bytes) -> bool:
    content, mode = _current(path)
    return content != data or mode != 0o644


def sync(root: str, files: dict[str, str], check: bool) -> dict[str, list[str]]:
    """Make root hold exactly ``files`` in the directories they name; return what changed."""
    if not os.path.isabs(root):
        raise ValueError(f"render directory must be absolute, got {root!r}")
    written, removed = [], []
    dirs = set()
    for relpath in sorted(files):
        directory, _unused = _split(relpath)
        dirs.add(directory)
        path = os.path.join(root, relpath)
        data = files[relpath].encode("utf-8")
        if _differs(path, data):
            written.append(relpath)
            if not check:
                _write(path, data)
    for directory in sorted(dirs):
        full = os.path.join(root, directory)
        if not os.path.isdir(full):
            continue
        for name in sorted(os.listdir(full)):
            relpath = f"{directory}/{name}"
            if name.endswith(".yaml") and relpath not in files and os.path.isfile(os.path.join(full, name)):
                removed.append(relpath)
                if not check:
                    os.unlink(os.path.join(full, name))
    return {"written": written, "removed": removed}


def main() -> int:
    args = sys.argv[1:]
    check = "--check" in args
    versions = args[args.index("--validate") + 1 :] if "--validate" in args else []
    request = json.load(sys.stdin)
    root, records = request["root"], request["records"]
    try:
        result = sync(root, {relpath: record["content"] for relpath, record in records.items()}, check)
    except (ValueError, OSError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    if not check and records:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from render_summary import summary
        from validate_rendered import validate

        # Relative paths make the validator's messages, and so the summary, the same wherever the render is.
        os.chdir(root)
        result["validation"] = validate(versions, sorted(records)) if versions else []
        data = summary(records, result["validation"]).encode("utf-8")
        if _differs(SUMMARY, data):
            _write(os.path.join(root, SUMMARY), data)
            result["written"].append(SUMMARY)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
