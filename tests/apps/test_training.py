# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render-mode tests of ome.k8s.omero_training (playbooks/training.yml) and playbooks/training_reset.yml."""

from __future__ import annotations

import base64
import json

import harness
import pytest
from fake_kube_api import FakeKubeAPI
from invariants import check_all

PLAYBOOK = "playbooks/training.yml"
RESET = "playbooks/training_reset.yml"
LIST = "tests/apps/playbooks/training_list.yml"
LOCHY = "inventories/lochy"
NS = "omero-training"


def _job(out, namespace):
    (job,) = [j for j in out.by_kind("Job", namespace) if j["metadata"]["name"].startswith(namespace + "-accounts-")]
    return job


@pytest.fixture(scope="module")
def lochy(tmp_path_factory):
    return harness.render(PLAYBOOK, inventory=LOCHY, tmp_path=tmp_path_factory.mktemp("training-lochy"))


@pytest.mark.slow
def test_lochy_training_instance(lochy):
    assert check_all(lochy.objects) == []
    assert lochy.namespaces() == [NS]
    # A whole OMERO of its own, with training values, not production's.
    lochy.get("StatefulSet", "omero-training-server", namespace=NS)
    lochy.get("StatefulSet", "omero-training-postgresql", namespace=NS)
    web = lochy.get("Deployment", "omero-training-web", namespace=NS)
    assert web["spec"]["replicas"] == 1
    routes = lochy.by_kind("HTTPRoute", NS)
    assert [h for r in routes for h in r["spec"]["hostnames"]] == ["omero-training.lochy.openmicroscopy.org"]
    node_ports = [p.get("nodePort") for s in lochy.by_kind("Service", NS) for p in s["spec"]["ports"]]
    assert 30063 not in node_ports and 30064 not in node_ports
    assert all(o["metadata"].get("namespace") in (None, NS) for o in lochy.objects)
    assert not lochy.by_kind("Deployment", "omero")


@pytest.mark.slow
def test_lochy_accounts(lochy):
    spec = json.loads(lochy.get("ConfigMap", "omero-training-accounts", namespace=NS)["data"]["accounts.json"])
    names = [u["name"] for u in spec["users"]]
    assert names == ["user-%02d" % i for i in range(1, 31)]
    assert all(u["groups"] == ["workshop", "workshop-shared"] for u in spec["users"])
    assert spec["groups"] == [
        {"name": "workshop", "permissions": "read-annotate"},
        {"name": "workshop-shared", "permissions": "read-write"},
    ]
    assert spec["sample_data"] is None
    secret = lochy.get("Secret", "omero-training-accounts", namespace=NS)
    assert sorted(secret["stringData"]) == names
    assert set(secret["stringData"].values()) == {"<redacted>"}

    job = _job(lochy, NS)
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"][:3] == [
        "/opt/omero/server/venv3/bin/python",
        "/scripts/omero_training_accounts.py",
        "apply",
    ]
    assert container["command"][container["command"].index("--host") + 1] == "omero-training-server"
    assert container["image"].startswith("docker.io/openmicroscopy/omero-server:")
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["passwords"]["secret"]["secretName"] == "omero-training-accounts"
    assert volumes["root-password"]["secret"] == {
        "secretName": "omero-training-server",
        "defaultMode": 288,
        "items": [{"key": "root-password", "path": "root-password"}],
    }
    # The image does not state its group's gid: the container keeps it, fsGroup makes the Secrets readable.
    assert "runAsGroup" not in pod["securityContext"]
    assert pod["securityContext"]["fsGroup"]
    assert "sample" not in volumes
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.slow
def test_explicit_list_with_sample_data(render):
    out = render(LIST)
    spec = json.loads(out.get("ConfigMap", "workshop-accounts", namespace="workshop")["data"]["accounts.json"])
    assert spec["users"] == [
        {"name": "alice", "first_name": "alice", "last_name": "Training", "groups": ["course"]},
        {"name": "bob", "first_name": "Bob", "last_name": "Builder", "groups": ["shared"]},
    ]
    assert spec["sample_data"] == {"path": "/sample/confocal", "dataset": "Sample data"}
    pod = _job(out, "workshop")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["sample"]["persistentVolumeClaim"] == {"claimName": "sample-images", "readOnly": True}
    # The import CLI (Java) may write outside /tmp: only then is the root file system writable.
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
    # The sample volume is the site's, not rendered by the role.
    assert check_all(out.objects) == [
        "references_exist: Job/workshop/%s: volume sample references missing PersistentVolumeClaim sample-images"
        % _job(out, "workshop")["metadata"]["name"],
    ]


@pytest.mark.slow
def test_same_accounts_same_job_other_accounts_new_job(tmp_path):
    first = harness.run_playbook(PLAYBOOK, tmp_path, LOCHY)
    assert first.returncode == 0, first.stdout[-3000:]
    again = harness.run_playbook(PLAYBOOK, tmp_path, LOCHY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert harness.changed_count(again.stdout) == 0
    objects = harness.load_rendered(tmp_path / "rendered")[0]
    before = [o["metadata"]["name"] for o in objects if o["kind"] == "Job" and "-accounts-" in o["metadata"]["name"]]
    more = harness.run_playbook(PLAYBOOK, tmp_path, LOCHY, {"omero_training_users": 31})
    assert more.returncode == 0, more.stdout[-3000:]
    objects = harness.load_rendered(tmp_path / "rendered")[0]
    after = [o["metadata"]["name"] for o in objects if o["kind"] == "Job" and "-accounts-" in o["metadata"]["name"]]
    assert len(before) == len(after) == 1
    assert before != after


ACCOUNTS_PROBLEM = (
    "Invalid workshop accounts or groups (omero_training_users, omero_training_groups, omero_training_default_groups): "
)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"omero_training_users": []}, "users: the list is empty"),
        ({"omero_training_users": ["ann", "bob", "ann"]}, "users: duplicate names ann"),
        ({"omero_training_users": ["ann", "no spaces"]}, "user name 'no spaces' is invalid"),
        ({"omero_training_users": ["root"]}, "user name 'root' is reserved by OMERO"),
        (
            {"omero_training_groups": [{"name": "g", "permissions": "public"}], "omero_training_default_groups": []},
            "group 'g': unknown permission level 'public'",
        ),
        ({"omero_training_default_groups": ["nope"]}, "user 'user-01': groups nope are not declared in groups"),
        ({"omero_training_users": 0}, "users: the count must be at least 1, got 0"),
    ],
)
def test_bad_accounts_fail_before_anything_is_rendered(render_fail, extra, message):
    output = render_fail(PLAYBOOK, LOCHY, extra)
    assert ACCOUNTS_PROBLEM + message in output
    assert "Write the files of changed objects" not in output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"omero_training_namespace": "Training"}, "omero_training_namespace (Training) must be a DNS label"),
        # 31 characters: the training instance becomes omero_instance, which is limited to 30
        (
            {"omero_training_instance": "x" * 31},
            "omero_training_instance (%s) must be a DNS label of at most 30" % ("x" * 31),
        ),
        ({"omero_training_hostname": ""}, "omero_training_hostname must be set"),
        ({"omero_training_web_replicas": 0}, "omero_training_web_replicas (0) must be at least 1."),
        ({"omero_training_password_length": 8}, "omero_training_password_length (8) must be at least 12."),
        ({"omero_training_accounts_timeout": 30}, "omero_training_accounts_timeout (30) must be at least 60 seconds."),
    ],
)
def test_bad_settings_fail_before_anything_is_rendered(render_fail, extra, message):
    output = render_fail(PLAYBOOK, LOCHY, extra)
    assert "Invalid training settings: " + message in output
    assert "Write the files of changed objects" not in output


def test_bad_settings_and_accounts_are_reported_in_one_failure(render_fail):
    extra = {"omero_training_web_replicas": 0, "omero_training_hostname": "", "omero_training_users": ["root"]}
    output = render_fail(PLAYBOOK, LOCHY, extra)
    (failure,) = [line for line in output.splitlines() if line.startswith("[ERROR]: ")]
    assert "Invalid training settings: " in failure, output[-3000:]
    assert "omero_training_web_replicas (0) must be at least 1." in failure
    assert "omero_training_hostname must be set" in failure
    assert ACCOUNTS_PROBLEM + "user name 'root' is reserved by OMERO." in failure
    assert "Write the files of changed objects" not in output


def test_training_namespace_equal_to_production_is_refused(render_fail):
    output = render_fail(PLAYBOOK, LOCHY, {"omero_training_namespace": "omero"})
    assert "Refusing to work on namespace 'omero': it is the production OMERO namespace" in output
    assert "Write the files of changed objects" not in output


# --------------------------------------------------------------------------- #
# playbooks/training_reset.yml
# --------------------------------------------------------------------------- #
def test_reset_refuses_without_confirmation(tmp_path):
    proc = harness.run_playbook(RESET, tmp_path, LOCHY)
    assert proc.returncode != 0
    assert (
        "Not resetting: this deletes every OMERO image, account and database row in namespace "
        "'omero-training'. Confirm with -e omero_training_reset_confirm=omero-training"
    ) in proc.stdout
    assert "Stop the training workloads" not in proc.stdout


def test_reset_refuses_a_wrong_confirmation(tmp_path):
    proc = harness.run_playbook(RESET, tmp_path, LOCHY, {"omero_training_reset_confirm": "omero"})
    assert proc.returncode != 0
    assert "Not resetting" in proc.stdout
    assert "Stop the training workloads" not in proc.stdout


@pytest.mark.parametrize("confirm", ["", "omero"])
def test_reset_refuses_the_production_namespace_first(tmp_path, confirm):
    proc = harness.run_playbook(
        RESET, tmp_path, LOCHY, {"omero_training_namespace": "omero", "omero_training_reset_confirm": confirm}
    )
    assert proc.returncode != 0
    assert "Refusing to work on namespace 'omero': it is the production OMERO namespace" in proc.stdout
    assert "Not resetting" not in proc.stdout
    assert "Stop the training workloads" not in proc.stdout


def test_reset_follows_the_inventorys_production_namespace(tmp_path):
    # The production namespace comes from the omero role's variable, whatever it is called on a site.
    proc = harness.run_playbook(
        RESET, tmp_path, LOCHY, {"omero_namespace": "omero-training", "omero_training_reset_confirm": "omero-training"}
    )
    assert proc.returncode != 0
    assert "Refusing to work on namespace 'omero-training'" in proc.stdout


@pytest.mark.slow
def test_confirmed_reset_renders_a_fresh_instance(render):
    out = render(RESET, LOCHY, {"omero_training_reset_confirm": NS})
    text = out.stdout
    assert "Render mode, not deleted" in text
    assert "app.kubernetes.io/part-of=omero-training" in " ".join(text.split())
    _job(out, NS)
    assert check_all(out.objects) == []


# Statically imported, the reset's deleting tasks are reachable by --start-at-task; each checks the
# confirmation and the namespace itself.
ENTRY = "tests/apps/playbooks/training_entry_point.yml"
FIRST_DELETE = "Show what would be deleted"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "Not resetting: this deletes every OMERO image"),
        ({"omero_training_namespace": "redmine", "omero_training_reset_confirm": "redmine"}, "it belongs to Redmine"),
    ],
)
@pytest.mark.parametrize("selection", [["--start-at-task", FIRST_DELETE], ["--skip-tags", "always"]])
def test_reset_deletes_nothing_unconfirmed_whatever_the_task_selection(tmp_path, extra, message, selection):
    proc = harness.run_playbook(ENTRY, tmp_path, LOCHY, {"entry": "reset", **extra}, args=selection)
    assert proc.returncode != 0
    assert message in proc.stdout
    assert "Render mode, not deleted" not in proc.stdout


@pytest.mark.parametrize("namespace", ["redmine", "kube-system", "default", "ome-gateway"])
def test_reset_refuses_the_namespace_of_another_application(tmp_path, namespace):
    proc = harness.run_playbook(
        RESET, tmp_path, LOCHY, {"omero_training_namespace": namespace, "omero_training_reset_confirm": namespace}
    )
    assert proc.returncode != 0
    assert "Refusing to work on namespace '%s': it belongs to" % namespace in proc.stdout
    assert "Render mode, not deleted" not in proc.stdout


def test_training_instance_refuses_the_namespace_of_another_application(render_fail):
    output = render_fail(PLAYBOOK, LOCHY, {"omero_training_namespace": "redmine"})
    assert "Refusing to work on namespace 'redmine': it belongs to Redmine (redmine_namespace)" in output
    assert "Write the files of changed objects" not in output


@pytest.mark.slow
def test_reset_deletes_only_what_the_training_instance_owns(render):
    out = render(RESET, LOCHY, {"omero_training_reset_confirm": NS})
    owned = "app.kubernetes.io/part-of=omero-training,app.kubernetes.io/managed-by=ome.k8s"
    data = "app.kubernetes.io/component in (server,database,cache)"
    # Render mode names each selection (kind/namespace/label selector).
    text = " ".join(out.stdout.split())
    assert "Render mode, not deleted: PersistentVolumeClaim/omero-training/%s,%s" % (owned, data) in text
    for kind in ("StatefulSet", "Deployment", "Job", "Pod"):
        assert "%s/omero-training/%s" % (kind, owned) in text
    # The pods are deleted (and waited for) by the same selector, so every pod template carries it.
    for kind in ("StatefulSet", "Deployment", "Job"):
        for owner in out.by_kind(kind, NS):
            labels = owner["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/part-of"] == NS, owner["metadata"]["name"]
            assert labels["app.kubernetes.io/managed-by"] == "ome.k8s", owner["metadata"]["name"]
    # The selected components are those of the data volumes; the backup volumes carry others, so they stay.
    data_components = {"server", "database", "cache"}
    for owner in out.by_kind("StatefulSet", NS):
        for template in owner["spec"].get("volumeClaimTemplates", []):
            labels = template["metadata"]["labels"]
            assert labels["app.kubernetes.io/component"] in data_components
            assert labels["app.kubernetes.io/part-of"] == NS
            assert labels["app.kubernetes.io/managed-by"] == "ome.k8s"
    backups = out.by_kind("PersistentVolumeClaim", NS)
    assert backups
    for pvc in backups:
        assert pvc["metadata"]["labels"]["app.kubernetes.io/component"] not in data_components, pvc["metadata"]["name"]


def test_training_never_takes_production_passwords(tmp_path, monkeypatch):
    # kubernetes.core caches API discovery under TMPDIR by server address: a fresh one for the stand-in.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    # Production's passwords set for every host, as a site's group_vars/all would.
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.ini").write_text("localhost ansible_connection=local\n", encoding="utf-8")
    production = {
        "omero_server_root_password": "production-root-password",
        "omero_server_db_password": "production-db-password",
        "omero_web_redis_password": "production-redis-password",
        "omero_web_secret_key": "production-django-secret-key",
    }
    (inventory / "group_vars" / "all.yml").write_text(json.dumps(production), encoding="utf-8")
    with FakeKubeAPI() as api:
        extra = {
            "ome_k8s_render_dir": "",
            "ome_k8s_kubeconfig": str(api.kubeconfig(tmp_path / "kubeconfig")),
            "ome_k8s_cluster_name": "lochy",
        }
        # The stand-in API knows no workloads: the run stops after the Secrets, which is as far as needed.
        proc = harness.run_playbook(PLAYBOOK, tmp_path, inventory, extra)
        secrets = {
            path.rsplit("/", 1)[1]: obj
            for path, obj in api.objects.items()
            if path.startswith("/api/v1/namespaces/%s/secrets/" % NS)
        }
    assert {"omero-training-server", "omero-training-web"} <= set(secrets), proc.stdout[-5000:]
    values = {
        base64.b64decode(value).decode() for secret in secrets.values() for value in (secret.get("data") or {}).values()
    }
    assert values, secrets
    assert not values & set(production.values())
