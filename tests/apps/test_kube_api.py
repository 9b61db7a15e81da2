# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render mode of ome.k8s.kube_api: file layout, redaction, idempotence, stale files, validation."""

from __future__ import annotations

import harness
import pytest

BASIC = "tests/apps/playbooks/kube_api_basic.yml"
INVALID = "tests/apps/playbooks/kube_api_invalid.yml"


def _snapshot(render_dir):
    return {str(p.relative_to(render_dir)): p.read_bytes() for p in sorted(render_dir.rglob("*")) if p.is_file()}


def test_one_file_per_object_in_namespace_dirs(render):
    out = render(BASIC)
    assert sorted(out.files) == [
        "_cluster/clusterrole-reader.yaml",
        "demo/configmap-cfg.yaml",
        "demo/namespace-demo.yaml",
        "demo/secret-creds.yaml",
    ]
    assert out.get("ConfigMap", "cfg", "demo")["data"] == {"a": "1"}
    # keys sorted, two-space indent, mode 0644
    assert out.read("demo/configmap-cfg.yaml") == (
        "apiVersion: v1\ndata:\n  a: '1'\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: demo\n"
    )
    assert (out.render_dir / "demo/configmap-cfg.yaml").stat().st_mode & 0o777 == 0o644


def test_secret_values_are_redacted(render):
    out = render(BASIC, extra_vars={"basic_username": "s3cr3t-user-value"})
    secret = out.get("Secret", "creds", "demo")
    assert secret["stringData"] == {"password": "<redacted>", "username": "<redacted>"}
    assert "data" not in secret
    assert "s3cr3t-user-value" not in out.stdout
    for path in out.render_dir.rglob("*.yaml"):
        assert "s3cr3t-user-value" not in path.read_text()


def test_rerender_is_byte_identical_and_unchanged(render, tmp_path):
    first = render(BASIC)
    before = _snapshot(first.render_dir)
    second = render(BASIC)
    assert harness.changed_count(second.stdout) == 0, second.stdout
    assert _snapshot(second.render_dir) == before


def test_check_mode_writes_nothing_but_reports_changes(render, tmp_path):
    out = render(BASIC, check=True)
    assert not out.render_dir.exists() or not any(out.render_dir.rglob("*.yaml"))
    assert harness.changed_count(out.stdout) > 0


def test_changed_object_is_rewritten(render):
    render(BASIC)
    out = render(BASIC, extra_vars={"basic_cfg_value": "2"})
    assert out.get("ConfigMap", "cfg", "demo")["data"] == {"a": "2"}
    assert harness.changed_count(out.stdout) == 1


def test_stale_files_removed_only_in_written_dirs(render, tmp_path):
    render_dir = tmp_path / "rendered"
    (render_dir / "demo").mkdir(parents=True)
    (render_dir / "other").mkdir()
    (render_dir / "demo" / "deployment-gone.yaml").write_text("kind: Deployment\n")
    (render_dir / "other" / "deployment-kept.yaml").write_text("kind: Deployment\n")
    (render_dir / "demo" / "notes.txt").write_text("not ours\n")
    out = render(BASIC)
    assert not (render_dir / "demo" / "deployment-gone.yaml").exists()
    assert (render_dir / "other" / "deployment-kept.yaml").exists()
    assert (render_dir / "demo" / "notes.txt").exists()
    assert "demo/deployment-gone.yaml" not in out.files


def test_invalid_object_fails_with_validator_message(render_fail):
    output = render_fail(INVALID)
    assert "not valid for Kubernetes 1.35.0" in output
    assert "colour" in output


def test_validate_versions_are_configurable(render_fail):
    output = render_fail(INVALID, extra_vars={"ome_k8s_validate_versions": ["1.36.0"]})
    assert "not valid for Kubernetes 1.36.0" in output
    assert "1.35.0" not in output


def test_summary_lists_namespaces(render):
    out = render(BASIC)
    assert "objects_per_namespace" in out.stdout
    assert "_cluster: 1" in out.stdout
    assert "demo: 3" in out.stdout


@pytest.mark.parametrize("bad", [{"kind": "ConfigMap", "metadata": {"name": "x"}}, {"apiVersion": "v1", "kind": "X"}])
def test_malformed_object_rejected(render_fail, bad):
    output = render_fail(BASIC, extra_vars={"basic_extra_objects": [bad]})
    assert "need apiVersion, kind and metadata.name" in output


def test_cluster_only_entry_points_do_nothing_in_render_mode(render):
    out = render("tests/apps/playbooks/kube_api_entry_points.yml")
    assert out.objects == []
    text = " ".join(out.stdout.split())
    assert "INFO_RESULT=[]" in text
    assert "Render mode, not deleted: Job/demo/old-job, Pod/demo/app.kubernetes.io/component=restore" in text
    # the list command is shell-quoted (the YAML callback doubles the single quotes)
    assert (
        "Render mode, not run in demo/app.kubernetes.io/name=demo: psql -c ''select 1; -- it''\"''\"''s quoted''"
        in text
    )
    assert "Render mode, not copied (to_pod): /tmp/dump.sql <-> demo/demo-0:/tmp/dump.sql" in text


def test_entry_point_arguments_are_validated(render_fail):
    output = render_fail(BASIC, extra_vars={"basic_extra_objects": "not a list"})
    assert "kube_api_objects" in output


def test_secret_without_keys_is_rejected(render_fail):
    output = " ".join(render_fail(BASIC, extra_vars={"basic_secret_values": {}}).split())
    assert "kube_api secret needs kube_api_secret_name, kube_api_secret_namespace and a non-empty" in output


def test_secret_without_keys_is_rejected_in_apply_mode_before_any_cluster_call(tmp_path):
    proc = harness.run_playbook(
        "tests/apps/playbooks/kube_api_secret_inputs.yml",
        tmp_path,
        extra_vars={"ome_k8s_render_dir": "", "basic_secret_values": {}},
    )
    output = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, output
    assert "kube_api secret needs kube_api_secret_name, kube_api_secret_namespace and a non-empty" in output
    assert "Read the existing Secret" not in output


def test_template_not_found_names_where_it_was_looked_for(render_fail):
    output = " ".join(render_fail(BASIC, extra_vars={"kube_api_template": "no-such-index.yaml.j2"}).split())
    assert "ome.k8s.manifests: no template 'no-such-index.yaml.j2' in the role's or playbook's templates" in output
