# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one-process writer of kube_api's finalize step (roles/kube_api/files/write_rendered.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "kube_api" / "files" / "write_rendered.py"


def record(relpath, content):
    """The record ome.k8s.render_records would give a file of that path and content."""
    directory, name = relpath.split("/", 1)[0], relpath.rsplit("/", 1)[-1].removesuffix(".yaml")
    kind, _sep, name = name.partition("-")
    return {"content": content, "kind": kind.capitalize(), "name": name, "dir": directory, "images": [], "exposed": []}


def run(root, files, *args, records=None):
    """Run the writer on files (path -> content) or on full records; return (exit status, parsed output)."""
    records = records or {relpath: record(relpath, content) for relpath, content in files.items()}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        input=json.dumps({"root": str(root), "records": records}),
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_writes_then_reports_nothing(tmp_path):
    files = {"demo/configmap-a.yaml": "kind: ConfigMap\n", "_cluster/clusterrole-r.yaml": "kind: ClusterRole\n"}
    assert run(tmp_path, files) == (0, {"written": [*sorted(files), "SUMMARY.md"], "removed": [], "validation": []})
    assert (tmp_path / "demo/configmap-a.yaml").read_text() == "kind: ConfigMap\n"
    assert (tmp_path / "demo/configmap-a.yaml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "SUMMARY.md").stat().st_mode & 0o777 == 0o644
    assert run(tmp_path, files) == (0, {"written": [], "removed": [], "validation": []})


def test_rewrites_changed_content_and_mode(tmp_path):
    run(tmp_path, {"demo/a.yaml": "one\n", "demo/b.yaml": "two\n"})
    (tmp_path / "demo/b.yaml").chmod(0o600)
    assert run(tmp_path, {"demo/a.yaml": "uno\n", "demo/b.yaml": "two\n"})[1]["written"] == [
        "demo/a.yaml",
        "demo/b.yaml",
    ]
    assert (tmp_path / "demo/a.yaml").read_text() == "uno\n"
    assert (tmp_path / "demo/b.yaml").stat().st_mode & 0o777 == 0o644


def test_removes_stale_yaml_only_in_written_dirs(tmp_path):
    for rel in ("demo/old.yaml", "demo/notes.txt", "other/keep.yaml"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    rc, out = run(tmp_path, {"demo/new.yaml": "y\n"})
    assert (rc, out["written"], out["removed"]) == (0, ["demo/new.yaml", "SUMMARY.md"], ["demo/old.yaml"])
    assert not (tmp_path / "demo/old.yaml").exists()
    assert (tmp_path / "demo/notes.txt").exists()
    assert (tmp_path / "other/keep.yaml").exists()


def test_check_mode_changes_nothing(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo/old.yaml").write_text("x\n")
    assert run(tmp_path, {"demo/new.yaml": "y\n"}, "--check") == (
        0,
        {"written": ["demo/new.yaml"], "removed": ["demo/old.yaml"]},
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["demo", "old.yaml"]


@pytest.mark.parametrize("bad", ["../escape.yaml", "demo/../x.yaml", "demo/sub/x.yaml", "x.yaml", "demo/x.txt"])
def test_refuses_paths_outside_the_layout(tmp_path, bad):
    rc, out = run(tmp_path, {bad: "x\n"})
    assert rc == 1
    assert "refusing unexpected path" in out["error"]
    assert list(tmp_path.iterdir()) == []


def test_refuses_relative_root(tmp_path):
    rc, out = run("relative/dir", {"demo/a.yaml": "x\n"})
    assert rc == 1
    assert "must be absolute" in out["error"]


def test_validates_the_written_files_when_asked(tmp_path):
    files = {
        "demo/configmap-good.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\ndata:\n  a: '1'\n",
        "demo/configmap-bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: 1\n",
    }
    rc, out = run(tmp_path, files, "--validate", "1.35.0", "1.37.0")
    assert rc == 0
    assert sorted(out["written"]) == sorted([*files, "SUMMARY.md"])
    assert [(v["item"], v["rc"]) for v in out["validation"]] == [("1.35.0", 1), ("1.37.0", 1)]
    assert "configmap-bad.yaml did not validate" in out["validation"][0]["stdout"]
    assert "configmap-good.yaml" not in out["validation"][0]["stdout"]


def test_check_mode_validates_nothing(tmp_path):
    rc, out = run(tmp_path, {"demo/a.yaml": "kind: ConfigMap\n"}, "--check", "--validate", "1.37.0")
    assert (rc, "validation" in out) == (0, False)
    assert not (tmp_path / "demo").exists()


def test_summary_names_invalid_and_unchecked_objects_and_splits_image_tags(tmp_path):
    files = {
        "demo/configmap-bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: 1\n",
        "demo/deploymnet-typo.yaml": "apiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: typo\n",
        "demo/widget-w.yaml": "apiVersion: example.org/v1\nkind: Widget\nmetadata:\n  name: w\n",
    }
    records = {relpath: record(relpath, content) for relpath, content in files.items()}
    records["demo/configmap-bad.yaml"]["images"] = ["registry.local:5000/tools", "web@sha256:abc", "db:17"]
    rc, out = run(tmp_path, None, "--validate", "1.37.0", records=records)
    summary = (tmp_path / "SUMMARY.md").read_text()
    assert (rc, [v["rc"] for v in out["validation"]]) == (0, [1])
    assert "| 1.37.0 | INVALID (validator exit 1) | 1 | 2 |" in summary
    assert "demo/configmap-bad.yaml did not validate" in summary
    assert "not a built-in kind of these Kubernetes versions; check the apiVersion and kind" in summary
    assert "custom resource of API group example.org" in summary
    assert "| registry.local:5000/tools | (none, so latest) |" in summary
    assert "| web | sha256:abc |" in summary
    assert "| db | 17 |" in summary
    assert str(tmp_path) not in summary
