# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render playbooks/omero.yml (umbrella role ome.k8s.omero) with the lochy inventory and variants, and check
every object: strict schema validation, the cross-object invariants and OMERO-specific facts."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
from pathlib import Path

import harness
import invariants
import kubernetes_validate
import pytest
import yaml

PLAYBOOK = "playbooks/omero.yml"
LOCHY = "inventories/lochy"
VERSIONS = ("1.35.0", "1.37.0")
REDACTED = "<redacted>"
EXTERNAL_DB_PASSWORD = "ext-Db-pass-4711"  # a value given on the command line must never be rendered

VARIANTS = {
    # the production values: 3 web replicas, TLS, websockets, in-cluster PostgreSQL
    "lochy": {},
    # one replica, external database, TLS and websockets off
    "small": {
        "omero_web_replicas": 1,
        "omero_database_external": True,
        "omero_database_host": "pg.example.org",
        "omero_server_db_password": EXTERNAL_DB_PASSWORD,
        "omero_tls": False,
        "omero_websockets": False,
    },
    # a second instance as the training server makes it: own namespace, name, host; two replicas
    "second": {
        "omero_namespace": "omero-second",
        "omero_instance": "omero-second",
        "omero_hostname": "second.example.org",
        "omero_web_replicas": 2,
        "omero_server_client_node_port_tcp": 0,
        "omero_server_client_node_port_ssl": 0,
    },
}


_RENDERED: dict = {}


def _render_variant(name, tmp_path_factory):
    if name not in _RENDERED:
        _RENDERED[name] = harness.render(PLAYBOOK, LOCHY, VARIANTS[name], tmp_path=tmp_path_factory.mktemp(name))
    return name, VARIANTS[name], _RENDERED[name]


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def case(request, tmp_path_factory):
    return _render_variant(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=sorted(n for n, v in VARIANTS.items() if not v.get("omero_database_external")))
def in_cluster_db_case(request, tmp_path_factory):
    """The variants whose PostgreSQL runs in the cluster (an external one is the site's)."""
    return _render_variant(request.param, tmp_path_factory)


def _ns(variant: dict) -> str:
    return variant.get("omero_namespace", "omero")


def _inst(variant: dict) -> str:
    return variant.get("omero_instance", "omero")


def _replicas(variant: dict) -> int:
    return variant.get("omero_web_replicas", 3)


def _omero_config(cm: dict, key: str) -> dict[str, str]:
    """`config set -- name value` lines of a rendered .omero ConfigMap entry, parsed like a shell would."""
    settings = {}
    for line in cm["data"][key].splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[:3] == ["config", "set", "--"], line
            settings[words[3]] = words[4]
    return settings


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


def _containers(obj: dict) -> dict[str, dict]:
    spec = obj["spec"]["template"]["spec"]
    return {c["name"]: c for c in (spec.get("initContainers") or []) + spec["containers"]}


def test_every_object_validates_strictly(case):
    _unused, _unused, out = case
    assert out.objects
    checked = 0
    for relpath, obj in out.files.items():
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
                checked += 1
            except kubernetes_validate.SchemaNotFoundError:
                # Gateway API kinds have no schema in kubernetes-validate (docs/cluster.md)
                assert obj["kind"] == "HTTPRoute", relpath
    assert checked >= 2 * (len(out.files) - 1)


def test_invariants_hold(case):
    _unused, _unused, out = case
    assert invariants.check_all(out.objects) == []


def test_objects_land_in_the_instance_namespace(case):
    _unused, variant, out = case
    assert out.namespaces() == [_ns(variant)]
    assert out.get("Namespace", _ns(variant))
    for obj in out.objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "ome.k8s", obj["metadata"]["name"]
        assert labels["app.kubernetes.io/part-of"] == "omero"
        assert {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"} <= set(labels)


def test_secrets_are_redacted_and_never_rendered_elsewhere(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    server = out.get("Secret", f"{inst}-server", ns)
    assert server["stringData"] == {"root-password": REDACTED, "db-password": REDACTED}
    web = out.get("Secret", f"{inst}-web", ns)
    assert web["stringData"] == {"secret-key": REDACTED, "redis-password": REDACTED}
    for secret in out.by_kind("Secret"):
        assert set(secret.get("stringData", {}).values()) == {REDACTED}
        assert "data" not in secret
    text = "".join(out.read(p) for p in out.files)
    assert EXTERNAL_DB_PASSWORD not in text
    assert EXTERNAL_DB_PASSWORD not in out.stdout


def test_server_statefulset(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    sts = out.get("StatefulSet", f"{inst}-server", ns)
    spec = sts["spec"]
    assert spec["replicas"] == 1
    pod = spec["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 120
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 1000
    containers = _containers(sts)
    server = containers["omero-server"]
    assert server["image"].startswith("docker.io/openmicroscopy/omero-server:5.6.")
    env = _env(server)
    assert env["CONFIG_omero_db_pass"]["valueFrom"]["secretKeyRef"] == {"name": f"{inst}-server", "key": "db-password"}
    assert env["ROOTPASS"]["valueFrom"]["secretKeyRef"] == {"name": f"{inst}-server", "key": "root-password"}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert server[probe]["exec"]["command"][-2:] == ["admin", "status"]
    mounts = {m["mountPath"]: m for m in server["volumeMounts"]}
    assert mounts["/OMERO"]["name"] == "data"
    assert mounts["/opt/omero/server/OMERO.server/var"]["name"] == "var"
    assert mounts["/opt/omero/server/config/ome-k8s.omero"]["subPath"] == "ome-k8s.omero"
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert {v["name"]: v for v in pod["volumes"]}["var"]["emptyDir"]["sizeLimit"]
    # the server logs a sysadmin reads on a failed login or import reach stdout through native sidecars, one each
    sidecars = {c["name"]: c for c in pod["initContainers"] if c.get("restartPolicy") == "Always"}
    assert {name: c["command"][-1] for name, c in sidecars.items()} == {
        "blitz-log": "/opt/omero/server/OMERO.server/var/log/Blitz-0.log",
        "pixeldata-log": "/opt/omero/server/OMERO.server/var/log/PixelData-0.log",
        "master-err-log": "/opt/omero/server/OMERO.server/var/log/master.err",
    }
    for log in sidecars.values():
        assert log["volumeMounts"] == [
            {"name": "var", "mountPath": "/opt/omero/server/OMERO.server/var", "readOnly": True}
        ]


def test_blitz_log_sidecar_streams_the_log_and_stops_on_sigterm(case, tmp_path):
    """The sidecar's command, run here: it prints the log from its first line and ends at once on SIGTERM,
    where tail alone, as a container's PID 1, would ignore it until the grace period ran out."""
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    command = _containers(out.get("StatefulSet", f"{inst}-server", ns))["blitz-log"]["command"]
    log = tmp_path / "Blitz-0.log"
    log.write_text("first line\n")
    # Its own process group: outside a container, tail outlives the shell and is ended with the group.
    proc = subprocess.Popen([*command[:-1], str(log)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline() == "first line\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()


# ome/omero-server-docker: 60-database.sh reads the database settings only from CONFIG_omero_db_* (without
# CONFIG_omero_db_host it configures host `db` and gives up after 50 tries); the README says they must be set as
# environment variables.
def test_server_reads_the_database_settings_from_the_environment(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    env = _env(_containers(out.get("StatefulSet", f"{inst}-server", ns))["omero-server"])
    values = {name: e.get("value") for name, e in env.items() if name.startswith("CONFIG_omero_db_")}
    assert values == {
        "CONFIG_omero_db_host": variant.get("omero_database_host", f"{inst}-postgresql"),
        "CONFIG_omero_db_port": "5432",
        "CONFIG_omero_db_name": "omero",
        "CONFIG_omero_db_user": "omero",
        "CONFIG_omero_db_pass": None,
    }
    assert "PGPORT" not in env
    if not variant.get("omero_database_external"):
        db = out.get("Service", values["CONFIG_omero_db_host"], ns)
        assert int(values["CONFIG_omero_db_port"]) in {p["port"] for p in db["spec"]["ports"]}
    settings = _omero_config(out.get("ConfigMap", f"{inst}-server-config", ns), "ome-k8s.omero")
    assert not [key for key in settings if key.startswith("omero.db.")]


# The image loads /opt/omero/server/config/00-omero-server.omero, whose `certificates` line creates the self-signed
# certificates under omero.data.dir at every start: the role leaves the image's entrypoint alone.
def test_server_runs_the_image_entrypoint(case):
    _unused, variant, out = case
    server = _containers(out.get("StatefulSet", f"{_inst(variant)}-server", _ns(variant)))["omero-server"]
    assert "command" not in server
    assert "args" not in server


# ome/openmicroscopy#6448: OMERO.server 5.6.17 does not start with an empty var/ (Java's temporary files go to
# var/tmp). var/ is an emptyDir, so var/tmp must be created in it before the server starts.
def test_server_var_tmp_exists_before_the_server_starts(case):
    _unused, variant, out = case
    sts = out.get("StatefulSet", f"{_inst(variant)}-server", _ns(variant))
    pod = sts["spec"]["template"]["spec"]
    server = _containers(sts)["omero-server"]
    var = {m["mountPath"]: m["name"] for m in server["volumeMounts"]}["/opt/omero/server/OMERO.server/var"]
    assert "emptyDir" in {v["name"]: v for v in pod["volumes"]}[var]
    (init,) = [c for c in pod["initContainers"] if "restartPolicy" not in c]  # runs to completion first
    assert init["command"] == ["mkdir", "-p", "/opt/omero/server/OMERO.server/var/tmp"]
    assert {m["mountPath"]: m["name"] for m in init["volumeMounts"]}["/opt/omero/server/OMERO.server/var"] == var
    assert not init["volumeMounts"][0].get("readOnly")
    assert init["image"] == server["image"]
    assert init["securityContext"]["runAsUser"] == server["securityContext"]["runAsUser"]


def test_server_config_map(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    settings = _omero_config(out.get("ConfigMap", f"{inst}-server-config", ns), "ome-k8s.omero")
    assert settings["omero.data.dir"] == "/OMERO"
    websockets = variant.get("omero_websockets", True)
    assert set(settings["omero.client.icetransports"].split(",")) == (
        {"ssl", "tcp", "ws", "wss"} if websockets else {"ssl", "tcp"}
    )
    assert not [k for k in settings if "pass" in k.lower()]


def test_server_services(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    websockets = variant.get("omero_websockets", True)
    svc = out.get("Service", f"{inst}-server", ns)
    ports = {p["port"] for p in svc["spec"]["ports"]}
    assert ports == ({4063, 4064, 4065, 4066} if websockets else {4063, 4064})
    clients = out.get("Service", f"{inst}-server-clients", ns)
    assert clients["spec"]["type"] == "NodePort"
    client_ports = {p["port"]: p for p in clients["spec"]["ports"]}
    assert set(client_ports) == {4063, 4064}
    if "omero_server_client_node_port_ssl" not in variant:
        assert client_ports[4063]["nodePort"] == 30063
        assert client_ports[4064]["nodePort"] == 30064
    else:
        assert "nodePort" not in client_ports[4064]


def test_web_points_at_the_server_service(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    settings = _omero_config(out.get("ConfigMap", f"{inst}-web-config", ns), "50-ome-k8s.omero")
    ((host, port, label),) = json.loads(settings["omero.web.server_list"])
    svc = out.get("Service", host, ns)
    assert svc["metadata"]["labels"]["app.kubernetes.io/component"] == "server"
    assert port in {p["port"] for p in svc["spec"]["ports"]}
    assert port == 4064
    assert label == "omero"
    assert settings["omero.web.session_engine"] == "django.contrib.sessions.backends.cache"
    tls = variant.get("omero_tls", True)
    assert settings["omero.web.secure"] == ("true" if tls else "false")
    assert ("omero.web.secure_proxy_ssl_header" in settings) is tls


def test_web_sessions_in_redis_with_the_password_from_the_secret(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    web = _containers(out.get("Deployment", f"{inst}-web", ns))["omero-web"]
    names = [e["name"] for e in web["env"]]
    env = _env(web)
    assert env["OMERO_WEB_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": f"{inst}-web",
        "key": "redis-password",
    }
    assert env["CONFIG_omero_web_secret__key"]["valueFrom"]["secretKeyRef"]["key"] == "secret-key"
    # $(VAR) is only substituted from variables defined earlier in the list
    assert names.index("OMERO_WEB_REDIS_PASSWORD") < names.index("CONFIG_omero_web_caches")
    caches = json.loads(env["CONFIG_omero_web_caches"]["value"])
    # Django's own backend: django-redis is an optional extra of omero-web, not in the image.
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    location = caches["default"]["LOCATION"]
    assert location == f"redis://:$(OMERO_WEB_REDIS_PASSWORD)@{inst}-redis:6379/0"
    assert out.find("Service", f"{inst}-redis", ns) is not None


# `omero web start` collects the static files at every start and stops when it cannot write them.
def test_web_static_root_is_writable_where_omero_web_starts(case):
    _unused, variant, out = case
    deployment = out.get("Deployment", f"{_inst(variant)}-web", _ns(variant))
    settings = _omero_config(out.get("ConfigMap", f"{_inst(variant)}-web-config", _ns(variant)), "50-ome-k8s.omero")
    web = _containers(deployment)["omero-web"]
    (static,) = [m for m in web["volumeMounts"] if m["mountPath"] == settings["omero.web.static_root"]]
    assert not static.get("readOnly")
    assert web["securityContext"]["readOnlyRootFilesystem"] is False


# OMERO.web's own LOGGING writes to a file under var/; the role sends every logger to the console instead
# (omero.web.django_additional_settings, as manics/kubernetes-omero's omero-web chart does).
def test_web_logs_to_the_console(case):
    _unused, variant, out = case
    settings = _omero_config(out.get("ConfigMap", f"{_inst(variant)}-web-config", _ns(variant)), "50-ome-k8s.omero")
    additional = dict(json.loads(settings["omero.web.django_additional_settings"]))
    logging = additional["LOGGING"]
    handlers = logging["handlers"]
    assert {h["class"] for h in handlers.values()} == {"logging.StreamHandler"}
    assert not [h for h in handlers.values() if "filename" in h or "stream" in h]  # default stream: stderr
    assert set(logging["root"]["handlers"]) <= set(handlers)
    assert logging["disable_existing_loggers"] is False


def test_nginx_serves_static_and_proxies_like_omero_web_config_nginx(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    conf = out.get("ConfigMap", f"{inst}-web-nginx", ns)["data"]["default.conf"]
    assert "server 127.0.0.1:4080" in conf
    assert "client_max_body_size 0;" in conf
    assert "location /static/" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_read_timeout 600s;" in conf
    websockets = variant.get("omero_websockets", True)
    assert ("location /omero-ws" in conf) is websockets
    assert ("proxy_set_header Upgrade $http_upgrade;" in conf) is websockets
    if websockets:
        assert f"proxy_pass http://{inst}-server:4065;" in conf
    deployment = out.get("Deployment", f"{inst}-web", ns)
    containers = _containers(deployment)
    nginx = containers["nginx"]
    assert nginx["image"].startswith("docker.io/nginxinc/nginx-unprivileged:")
    assert nginx["securityContext"]["readOnlyRootFilesystem"] is True
    assert "syncmedia" in containers["collect-static"]["command"][-1]
    static = {m["name"]: m["mountPath"] for m in nginx["volumeMounts"]}["static"]
    assert static in {m["mountPath"] for m in containers["collect-static"]["volumeMounts"]}
    assert f"alias {static}/;" in conf


def test_web_replicas_and_disruption_budget(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    replicas = _replicas(variant)
    deployment = out.get("Deployment", f"{inst}-web", ns)
    assert deployment["spec"]["replicas"] == replicas
    pdbs = out.by_kind("PodDisruptionBudget", ns)
    if replicas > 1:
        (pdb,) = pdbs
        assert 1 <= pdb["spec"]["maxUnavailable"] < replicas
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert invariants.selector_matches(pdb["spec"]["selector"], labels)
    else:
        assert pdbs == []


def test_http_route_on_the_gateway(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    (route,) = out.by_kind("HTTPRoute", ns)
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["hostnames"] == [variant.get("omero_hostname", "omero.lochy.openmicroscopy.org")]
    tls = variant.get("omero_tls", True)
    assert [p["sectionName"] for p in route["spec"]["parentRefs"]] == (["https"] if tls else ["http"])
    for parent in route["spec"]["parentRefs"]:
        assert (parent["kind"], parent["name"], parent["namespace"]) == ("Gateway", "ome-gateway", "ome-gateway")
    svc = out.get("Service", f"{inst}-web", ns)
    paths = {}
    for rule in route["spec"]["rules"]:
        (backend,) = rule["backendRefs"]
        assert backend["name"] == svc["metadata"]["name"]
        assert backend["port"] in {p["port"] for p in svc["spec"]["ports"]}
        (match,) = rule["matches"]
        paths[match["path"]["value"]] = rule["timeouts"]["request"]
    websockets = variant.get("omero_websockets", True)
    assert paths == ({"/omero-ws": "0s", "/": "600s"} if websockets else {"/": "600s"})


def test_network_policies(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    server_labels = out.get("StatefulSet", f"{inst}-server", ns)["spec"]["template"]["metadata"]["labels"]
    web_labels = out.get("Deployment", f"{inst}-web", ns)["spec"]["template"]["metadata"]["labels"]
    backup_labels = {**server_labels, "app.kubernetes.io/component": "db-backup"}

    def admitted(component: str) -> list[dict]:
        peers = []
        for policy in out.by_kind("NetworkPolicy", ns):
            selected = [
                labels
                for w, labels, _unused in invariants.workloads(out.objects)
                if labels.get("app.kubernetes.io/component") == component
                and invariants.selector_matches(policy["spec"]["podSelector"], labels)
            ]
            if selected:
                # The namespace's default-deny and allow-dns have no ingress rule.
                peers += [peer for rule in policy["spec"].get("ingress") or [] for peer in rule["from"]]
        return peers

    redis_peers = admitted("cache")
    assert redis_peers, "Redis is not protected by a NetworkPolicy"
    assert any(invariants.selector_matches(p["podSelector"], web_labels) for p in redis_peers)
    assert not any(invariants.selector_matches(p.get("podSelector"), server_labels) for p in redis_peers)

    if variant.get("omero_database_external"):
        assert out.find("StatefulSet", f"{inst}-postgresql", ns) is None
    else:
        db_peers = admitted("database")
        assert db_peers, "PostgreSQL is not protected by a NetworkPolicy"
        assert any(invariants.selector_matches(p["podSelector"], server_labels) for p in db_peers)
        assert any(invariants.selector_matches(p["podSelector"], backup_labels) for p in db_peers)
        assert not any(invariants.selector_matches(p["podSelector"], web_labels) for p in db_peers)

    (web_policy,) = [
        p
        for p in out.by_kind("NetworkPolicy", ns)
        if p["spec"]["podSelector"] and invariants.selector_matches(p["spec"]["podSelector"], web_labels)
    ]
    (rule,) = web_policy["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]


# ome/omero-server-docker states the uid of its user (1000, playbook.yml) but not the gid of its group, and
# ome/omero-web-docker neither: no runAsGroup, so the runtime gives the containers the image's own primary group;
# fsGroup only makes the volumes group-writable. nginx-unprivileged and postgres state theirs (101, 999).
def test_omero_containers_keep_the_group_of_their_image(case):
    _unused, variant, out = case
    ns, inst = _ns(variant), _inst(variant)
    for kind, name in (("StatefulSet", f"{inst}-server"), ("Deployment", f"{inst}-web")):
        workload = out.get(kind, name, ns)
        pod = workload["spec"]["template"]["spec"]
        assert "runAsGroup" not in pod["securityContext"], name
        assert pod["securityContext"]["fsGroup"]
        for container in _containers(workload).values():
            if "openmicroscopy/" in container["image"]:
                assert "runAsGroup" not in container["securityContext"], (name, container["name"])
    nginx = _containers(out.get("Deployment", f"{inst}-web", ns))["nginx"]
    assert nginx["securityContext"]["runAsGroup"] == 101
    if not variant.get("omero_database_external"):
        db = out.get("StatefulSet", f"{inst}-postgresql", ns)["spec"]["template"]["spec"]["securityContext"]
        assert (db["runAsUser"], db["runAsGroup"]) == (999, 999)


# omero-documentation, version-requirements: PostgreSQL 15 and 16 are "recommended" for OMERO 5.6, 17 and 18 only
# "upcoming" (not supported yet).
OMERO_POSTGRESQL_MAJORS = {15, 16}


def _postgres_major(image: str) -> int:
    return int(re.fullmatch(r".*postgres:(\d+)[.-].*", image).group(1))


def test_database_runs_a_postgresql_major_omero_supports(in_cluster_db_case):
    _unused, variant, out = in_cluster_db_case
    ns, inst = _ns(variant), _inst(variant)
    images = [c["image"] for c in _containers(out.get("StatefulSet", f"{inst}-postgresql", ns)).values()]
    cronjob = out.get("CronJob", f"{inst}-postgresql-backup", ns)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    images += [c["image"] for c in cronjob["containers"]]
    assert {_postgres_major(image) for image in images} <= OMERO_POSTGRESQL_MAJORS, images


def _defaults(role: str) -> dict:
    return yaml.safe_load(Path(harness.REPO_ROOT, "roles", role, "defaults/main.yml").read_text(encoding="utf-8"))


def _release(tag: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.match(r"(\d+)\.(\d+)\.(\d+)", tag).groups())


def _fallback(value: str, variable: str) -> str:
    """The literal default of `{{ <variable> | default('<x>') }}`: what a role uses without the other role's."""
    return re.fullmatch(r"\{\{ %s \| default\('([^']+)'\) \}\}" % re.escape(variable), value).group(1)


# docs/omero.md, "Checked against upstream" (issue 14, finding 8): OMERO.server 5.6.18, OMERO.web 5.31 or newer,
# Redmine 6.0.10 or newer, a PostgreSQL major OMERO supports. The training accounts Job and restore pod fall back to
# the same pins when they run without the server's and database's defaults.
def test_default_pins_are_the_releases_checked_against_upstream():
    server = _defaults("omero_server")["omero_server_image_tag"]
    assert _release(server) == (5, 6, 18)
    assert _release(_defaults("omero_web")["omero_web_image_tag"]) >= (5, 31, 0)
    site = Path(harness.REPO_ROOT, LOCHY, "group_vars/all/redmine.yml")
    redmine_site = yaml.safe_load(site.read_text(encoding="utf-8"))
    for tag in (_defaults("redmine")["redmine_image_tag"], redmine_site.get("redmine_image_tag", "6.0.10")):
        assert _release(tag) >= (6, 0, 10), tag
    training = _defaults("omero_training")
    assert _fallback(training["omero_training_accounts_image_tag"], "omero_server_image_tag") == server
    postgres = _defaults("postgresql")["postgresql_image_tag"]
    assert _fallback(training["omero_training_restore_image_tag"], "postgresql_image_tag") == postgres
    for tag in (postgres, _defaults("omero_server")["omero_server_db_backup_image_tag"]):
        assert _postgres_major("postgres:" + tag) in OMERO_POSTGRESQL_MAJORS, tag


# The PostgreSQL NetworkPolicy admits only OMERO's pods, so the schema check runs psql inside the database pod:
# its selectors must find that pod, and the container must hold what the script reads.
def test_schema_check_runs_in_the_database_pod(in_cluster_db_case, tmp_path):
    _unused, variant, out = in_cluster_db_case
    ns, inst = _ns(variant), _inst(variant)
    proc = harness.run_playbook(
        "tests/apps/playbooks/omero_db_schema.yml",
        tmp_path,
        extra_vars={"omero_test_namespace": ns, "omero_test_instance": inst},
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
    match = re.search(r"Render mode, not run in ([^/]+)/(\S+): sh -c", proc.stdout)
    assert match, proc.stdout[-5000:]
    assert match.group(1) == ns
    selector = dict(label.split("=", 1) for label in match.group(2).split(","))
    db = out.get("StatefulSet", f"{inst}-postgresql", ns)
    assert invariants.selector_matches({"matchLabels": selector}, db["spec"]["template"]["metadata"]["labels"])
    matching = [
        w
        for w, labels, _unused in invariants.workloads(out.objects)
        if invariants.selector_matches({"matchLabels": selector}, labels)
    ]
    assert len(matching) == 1, "the selector must find the database pod only"
    container = _containers(db)["postgresql"]
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD"} <= set(_env(container))
    assert 5432 in {p["containerPort"] for p in container["ports"]}


def test_render_mode_skips_the_schema_check_and_says_so(case):
    _unused, _unused, out = case
    task = re.escape("Check the database schema before the rollout (apply mode only, render mode skips it)")
    assert re.search(task + r"\] \**\s+skipping:", out.stdout)


def test_summary_names_the_route_kubernetes_validate_cannot_check(case):
    _unused, variant, out = case
    summary = out.stdout[out.stdout.index("not_schema_validated") :][:300]
    assert f"{_ns(variant)}/httproute-{_inst(variant)}-web.yaml" in summary


def test_lochy_values_are_production_values():
    values = yaml.safe_load(Path(harness.REPO_ROOT, LOCHY, "group_vars/all/omero.yml").read_text(encoding="utf-8"))
    assert values["omero_web_replicas"] == 3
    assert values["omero_tls"] is True
    assert values["omero_websockets"] is True
    assert not [k for k in values if "password" in k]


BAD_STACK_INPUTS = [
    ({"omero_database_external": True, "omero_database_host": ""}, "omero_database_host must name the external"),
    (
        {"omero_database_external": True, "omero_database_host": "pg.example.org"},
        "omero_server_db_password must be given",
    ),
    ({"omero_hostname": ""}, "omero_hostname must be set"),
    ({"omero_instance": "Omero_Prod"}, "omero_instance (Omero_Prod) must be a DNS label of at most 30 characters"),
    ({"omero_instance": "o" * 31}, f"omero_instance ({'o' * 31}) must be a DNS label of at most 30 characters"),
    ({"omero_namespace": "OMERO"}, "omero_namespace must be a DNS label (got OMERO)"),
    ({"omero_web_replicas": 0}, "omero_web_replicas must be a whole number from 1 to 50 (got 0)"),
    ({"omero_server_image_tag": "latest"}, "(never latest)"),
    (
        {"omero_server_log_sidecar_files": {"blitz-log": "../../etc/passwd"}},
        "omero_server_log_sidecar_files must map container names",
    ),
    (
        {"omero_server_log_sidecar_files": {"omero-server": "Blitz-0.log"}},
        "(DNS labels other than omero-server and var-tmp)",
    ),
]


@pytest.mark.parametrize(
    ("extra", "message"), BAD_STACK_INPUTS, ids=[str(sorted(e.items())) for e, _unused in BAD_STACK_INPUTS]
)
def test_bad_stack_input_fails_before_anything_is_rendered(tmp_path, extra, message):
    proc = harness.run_playbook(PLAYBOOK, tmp_path, LOCHY, extra)
    output = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0, output[-5000:]
    assert message in output, output[-5000:]
    assert not list((tmp_path / "rendered").glob("*/*.yaml")), "objects were rendered before the failure"


def test_one_stack_run_reports_every_instance_problem(tmp_path):
    extra = {"omero_instance": "Omero_Prod", "omero_hostname": "", "omero_database_external": True}
    proc = harness.run_playbook(PLAYBOOK, tmp_path, LOCHY, extra)
    output = " ".join(proc.stdout.split())
    assert proc.returncode != 0, output[-5000:]
    assert output.count("fatal: [") == 1, output[-5000:]
    message = output[output.index("fatal: [") : output.rindex("PLAY RECAP")]
    assert "msg: 'Invalid OMERO settings:" in message, message
    assert "omero_instance (Omero_Prod) must be a DNS label" in message
    assert "omero_hostname must be set" in message
    assert "omero_database_host must name the external PostgreSQL server" in message
    assert "omero_server_db_password must be given" in message
    assert not list((tmp_path / "rendered").glob("*/*.yaml")), "objects were rendered before the failure"
