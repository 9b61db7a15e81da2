# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every application namespace denies all traffic by default; the connections each component needs, and only
those, are allowed. Checked on the objects of playbooks/apps.yml for inventories/lochy."""

from __future__ import annotations

import harness
import pytest
from invariants import EXTERNAL, connection_allowed

pytestmark = pytest.mark.slow

DNS = ("kube-system", {"k8s-app": "kube-dns"})
GATEWAY = ("envoy-gateway-system", {"app.kubernetes.io/name": "envoy"})


@pytest.fixture(scope="module")
def lochy(tmp_path_factory):
    return harness.render("playbooks/apps.yml", inventory="inventories/lochy", tmp_path=tmp_path_factory.mktemp("np"))


def pod(out, kind, name, namespace, **extra_labels):
    obj = out.get(kind, name, namespace)
    spec = obj["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else obj["spec"]
    return namespace, {**spec["template"]["metadata"]["labels"], **extra_labels}


@pytest.mark.parametrize("namespace", ["omero", "omero-training", "redmine", "ome-logging"])
def test_each_application_namespace_denies_by_default_and_allows_dns(lochy, namespace):
    deny = lochy.get("NetworkPolicy", "default-deny", namespace)["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    stray = (namespace, {"app.kubernetes.io/name": "anything"})
    assert connection_allowed(lochy.objects, stray, DNS, 53, "UDP")
    assert connection_allowed(lochy.objects, stray, DNS, 53, "TCP")
    assert not connection_allowed(lochy.objects, stray, EXTERNAL, 443)


@pytest.mark.parametrize("ns", ["omero", "omero-training"])
def test_omero_connections(lochy, ns):
    objs = lochy.objects
    web = pod(lochy, "Deployment", ns + "-web", ns)
    server = pod(lochy, "StatefulSet", ns + "-server", ns)
    db = pod(lochy, "StatefulSet", ns + "-postgresql", ns)
    redis = pod(lochy, "StatefulSet", ns + "-redis", ns)
    db_backup = pod(lochy, "CronJob", ns + "-postgresql-backup", ns)
    upgrade_backup = (ns, {**server[1], "app.kubernetes.io/component": "db-backup"})
    restore = (ns, {**server[1], "app.kubernetes.io/component": "restore"})
    needed = [
        (GATEWAY, web, 8080),
        (web, server, 4064),
        (web, redis, 6379),
        (server, db, 5432),
        (upgrade_backup, db, 5432),
        (restore, db, 5432),
        (db_backup, db, 5432),
        (EXTERNAL, server, 4063),
        (EXTERNAL, server, 4064),
    ]
    for src, dst, port in needed:
        assert connection_allowed(objs, src, dst, port), (src, dst, port)
    refused = [
        (web, db, 5432),
        (EXTERNAL, db, 5432),
        (EXTERNAL, redis, 6379),
        (EXTERNAL, web, 8080),
        (server, EXTERNAL, 443),
        (web, EXTERNAL, 443),
        (db, EXTERNAL, 443),
        (redis, EXTERNAL, 443),
        (db_backup, EXTERNAL, 443),
        (server, redis, 6379),
    ]
    for src, dst, port in refused:
        assert not connection_allowed(objs, src, dst, port), (src, dst, port)


def test_training_accounts_job_reaches_only_its_server(lochy):
    ns = "omero-training"
    (job,) = [j for j in lochy.by_kind("Job", ns) if j["metadata"]["name"].startswith(ns + "-accounts-")]
    accounts = (ns, job["spec"]["template"]["metadata"]["labels"])
    server = pod(lochy, "StatefulSet", ns + "-server", ns)
    assert connection_allowed(lochy.objects, accounts, server, 4064)
    assert not connection_allowed(lochy.objects, accounts, pod(lochy, "StatefulSet", ns + "-postgresql", ns), 5432)
    assert not connection_allowed(lochy.objects, accounts, EXTERNAL, 443)


def test_redmine_connections(lochy):
    ns = "redmine"
    redmine = pod(lochy, "Deployment", "redmine", ns)
    db = pod(lochy, "StatefulSet", "redmine-postgresql", ns)
    assert connection_allowed(lochy.objects, GATEWAY, redmine, 3000)
    assert connection_allowed(lochy.objects, redmine, db, 5432)
    # Extensions are fetched when Redmine starts.
    assert connection_allowed(lochy.objects, redmine, EXTERNAL, 443)
    assert not connection_allowed(lochy.objects, EXTERNAL, db, 5432)
    assert not connection_allowed(lochy.objects, db, EXTERNAL, 443)
    files_backup = pod(lochy, "CronJob", "redmine-files-backup", ns)
    assert not connection_allowed(lochy.objects, files_backup, EXTERNAL, 443)


def test_logging_store_takes_lines_only_from_the_collectors(lochy):
    """The log store (the logging add-on, on in lochy): the collectors write to it, nothing else reaches it (no
    route: no Gateway either) and it opens no connection; the collectors reach the store and the API server's
    endpoints, nothing else."""
    ns = "ome-logging"
    store = pod(lochy, "StatefulSet", "victoria-logs", ns)
    collector = pod(lochy, "DaemonSet", "vlagent", ns)
    web = pod(lochy, "Deployment", "omero-web", "omero")
    assert connection_allowed(lochy.objects, collector, store, 9428)
    assert not connection_allowed(lochy.objects, web, store, 9428)
    assert not connection_allowed(lochy.objects, GATEWAY, store, 9428)
    assert not connection_allowed(lochy.objects, EXTERNAL, store, 9428)
    assert not connection_allowed(lochy.objects, store, EXTERNAL, 443)
    assert connection_allowed(lochy.objects, collector, EXTERNAL, 6443)
    assert not connection_allowed(lochy.objects, collector, EXTERNAL, 443)
    assert not connection_allowed(lochy.objects, collector, web, 8080)
    assert not connection_allowed(lochy.objects, EXTERNAL, collector, 9429)
