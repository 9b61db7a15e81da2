# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube_api's finalize validator (roles/kube_api/files/validate_rendered.py) gives the verdicts and messages of
the kubernetes-validate command it replaces, for valid, invalid and unknown kinds and an unsupported version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "kube_api" / "files" / "validate_rendered.py"

FILES = {
    "configmap-good.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\ndata:\n  a: '1'\n",
    "configmap-bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: 1\n",
    # strict: a field the schema does not know is an error
    "service-extra.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  portz: []\n",
    "httproute-web.yaml": (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\nspec: {}\n"
    ),
    "two-documents.yaml": (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  labels: {x: 1}\n"
    ),
}


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate")
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    return [str(root / name) for name in sorted(FILES)]


def _command(version, paths):
    proc = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", version, "--quiet", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout.rstrip("\r\n")


def _script(versions, paths):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *versions, "--", *paths], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


@pytest.mark.parametrize("versions", [["1.35.0", "1.37.0"], ["1.99.0"]])
def test_same_verdicts_and_messages_as_the_command(paths, versions):
    results = _script(versions, paths)
    assert [r["item"] for r in results] == versions
    for result in results:
        assert (result["rc"], result["stdout"]) == _command(result["item"], paths)


def test_invalid_objects_are_named(paths):
    (result,) = _script(["1.37.0"], paths)
    assert result["rc"] == 1
    for name in ("configmap-bad.yaml", "service-extra.yaml", "two-documents.yaml"):
        assert f"{name} did not validate" in result["stdout"]
    assert "configmap-good.yaml" not in result["stdout"]
    assert "httproute-web.yaml Couldn't find schema for kind HTTPRoute" in result["stdout"]


def test_objects_without_a_schema_are_listed(paths):
    results = _script(["1.35.0", "1.37.0"], paths)
    route = next(path for path in paths if path.endswith("httproute-web.yaml"))
    expected = [{"path": route, "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"}]
    assert [result["no_schema"] for result in results] == [expected, expected]


def test_usage_error_without_separator():
    proc = subprocess.run([sys.executable, str(SCRIPT), "1.37.0"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr
