# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render-mode tests of ome.k8s.omero_server and ome.k8s.omero_web on their own: the schema decision fed
with fake ome.k8s.omero_db_status results, the pre-upgrade backup Job, and bad input refused before
anything is rendered."""

from __future__ import annotations

import re

import harness
import kubernetes_validate
import pytest
import yaml

DECISION = "tests/apps/playbooks/omero_db_decision.yml"
BACKUP = "tests/apps/playbooks/omero_db_backup.yml"
COMPONENTS = "tests/apps/playbooks/omero_components.yml"
VERSIONS = ("1.35.0", "1.37.0")


def _decide(tmp_path, status, **extra):
    variables = {"omero_test_db_status": status}
    variables.update(extra)
    return harness.run_playbook(DECISION, tmp_path, extra_vars=variables)


def _backup_needed(proc) -> bool:
    match = re.search(r"OMERO_TEST_BACKUP_NEEDED=(True|False)", proc.stdout)
    assert match, proc.stdout[-5000:]
    return match.group(1) == "True"


@pytest.mark.parametrize(
    ("state", "allowed", "backup"),
    [
        ("uninitialised", False, False),
        ("current", False, False),
        ("current", True, False),
        ("upgrade_needed", True, True),
    ],
)
def test_db_decision_goes_ahead(tmp_path, state, allowed, backup):
    status = {"state": state, "current_version": "OMERO5.4", "current_patch": 0}
    proc = _decide(tmp_path, status, omero_server_allow_db_upgrade=allowed)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert _backup_needed(proc) is backup


def test_db_decision_refuses_upgrade_not_allowed(tmp_path):
    status = {"state": "upgrade_needed", "current_version": "OMERO5.3", "current_patch": 0}
    proc = _decide(tmp_path, status)
    assert proc.returncode != 0
    assert "omero_server_allow_db_upgrade: true" in proc.stdout
    assert "OMERO5.3__0" in proc.stdout
    assert "OMERO_TEST_BACKUP_NEEDED" not in proc.stdout


def test_db_decision_refuses_newer_schema(tmp_path):
    status = {"state": "newer_than_expected", "current_version": "OMERO6.0", "current_patch": 1}
    proc = _decide(tmp_path, status, omero_server_allow_db_upgrade=True)
    assert proc.returncode != 0
    assert "newer than OMERO5.4__0" in proc.stdout
    assert "OMERO_TEST_BACKUP_NEEDED" not in proc.stdout


def test_db_decision_refuses_unknown_state(tmp_path):
    proc = _decide(tmp_path, {"state": "confused"}, omero_server_allow_db_upgrade=True)
    assert proc.returncode != 0
    assert "unknown state 'confused'" in proc.stdout


def test_backup_job_renders_and_validates(render):
    out = render(BACKUP)
    (job,) = out.by_kind("Job", "omero")
    assert re.fullmatch(r"omero-server-db-backup-\d{12}", job["metadata"]["name"])
    assert len(job["metadata"]["name"]) <= 63
    assert job["spec"]["backoffLimit"] == 0
    pod = job["spec"]["template"]
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "db-backup"
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "omero-server", "key": "db-password"}
    assert "value" not in env["PGPASSWORD"]
    assert env["PGHOST"]["value"] == "omero-postgresql"
    # The Job succeeds only when pg_restore reads the dump back; then the file takes its final name.
    assert container["command"][:2] == ["sh", "-c"]
    script, path = container["command"][2], container["command"][4]
    assert re.fullmatch(r"/backups/omero-\d{12}-before-[^/]+\.pgdump", path)
    steps = [step.strip() for step in script.split(";")]
    assert steps[0] == "set -eu"
    # The dump waits for the database to answer first (a new pod's NetworkPolicy rules may come late).
    dump = next(i for i, step in enumerate(steps) if step.startswith("pg_dump"))
    assert "until pg_isready --quiet" in " ".join(steps[1:dump])
    assert steps[dump].startswith("pg_dump --format=custom") and '--file="$1.partial"' in steps[dump]
    assert steps[dump + 1] == 'pg_restore --list "$1.partial" > /dev/null'
    assert steps[dump + 2] == 'mv "$1.partial" "$1"'
    assert pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "omero-server-db-backup"
    assert out.get("PersistentVolumeClaim", "omero-server-db-backup", "omero")
    # pg_dump of the same PostgreSQL major version as the stack's own database (ome.k8s.postgresql's default)
    postgresql = yaml.safe_load((harness.REPO_ROOT / "roles/postgresql/defaults/main.yml").read_text(encoding="utf-8"))
    major = re.match(r"(\d+)\.", postgresql["postgresql_image_tag"]).group(1)
    assert re.fullmatch(r".*/postgres:" + major + r"\.\d+-\w+", container["image"]), container["image"]
    for obj in (job, out.get("PersistentVolumeClaim", "omero-server-db-backup", "omero")):
        for version in VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


BACKUP_CHECK = "tests/apps/playbooks/omero_db_backup_check.yml"


def _job(*conditions, succeeded=None):
    status = {"conditions": [{"type": t, "status": "True", "message": m} for t, m in conditions]}
    if succeeded is not None:
        status["succeeded"] = succeeded
    return {"metadata": {"name": "omero-server-db-backup-202601010000"}, "status": status}


@pytest.mark.parametrize(
    ("job", "shown"),
    [
        # kubernetes.core's Job wait ends on Failed as well as on Complete.
        (_job(("Failed", "Job has reached the specified backoff limit"), ("FailureTarget", "")), "Failed"),
        (_job(), "no final condition"),
        ({}, "(not found)"),
    ],
)
def test_backup_check_stops_the_rollout_unless_the_job_succeeded(tmp_path, job, shown):
    proc = harness.run_playbook(BACKUP_CHECK, tmp_path, extra_vars={"omero_test_backup_job": job})
    assert proc.returncode != 0
    assert "did not succeed" in proc.stdout
    assert shown in proc.stdout
    assert "OMERO_TEST_ROLLOUT" not in proc.stdout


def test_backup_check_lets_a_succeeded_job_through(tmp_path):
    job = _job(("SuccessCriteriaMet", ""), ("Complete", ""), succeeded=1)
    proc = harness.run_playbook(BACKUP_CHECK, tmp_path, extra_vars={"omero_test_backup_job": job})
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert "OMERO_TEST_ROLLOUT" in proc.stdout


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    return harness.render(COMPONENTS, tmp_path=tmp_path_factory.mktemp("components"))


def test_components_render_without_the_umbrella(components):
    assert sorted(components.names("Secret", "omero")) == ["omero-server", "omero-web"]
    sts = components.get("StatefulSet", "omero-server", "omero")
    assert sts["spec"]["replicas"] == 1
    web = components.get("Deployment", "omero-web", "omero")
    assert web["spec"]["replicas"] == 1
    # one replica: no disruption budget, it would block every drain
    assert components.by_kind("PodDisruptionBudget") == []


def test_statefulset_volume_claims_carry_no_version_label(components):
    sts = components.get("StatefulSet", "omero-server", "omero")
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert "app.kubernetes.io/version" not in claim["metadata"]["labels"]
    assert sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == "5.6.18"


def _startup_window(sts) -> int:
    (server,) = [c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "omero-server"]
    probe = server["startupProbe"]
    return probe["periodSeconds"] * probe["failureThreshold"]


# The image upgrades the schema before the server answers: a startup probe sized for a normal start would restart
# the container in the middle of a long upgrade.
def test_startup_window_covers_a_schema_upgrade_only_when_upgrades_are_allowed(components, tmp_path):
    assert _startup_window(components.get("StatefulSet", "omero-server", "omero")) == 900
    allowed = harness.render(COMPONENTS, extra_vars={"omero_server_allow_db_upgrade": True}, tmp_path=tmp_path)
    assert _startup_window(allowed.get("StatefulSet", "omero-server", "omero")) >= 14400


def test_server_memory_limit_sets_jvm_system_memory(components):
    cm = components.get("ConfigMap", "omero-server-config", "omero")
    assert "config set -- omero.jvmcfg.system_memory 8192\n" in cm["data"]["ome-k8s.omero"]


BAD_INPUTS = [
    ({"omero_web_replicas": 0}, "omero_web_replicas must be a whole number from 1 to 50 (got 0)"),
    ({"omero_web_replicas": -2}, "omero_web_replicas must be a whole number from 1 to 50 (got -2)"),
    ({"omero_web_replicas": "three"}, "omero_web_replicas must be a whole number from 1 to 50 (got three)"),
    ({"omero_web_replicas": 2.5}, "omero_web_replicas must be a whole number from 1 to 50 (got 2.5)"),
    ({"omero_server_image_tag": "latest"}, "must be a pinned release version such as 5.6.17 (never latest)"),
    ({"omero_server_image_tag": "5.6"}, "omero_server_image_tag (5.6) must be a pinned release version"),
    ({"omero_web_image_tag": "latest"}, "omero_web_image_tag (latest) must be pinned"),
    ({"omero_web_nginx_image_tag": "stable"}, "omero_web_nginx_image_tag (stable) must be pinned"),
    (
        {"omero_server_generate_secrets": False, "omero_server_root_password": "s3cret-root"},
        "omero_server_generate_secrets is false, so omero_server_root_password and omero_server_db_password "
        "must both be set (for example from Ansible Vault); missing: omero_server_db_password.",
    ),
    ({"omero_web_generate_secrets": False}, "omero_web_generate_secrets is false, so omero_web_secret_key"),
    ({"omero_web_redis_password": "has/slash@and:colon"}, "the Redis password may only hold letters"),
    (
        {"omero_web_redis_password": "short-pw"},
        "omero_web_redis_password is too short (8 characters): give at least 16, or leave it empty",
    ),
    ({"omero_server_config": {"omero.ldap.password": "x"}}, "move these properties out: omero.ldap.password"),
    (
        {"omero_server_config": {"omero.db.host": "elsewhere", "omero.db.poolsize": "20"}},
        "omero_server_config must not set the database connection (omero.db.host): the image reads it from the"
        " environment",
    ),
    ({"omero_web_config": {"omero.web.caches": "{}"}}, "move these properties out: omero.web.caches"),
    ({"omero_server_client_node_port_ssl": 4064}, "must be 0 (chosen by Kubernetes) or in 30000..32767"),
    ({"omero_web_pdb_max_unavailable": 3, "omero_web_replicas": 3}, "must be at least 1 and below"),
    ({"omero_server_client_service_type": "ExternalName"}, "omero_server_client_service_type"),
    ({"omero_server_db_port": 70000}, "omero_server_db_port must be in 1..65535 (got 70000)"),
    ({"omero_server_db_upgrade_timeout": 10}, "omero_server_db_upgrade_timeout must be at least 60 seconds (got 10)"),
    (
        {"omero_server_name": "Server_1"},
        "omero_server_name must be a DNS label of at most 40 characters (got Server_1)",
    ),
    (
        {"omero_server_resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2"}}},
        "omero_server_resources needs requests and limits with a memory limit such as 8Gi",
    ),
    ({"omero_server_db_backup_image_tag": "latest"}, "omero_server_db_backup_image_tag (latest) must be a version"),
    (
        {"omero_server_client_load_balancer_ip": "192.0.2.10"},
        "omero_server_client_load_balancer_ip (192.0.2.10) needs omero_server_client_service_type LoadBalancer "
        "(got NodePort)",
    ),
    ({"omero_web_route_timeout": "10"}, "omero_web_route_timeout must be a Gateway API duration such as 600s"),
    ({"omero_web_hostname": "Omero.Example.org"}, "omero_web_hostname must be a lower-case DNS host name (got Omero."),
    ({"omero_web_nginx_resources": {"limits": {}}}, "omero_web_nginx_resources needs requests and limits"),
    (
        {"omero_server_data_size": "lots"},
        "omero_server_data_size (lots) must be a Kubernetes quantity such as 100Gi",
    ),
    (
        {"omero_server_db_backup_size": "50 GB"},
        "omero_server_db_backup_size (50 GB) must be a Kubernetes quantity such as 100Gi",
    ),
    (
        {"omero_server_db_password": "s3cret-root"},
        "omero_server_db_password is too short (11 characters): give at least 16, or leave it empty",
    ),
    (
        {"omero_server_root_password": "s3cret-root"},
        "omero_server_root_password is too short (11 characters): give at least 16, or leave it empty",
    ),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUTS, ids=[str(sorted(e.items())) for e, _unused in BAD_INPUTS])
def test_bad_input_fails_before_anything_is_rendered(tmp_path, extra, message):
    proc = harness.run_playbook(COMPONENTS, tmp_path, extra_vars=extra)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-5000:]
    assert message in " ".join(output.split()), output[-5000:]
    assert not list((tmp_path / "rendered").glob("*/*.yaml")), "objects were rendered before the failure"
    for secret in ("s3cret-root", "has/slash@and:colon"):
        if secret in str(extra.values()):
            assert secret not in output


def _failure_message(proc, prefix: str) -> str:
    """The result of the run's one failed task (whitespace normalised), which must start with ``prefix``."""
    output = " ".join(proc.stdout.split())
    assert proc.returncode != 0, output[-5000:]
    assert output.count("fatal: [") == 1, output[-5000:]
    result = output[output.index("fatal: [") : output.rindex("PLAY RECAP")]
    assert f"msg: '{prefix}" in result, result
    return result


def test_one_run_reports_every_server_problem(tmp_path):
    extra = {"omero_server_image_tag": "latest", "omero_server_db_port": 0, "omero_server_startup_timeout": 10}
    proc = harness.run_playbook(COMPONENTS, tmp_path, extra_vars=extra)
    message = _failure_message(proc, "Invalid OMERO.server settings:")
    assert "omero_server_image_tag (latest) must be a pinned release version" in message
    assert "omero_server_db_port must be in 1..65535 (got 0)" in message
    assert "omero_server_startup_timeout must be at least 60 seconds (got 10)" in message
    assert not list((tmp_path / "rendered").glob("*/*.yaml"))


def test_one_run_reports_every_web_problem_without_showing_secrets(tmp_path):
    extra = {
        "omero_web_replicas": 0,
        "omero_web_nginx_image_tag": "stable",
        "omero_web_generate_secrets": False,
        "omero_web_redis_password": "has/slash@and:colon",
    }
    proc = harness.run_playbook(COMPONENTS, tmp_path, extra_vars=extra)
    message = _failure_message(proc, "Invalid OMERO.web settings:")
    assert "omero_web_replicas must be a whole number from 1 to 50 (got 0)" in message
    assert "omero_web_nginx_image_tag (stable) must be pinned" in message
    assert "must both be set (for example from Ansible Vault); missing: omero_web_secret_key." in message
    assert "omero_web_redis_password (value not shown): the Redis password may only hold letters" in message
    assert "has/slash@and:colon" not in proc.stdout + proc.stderr


def test_bad_replicas_are_not_also_reported_as_a_bad_budget(tmp_path):
    proc = harness.run_playbook(COMPONENTS, tmp_path, extra_vars={"omero_web_replicas": "three"})
    message = _failure_message(proc, "Invalid OMERO.web settings:")
    assert "omero_web_replicas must be a whole number from 1 to 50 (got three)" in message
    assert "omero_web_pdb_max_unavailable" not in message


@pytest.mark.parametrize("role", ["omero", "omero_server", "omero_web"])
def test_validate_entry_point_takes_the_main_options(role):
    specs = yaml.safe_load((harness.REPO_ROOT / "roles" / role / "meta/argument_specs.yml").read_text(encoding="utf-8"))
    specs = specs["argument_specs"]
    assert specs["validate"]["short_description"]
    assert specs["validate"]["options"] == specs["main"]["options"]


@pytest.mark.parametrize("role", ["omero", "omero_server", "omero_web"])
def test_argument_specs_defaults_and_readme_agree(role):
    root = harness.REPO_ROOT / "roles" / role
    options = yaml.safe_load((root / "meta/argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]["main"]
    defaults = yaml.safe_load((root / "defaults/main.yml").read_text(encoding="utf-8"))
    readme = (root / "README.md").read_text(encoding="utf-8")
    names = set(options["options"])
    assert set(defaults) <= names, f"undocumented defaults: {sorted(set(defaults) - names)}"
    assert all(name.startswith(f"{role}_") for name in defaults)
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == [], f"{role}/README.md does not describe {missing}"
    for name, spec in options["options"].items():
        assert spec.get("description"), name
        assert spec.get("type"), name
        if name in defaults and "default" in spec and not isinstance(defaults[name], str):
            assert spec["default"] == defaults[name], name
