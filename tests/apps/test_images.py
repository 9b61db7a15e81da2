# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every image of every application role is set by repository, tag and pull policy (a private registry, or images
loaded on the nodes): with all of them overridden, every container of every rendered object uses the override of
its own role, and nothing else."""

from __future__ import annotations

import gzip

import harness
import pytest

LOCHY = "inventories/lochy"
REGISTRY = "registry.test.example:5000/e2e"

# (repository variable, repository, tag, pull policy variable, pull policy). Pull policies alternate, so a
# container that kept the default IfNotPresent, or took another role's policy, is caught.
SERVER = ("omero_server_image", f"{REGISTRY}/omero-server", "5.6.18-e2e", "omero_server_image_pull_policy", "Never")
SERVER_BACKUP = ("omero_server_db_backup_image", f"{REGISTRY}/pg-dump", "16.10-e2e", None, "Never")
WEB = ("omero_web_image", f"{REGISTRY}/omero-web", "5.33.0-e2e", "omero_web_image_pull_policy", "Always")
NGINX = ("omero_web_nginx_image", f"{REGISTRY}/nginx", "1.29.4-e2e", None, "Always")
POSTGRESQL = ("postgresql_image", f"{REGISTRY}/postgres", "16.10-e2e", "postgresql_image_pull_policy", "Never")
REDIS = ("redis_image", f"{REGISTRY}/redis", "7.4.5-e2e", "redis_image_pull_policy", "Always")
REDMINE = ("redmine_image", f"{REGISTRY}/redmine", "6.0.11-e2e", "redmine_image_pull_policy", "Never")
REDMINE_EXTENSIONS = ("redmine_extensions_image", f"{REGISTRY}/redmine-fetch", "fetch-1", None, "Never")
TRAINING_ACCOUNTS = (
    "omero_training_accounts_image",
    f"{REGISTRY}/omero-accounts",
    "accounts-1",
    "omero_training_image_pull_policy",
    "Always",
)
# Every image playbooks/apps.yml renders.
APPLICATION_IMAGES = (SERVER, WEB, NGINX, POSTGRESQL, REDIS, REDMINE, REDMINE_EXTENSIONS, TRAINING_ACCOUNTS)
TRAINING_RESTORE = ("omero_training_restore_image", f"{REGISTRY}/pg-restore", "restore-1", None, "Always")


def settings(*images):
    """Extra vars setting the repository, tag and pull policy of each image."""
    result = {}
    for variable, repository, tag, policy_variable, policy in images:
        result[variable] = repository
        result[f"{variable}_tag"] = tag
        if policy_variable:
            result[policy_variable] = policy
    return result


def uses(image):
    """What a container of that image must show: the reference and the pull policy."""
    _variable, repository, tag, _policy_variable, policy = image
    return (f"{repository}:{tag}", policy)


def pod_spec(obj):
    if obj["kind"] == "Pod":
        return obj["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return obj["spec"]["template"]["spec"]
    return None


def containers(out):
    """(kind, namespace, name) -> {container name: (image, pull policy)} for every object that runs containers."""
    found = {}
    for obj in out.objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        key = (obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])
        found[key] = {
            c["name"]: (c["image"], c.get("imagePullPolicy"))
            for c in spec.get("initContainers", []) + spec["containers"] + spec.get("ephemeralContainers", [])
        }
    return found


def omero_instance(namespace, instance):
    return {
        ("StatefulSet", namespace, f"{instance}-server"): {
            "var-tmp": uses(SERVER),
            "blitz-log": uses(SERVER),
            "pixeldata-log": uses(SERVER),
            "master-err-log": uses(SERVER),
            "omero-server": uses(SERVER),
        },
        ("Deployment", namespace, f"{instance}-web"): {
            "collect-static": uses(WEB),
            "omero-web": uses(WEB),
            "nginx": uses(NGINX),
        },
        ("StatefulSet", namespace, f"{instance}-postgresql"): {"postgresql": uses(POSTGRESQL)},
        ("CronJob", namespace, f"{instance}-postgresql-backup"): {"pg-dump": uses(POSTGRESQL)},
        ("StatefulSet", namespace, f"{instance}-redis"): {"redis": uses(REDIS)},
    }


@pytest.mark.slow
def test_every_container_of_every_application_uses_its_roles_image_tag_and_pull_policy(render):
    extra = settings(*APPLICATION_IMAGES)
    # A plugin, so that Redmine's init container is rendered too.
    extra["redmine_plugins"] = [
        {"name": "redmine_checklists", "url": "https://example.org/redmine_checklists-3.1.tar.gz", "sha256": "0" * 64}
    ]
    # The logging add-on (on in lochy) takes its images from the site too.
    extra["cluster_addons_logging_store_image"] = f"{REGISTRY}/victoria-logs:v1.52.2-e2e"
    extra["cluster_addons_logging_collector_image"] = f"{REGISTRY}/vlagent:v1.52.2-e2e"
    extra["cluster_addons_logging_image_pull_policy"] = "Never"
    out = render("playbooks/apps.yml", inventory=LOCHY, extra_vars=extra)
    found = containers(out)
    # The accounts Job is named after a hash of what it runs.
    (accounts,) = [key for key in found if key[0] == "Job" and key[2].startswith("omero-training-accounts-")]
    expected = {
        **omero_instance("omero", "omero"),
        **omero_instance("omero-training", "omero-training"),
        accounts: {"accounts": uses(TRAINING_ACCOUNTS)},
        ("Deployment", "redmine", "redmine"): {"fetch-extensions": uses(REDMINE_EXTENSIONS), "redmine": uses(REDMINE)},
        ("CronJob", "redmine", "redmine-files-backup"): {"archive": uses(REDMINE)},
        ("StatefulSet", "redmine", "redmine-postgresql"): {"postgresql": uses(POSTGRESQL)},
        ("CronJob", "redmine", "redmine-postgresql-backup"): {"pg-dump": uses(POSTGRESQL)},
        ("StatefulSet", "ome-logging", "victoria-logs"): {
            "victoria-logs": (f"{REGISTRY}/victoria-logs:v1.52.2-e2e", "Never")
        },
        ("DaemonSet", "ome-logging", "vlagent"): {"vlagent": (f"{REGISTRY}/vlagent:v1.52.2-e2e", "Never")},
    }
    assert found == expected
    # The run's summary lists the images a site must make available.
    summary = out.read("SUMMARY.md")
    for _variable, repository, tag, _policy_variable, _policy in APPLICATION_IMAGES:
        assert f"| {repository} | {tag} |" in summary


@pytest.mark.slow
def test_the_pre_upgrade_backup_job_uses_its_image_and_the_servers_pull_policy(render):
    extra = settings(SERVER_BACKUP)
    extra["omero_server_image_pull_policy"] = "Never"
    out = render("tests/apps/playbooks/omero_db_backup.yml", extra_vars=extra)
    found = containers(out)
    assert list(found.values()) == [{"pg-dump": uses(SERVER_BACKUP)}], found


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "omero.sql.gz"
    path.write_bytes(gzip.compress(b"--\n-- PostgreSQL database dump\n--\nSET statement_timeout = 0;\n"))
    return str(path)


RESTORE = {
    "omero_restore_namespace": "omero-dev",
    "omero_restore_confirm": "omero-dev",
    "omero_restore_redeploy": False,
}


@pytest.mark.slow
def test_the_restore_helper_pod_uses_its_image_and_the_training_pull_policy(render, dump):
    extra = dict(RESTORE, omero_restore_dump=dump, **settings(TRAINING_RESTORE))
    extra["omero_training_image_pull_policy"] = "Always"
    out = render("playbooks/omero_restore.yml", inventory=LOCHY, extra_vars=extra)
    assert containers(out) == {("Pod", "omero-dev", "omero-dev-restore"): {"restore": uses(TRAINING_RESTORE)}}


def test_a_restore_image_with_its_tag_inside_is_refused_before_anything(tmp_path, dump):
    extra = dict(RESTORE, omero_restore_dump=dump, omero_training_restore_image="docker.io/library/postgres:16")
    proc = harness.run_playbook("playbooks/omero_restore.yml", tmp_path, LOCHY, extra)
    output = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0
    assert (
        "omero_training_restore_image (docker.io/library/postgres:16) must name the image repository only, without"
        " tag or digest: the tag goes in omero_training_restore_image_tag." in output
    ), output[-3000:]
    assert not list((tmp_path / "rendered").glob("*/*.yaml"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"omero_training_accounts_image_tag": "latest"},
            "omero_training_accounts_image_tag (latest) must be a pinned tag",
        ),
        ({"postgresql_image": "postgres:16"}, "postgresql_image (postgres:16) must name the image repository only"),
        ({"redis_image_tag": "latest"}, "redis_image_tag (latest) must be a pinned tag"),
        ({"postgresql_image_pull_policy": "Sometimes"}, "postgresql_image_pull_policy"),
        ({"omero_training_image_pull_policy": "sometimes"}, "omero_training_image_pull_policy"),
    ],
)
def test_bad_image_settings_are_refused_before_anything_is_rendered(render_fail, extra, message):
    output = " ".join(render_fail("playbooks/training.yml", inventory=LOCHY, extra_vars=extra).split())
    assert message in output, output[-3000:]
