# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A whole-site render as a reviewer reads it: block scalars, SUMMARY.md, byte-stable output, make render-diff."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import harness
import pytest
import yaml

APPS = "playbooks/apps.yml"
LOCHY = "inventories/lochy"


def _snapshot(render_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(render_dir)): p.read_bytes() for p in sorted(render_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The lochy site rendered twice, into two different directories."""
    first = harness.render(APPS, LOCHY, tmp_path=tmp_path_factory.mktemp("first"))
    second = harness.render(APPS, LOCHY, tmp_path=tmp_path_factory.mktemp("second"))
    return first, second


def test_two_renders_are_byte_identical_wherever_they_are_written(site):
    first, second = site
    assert "SUMMARY.md" in _snapshot(first.render_dir)
    assert _snapshot(first.render_dir) == _snapshot(second.render_dir)


def test_every_multi_line_string_is_a_block_scalar(site):
    first, _unused = site
    multi_line = 0
    for relpath in first.files:
        for event in yaml.parse(first.read(relpath)):
            if isinstance(event, yaml.ScalarEvent) and "\n" in event.value:
                multi_line += 1
                assert event.style == "|", f"{relpath}: multi-line value written as {event.style!r}: {event.value[:60]}"
    assert multi_line > 10  # the nginx configurations, scripts and properties files of the site


def test_summary_reports_objects_images_endpoints_secrets_and_validation(site):
    first, _unused = site
    summary = first.read("SUMMARY.md")
    directories = (
        "_cluster, envoy-gateway-system, local-path-storage, ome-gateway, ome-logging, omero, omero-training, redmine"
    )
    assert f"{len(first.files)} objects in 8 directories ({directories})" in summary
    # the cluster add-ons are rendered with the applications (make render = playbooks/apps.yml)
    assert "| _cluster | StorageClass | 1 | local-path |" in summary
    assert "| ome-gateway | Gateway | 1 | ome-gateway |" in summary
    assert "| omero | StatefulSet | 3 | omero-postgresql, omero-redis, omero-server |" in summary
    assert re.search(r"^\| docker\.io/library/postgres \| 16\.10-bookworm \| ", summary, re.MULTILINE)
    assert (
        "- HTTPRoute omero.lochy.openmicroscopy.org via Gateway ome-gateway/ome-gateway listener https "
        "to Service omero-web:4080"
    ) in summary
    assert "- NodePort omero/omero-server-clients ports 30063->4063,30064->4064" in summary
    secrets = re.search(r"^## Secrets\n(.*?)\n## ", summary, re.MULTILINE | re.DOTALL).group(1)
    assert "- redmine/redmine-secrets" in secrets
    # centralised logging is on in lochy: the store's password Secret, its two images
    assert "- ome-logging/victoria-logs-auth" in secrets
    assert "| docker.io/victoriametrics/vlagent | v1.52.2 | ome-logging/DaemonSet vlagent |" in summary
    assert "<redacted>" not in summary
    for version in ("1.35.0", "1.37.0"):
        # custom resources: 3 application HTTPRoutes; Installation, GatewayClass, EnvoyProxy, Gateway, HTTPRoute
        assert f"| {version} | valid | {len(first.files) - 8} | 8 |" in summary
    route = re.search(
        r"^\| omero/httproute-omero-web\.yaml \| gateway\.networking\.k8s\.io/v1 HTTPRoute \| (.*)\|$",
        summary,
        re.MULTILINE,
    )
    assert "custom resource of the Gateway API" in route.group(1)
    assert "Kubernetes OpenAPI schemas hold only built-in kinds" in route.group(1)
    assert str(first.render_dir) not in summary


def test_make_render_takes_the_site_name_with_or_without_a_trailing_slash():
    for inventory in ("inventories/x", "inventories/x/"):
        proc = subprocess.run(
            ["make", "--dry-run", "--always-make", "render", f"INVENTORY={inventory}"],
            cwd=harness.REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"ome_k8s_render_dir={harness.REPO_ROOT}/rendered/x\n" in proc.stdout, proc.stdout


def test_render_diff_shows_a_one_variable_change_and_nothing_else(tmp_path):
    repo = harness.scratch_repo(tmp_path / "repo")
    values = repo / LOCHY / "group_vars/all/omero.yml"
    text = values.read_text(encoding="utf-8")
    assert "\nomero_web_replicas: 3\n" in text
    values.write_text(text.replace("\nomero_web_replicas: 3\n", "\nomero_web_replicas: 4\n"), encoding="utf-8")
    env = {**harness.ansible_env(), "PATH": f"{harness.BIN_DIR}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "tools/render-diff.sh", "HEAD", f"{LOCHY}/"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    changed = re.findall(r"^diff -ru (\S+) (\S+)$", proc.stdout, re.MULTILINE)
    assert changed == [("base/omero/deployment-omero-web.yaml", "working-tree/omero/deployment-omero-web.yaml")]
    hunk_lines = [line for line in proc.stdout.splitlines() if re.match(r"^[-+][^-+]", line)]
    assert hunk_lines == ["-  replicas: 3", "+  replicas: 4"]
    assert "+++ working-tree/omero/deployment-omero-web.yaml\n" in proc.stdout
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True)
    assert len(worktrees.stdout.splitlines()) == 1  # the temporary base worktree is gone
