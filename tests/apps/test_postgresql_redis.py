# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render ome.k8s.postgresql and ome.k8s.redis with a client, then check objects and invariants."""

from __future__ import annotations

import json

import harness
import pytest
from invariants import check_all

PLAYBOOK = "tests/apps/playbooks/postgresql_redis.yml"
EXTERNAL = "tests/apps/playbooks/postgresql_external.yml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return harness.render(PLAYBOOK, tmp_path=tmp_path_factory.mktemp("pg-redis"))


def _container(workload, name):
    spec = workload["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"] if workload["kind"] == "CronJob" else spec["template"]["spec"]
    return next(c for c in pod["containers"] if c["name"] == name)


def test_invariants_hold(rendered):
    assert check_all(rendered.objects) == []


def test_postgresql_outputs_follow_the_naming_convention(rendered):
    secret = rendered.get("Secret", "demo-db-credentials", "demo")
    assert sorted(secret["stringData"]) == ["database", "host", "password", "port", "username"]
    assert set(secret["stringData"].values()) == {"<redacted>"}
    svc = rendered.get("Service", "demo-db", "demo")
    assert svc["spec"]["ports"][0]["port"] == 5432
    assert rendered.get("Service", "demo-db-headless", "demo")["spec"]["clusterIP"] == "None"


def test_postgresql_statefulset(rendered):
    sts = rendered.get("StatefulSet", "demo-db", "demo")
    pod = sts["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 999
    c = _container(sts, "postgresql")
    assert c["image"].startswith("docker.io/library/postgres:16.")
    assert {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"} in c["env"]
    assert c["args"] == ["-c", "max_connections=150"]
    assert "pg_isready" in " ".join(c["readinessProbe"]["exec"]["command"])
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "10Gi"


def test_postgresql_superuser_is_kept_apart_from_the_application_role(rendered):
    # The image makes POSTGRES_USER a superuser: that is the administration role, from a Secret of its own.
    admin = rendered.get("Secret", "demo-db-admin", "demo")
    assert admin["stringData"] == {"username": "<redacted>", "password": "<redacted>"}
    sts = rendered.get("StatefulSet", "demo-db", "demo")
    env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in _container(sts, "postgresql")["env"]}
    assert env["POSTGRES_USER"] == {"name": "demo-db-admin", "key": "username"}
    assert env["POSTGRES_PASSWORD"] == {"name": "demo-db-admin", "key": "password"}
    assert "POSTGRES_DB" not in env
    assert env["POSTGRESQL_APP_USER"] == {"name": "demo-db-credentials", "key": "username"}
    assert env["POSTGRESQL_APP_PASSWORD"] == {"name": "demo-db-credentials", "key": "password"}
    assert env["POSTGRESQL_APP_DATABASE"] == {"name": "demo-db-credentials", "key": "database"}
    # The role script runs at first start from the image's init directory, executable.
    pod = sts["spec"]["template"]["spec"]
    initdb = next(v for v in pod["volumes"] if v["name"] == "initdb")
    assert initdb["configMap"] == {"name": "demo-db-initdb", "defaultMode": 0o555}
    script = rendered.get("ConfigMap", "demo-db-initdb", "demo")["data"]["postgresql_roles.sh"]
    assert "NOSUPERUSER NOCREATEDB NOCREATEROLE" in script
    # A changed password restarts the pod (the environment is read at start): the template names both Secrets'
    # versions, never a value or a digest of one.
    versions = json.loads(sts["spec"]["template"]["metadata"]["annotations"]["ome.k8s/secret-versions"])
    assert versions == {"demo-db-credentials": "<resourceVersion>", "demo-db-admin": "<resourceVersion>"}
    # The backup runs as the owner of the database, not as the superuser.
    cron = _container(rendered.get("CronJob", "demo-db-backup", "demo"), "pg-dump")
    pguser = next(e for e in cron["env"] if e["name"] == "PGUSER")
    assert pguser["valueFrom"]["secretKeyRef"] == {"name": "demo-db-credentials", "key": "username"}


def test_postgresql_roles_are_brought_in_line_on_every_deploy(rendered):
    # In render mode the exec in the database pod is shown, not run; the passwords are never part of it.
    assert "Render mode, not run in demo/demo-db-0" in rendered.stdout
    assert "ALTER ROLE %I PASSWORD" in rendered.stdout


def test_postgresql_backup(rendered):
    cron = rendered.get("CronJob", "demo-db-backup", "demo")
    c = _container(cron, "pg-dump")
    script = c["command"][-1]
    assert "pg_dump --format=custom" in script
    assert "-mtime" in script
    assert {"name": "KEEP", "value": "3"} in c["env"]
    assert {"name": "RETENTION_DAYS", "value": "14"} in c["env"]
    assert rendered.get("PersistentVolumeClaim", "demo-db-backup", "demo")
    peers = rendered.get("NetworkPolicy", "demo-db", "demo")["spec"]["ingress"][0]["from"]
    assert [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in peers] == ["postgresql", "demo-app"]
    assert peers[0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "backup"


def test_redis(rendered):
    sts = rendered.get("StatefulSet", "demo-cache", "demo")
    c = _container(sts, "redis")
    env = {e["name"]: e for e in c["env"]}
    assert env["REDISCLI_AUTH"]["valueFrom"]["secretKeyRef"] == {"name": "demo-cache-credentials", "key": "password"}
    assert "value" not in env["REDIS_PASSWORD"]
    assert "requirepass" in c["command"][-1]
    conf = rendered.get("ConfigMap", "demo-cache-config", "demo")["data"]["redis.conf"]
    assert "requirepass" not in conf
    assert "maxmemory 256mb" in conf
    assert rendered.get("Secret", "demo-cache-credentials", "demo")["stringData"] == {"password": "<redacted>"}
    peers = rendered.get("NetworkPolicy", "demo-cache", "demo")["spec"]["ingress"][0]["from"]
    assert peers == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "demo-app", "app.kubernetes.io/instance": "demo"}}}
    ]


def test_every_object_carries_the_standard_labels(rendered):
    for obj in rendered.objects:
        if (
            obj["metadata"]["namespace" if obj["kind"] != "Namespace" else "name"] == "demo"
            and obj["kind"] != "Namespace"
        ):
            labels = obj["metadata"].get("labels") or {}
            assert labels.get("app.kubernetes.io/managed-by") == "ome.k8s", obj["metadata"]["name"]
            assert "app.kubernetes.io/part-of" in labels, obj["metadata"]["name"]


def test_backup_can_be_disabled(render):
    out = render(PLAYBOOK, extra_vars={"demo_backup": False})
    assert out.find("CronJob", "demo-db-backup", "demo") is None
    assert out.find("PersistentVolumeClaim", "demo-db-backup", "demo") is None
    peers = out.get("NetworkPolicy", "demo-db", "demo")["spec"]["ingress"][0]["from"]
    assert len(peers) == 1
    assert check_all(out.objects) == []


def test_external_database_has_no_workload(render):
    out = render(EXTERNAL)
    assert out.by_kind("StatefulSet") == []
    assert out.by_kind("CronJob") == []
    svc = out.get("Service", "ext-db", "demo")
    assert svc["spec"] == {
        "type": "ExternalName",
        "externalName": "db.example.org",
        "ports": [{"name": "postgresql", "port": 5433, "protocol": "TCP"}],
    }
    assert sorted(out.get("Secret", "ext-db-credentials", "demo")["stringData"]) == [
        "database",
        "host",
        "password",
        "port",
        "username",
    ]


INPUTS = "tests/apps/playbooks/postgresql_redis_inputs.yml"


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ({"pg_name": "Bad_Name"}, "postgresql_name (Bad_Name) must be a DNS label of at most 40 characters."),
        ({"pg_name": "d" * 41}, "postgresql_name (%s) must be a DNS label of at most 40 characters." % ("d" * 41)),
        ({"pg_clients": []}, "postgresql_allowed_clients must list at least one non-empty pod label mapping"),
        ({"pg_clients": [{}]}, "the pods allowed to connect, e.g. {app.kubernetes.io/name: omero-server}), got [{}]."),
        ({"postgresql_image_tag": "latest"}, "postgresql_image_tag (latest) must be a pinned tag other than latest"),
        (
            {"postgresql_image": "postgres:16"},
            "postgresql_image (postgres:16) must name the image repository only, without tag or digest",
        ),
        ({"postgresql_image": ""}, "postgresql_image () must name the image repository only"),
        ({"pg_schedule": "every night"}, "postgresql_backup_schedule (every night) must be a 5-field cron expression"),
        (
            {"pg_external": True},
            "postgresql_external is true, so postgresql_host and postgresql_password must be given",
        ),
        (
            {"postgresql_password": "short-pw"},
            "postgresql_password is too short (8 characters): give at least 16, or leave it empty",
        ),
        (
            {"postgresql_admin_user": "app"},
            "postgresql_admin_user (app) must differ from postgresql_user",
        ),
        ({"postgresql_storage_size": "lots"}, "postgresql_storage_size (lots) must be a quantity such as 10Gi."),
        (
            {"redis_password": "short-pw"},
            "redis_password is too short (8 characters): give at least 16, or leave it empty",
        ),
        ({"redis_clients": [{}]}, "redis_allowed_clients must list at least one non-empty pod label mapping"),
        ({"redis_policy": "lru"}, "redis_maxmemory_policy must be one of"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(render_fail, extra_vars, message):
    output = render_fail(INPUTS, extra_vars=extra_vars)
    assert message in " ".join(output.split()), output[-3000:]
    assert "short-pw" not in output


def test_external_database_without_its_host_names_only_the_missing_setting(render_fail):
    output = " ".join(render_fail(INPUTS, extra_vars={"pg_external": True, "postgresql_password": "x" * 20}).split())
    assert "postgresql_external is true, so postgresql_host must be given" in output, output[-3000:]
    assert "x" * 20 not in output


def test_every_postgresql_problem_is_reported_in_one_failure(render_fail):
    output = " ".join(
        render_fail(
            INPUTS, extra_vars={"pg_name": "Bad_Name", "postgresql_image_tag": "latest", "pg_schedule": "x"}
        ).split()
    )
    (failure,) = [line for line in output.split("fatal: ")[1:] if "Invalid PostgreSQL settings" in line]
    assert "postgresql_name (Bad_Name) must be a DNS label" in failure, output[-3000:]
    assert "postgresql_image_tag (latest) must be a pinned tag" in failure
    assert "postgresql_backup_schedule (x) must be a 5-field cron expression" in failure
    assert output.count("fatal: ") == 1


def test_every_redis_problem_is_reported_in_one_failure_without_the_password(render_fail):
    secret = "first-line-of-a-secret"
    output = " ".join(
        render_fail(
            INPUTS,
            extra_vars={"redis_password": secret + "\nsecond", "redis_port": 0, "redis_image_tag": "latest"},
        ).split()
    )
    (failure,) = [line for line in output.split("fatal: ")[1:] if "Invalid Redis settings" in line]
    assert "redis_password must be one line." in failure, output[-3000:]
    assert "redis_port (0) must be 1-65535." in failure
    assert "redis_image_tag (latest) must be a pinned tag other than latest" in failure
    assert secret not in output
