# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render-mode tests of ome.k8s.redmine and playbooks/redmine.yml."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import shutil
import subprocess
import tarfile
import threading

import harness
import pytest
from invariants import check_all

EXTERNAL = "tests/apps/playbooks/redmine_external_db.yml"
PLAYBOOK = "playbooks/redmine.yml"
LOCHY = "inventories/lochy"
NS = "redmine"


def _env(container):
    return {e["name"]: e for e in container.get("env") or []}


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    """Redmine against an external database, with two plugins and a theme."""
    return harness.render(EXTERNAL, tmp_path=tmp_path_factory.mktemp("redmine-external"))


@pytest.fixture(scope="module")
def lochy(tmp_path_factory):
    """playbooks/redmine.yml with the lochy inventory (bundled PostgreSQL)."""
    return harness.render(PLAYBOOK, inventory=LOCHY, tmp_path=tmp_path_factory.mktemp("redmine-lochy"))


@pytest.mark.slow
def test_lochy_renders_redmine_with_its_own_database(lochy):
    assert check_all(lochy.objects) == []
    assert lochy.namespaces() == [NS]
    dep = lochy.get("Deployment", "redmine", namespace=NS)
    env = _env(dep["spec"]["template"]["spec"]["containers"][0])
    assert env["REDMINE_DB_POSTGRES"]["value"] == "redmine-postgresql"
    assert env["REDMINE_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "redmine-postgresql-credentials",
        "key": "password",
    }
    lochy.get("Service", "redmine-postgresql", namespace=NS)
    sts = lochy.get("StatefulSet", "redmine-postgresql", namespace=NS)
    assert sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"] == "redmine"
    assert lochy.get("HTTPRoute", "redmine", namespace=NS)["spec"]["hostnames"] == ["redmine.lochy.openmicroscopy.org"]
    pvc = lochy.get("PersistentVolumeClaim", "redmine-files", namespace=NS)
    assert pvc["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert "storageClassName" not in pvc["spec"]


@pytest.mark.slow
def test_database_accepts_only_redmine_and_its_backup(lochy):
    policy = lochy.get("NetworkPolicy", "redmine-postgresql", namespace=NS)
    peers = [p["podSelector"]["matchLabels"] for p in policy["spec"]["ingress"][0]["from"]]
    redmine_pods = lochy.get("Deployment", "redmine", namespace=NS)["spec"]["template"]["metadata"]["labels"]
    backup = lochy.get("CronJob", "redmine-postgresql-backup", namespace=NS)
    backup_pods = backup["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    files_backup = lochy.get("CronJob", "redmine-files-backup", namespace=NS)
    files_pods = files_backup["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]

    def admitted(labels):
        return any(all(labels.get(k) == v for k, v in peer.items()) for peer in peers)

    assert admitted(redmine_pods)
    assert admitted(backup_pods)
    assert not admitted(files_pods)
    assert len(peers) == 2


@pytest.mark.slow
def test_external_db_deployment(external):
    dep = external.get("Deployment", "redmine", namespace=NS)
    pod = dep["spec"]["template"]["spec"]
    (redmine,) = pod["containers"]
    env = _env(redmine)
    assert redmine["image"] == "docker.io/library/redmine:6.0.11"
    assert env["REDMINE_DB_POSTGRES"]["value"] == "db.example.org"
    assert env["REDMINE_DB_PORT"]["value"] == "5432"
    assert env["REDMINE_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "redmine-db", "key": "password"}
    assert env["REDMINE_SECRET_KEY_BASE"]["valueFrom"]["secretKeyRef"] == {
        "name": "redmine-secrets",
        "key": "secret-key-base",
    }
    assert env["REDMINE_PLUGINS_MIGRATE"]["value"] == "1"
    # Rails logs to stdout (the centralised log store reads it there), not to a file in the container.
    assert env["RAILS_LOG_TO_STDOUT"]["value"] == "1"
    # ... unbuffered: every Ruby process requires the ConfigMap's file that makes stdout and stderr sync.
    ruby_volume = next(v for v in pod["volumes"] if v["name"] == "ruby")
    ruby = external.get("ConfigMap", ruby_volume["configMap"]["name"], namespace=NS)
    ruby_mount = next(m for m in redmine["volumeMounts"] if m["name"] == "ruby")
    (required,) = [opt[2:] for opt in env["RUBYOPT"]["value"].split() if opt.startswith("-r")]
    directory, key = required.rsplit("/", 1)
    assert directory == ruby_mount["mountPath"] and ruby_mount["readOnly"] is True
    assert ruby["data"][key].split() == ["$stdout.sync", "=", "true", "$stderr.sync", "=", "true"]
    assert pod["securityContext"]["runAsUser"] == 999 and pod["securityContext"]["runAsNonRoot"] is True
    assert dep["spec"]["strategy"]["type"] == "Recreate"
    mounts = {m["mountPath"]: m["name"] for m in redmine["volumeMounts"]}
    assert mounts == {
        "/usr/src/redmine/files": "files",
        "/etc/ome-k8s/ruby": "ruby",
        "/usr/src/redmine/plugins": "plugins",
        "/usr/src/redmine/themes": "themes",
    }
    (init,) = pod["initContainers"]
    assert init["command"] == ["/bin/bash", "/scripts/fetch-extensions.sh"]
    assert {m["mountPath"] for m in init["volumeMounts"]} == {"/scripts", "/extensions/plugins", "/extensions/themes"}
    # The secret key base Secret is rendered with placeholders only.
    secret = external.get("Secret", "redmine-secrets", namespace=NS)
    assert secret["stringData"] == {"secret-key-base": "<redacted>"}
    assert external.find("StatefulSet", "redmine-postgresql", namespace=NS) is None


@pytest.mark.slow
def test_external_db_invariants(external):
    # The external database's password Secret is created by the site, not by the role.
    assert check_all(external.objects) == [
        "references_exist: Deployment/redmine/redmine: container redmine env REDMINE_DB_PASSWORD "
        "references missing Secret redmine-db",
    ]


@pytest.mark.slow
def test_route_service_and_policy(external):
    route = external.get("HTTPRoute", "redmine", namespace=NS)
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["hostnames"] == ["redmine.test.example"]
    assert route["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "ome-gateway",
            "namespace": "ome-gateway",
            "sectionName": "https",
        }
    ]
    (rule,) = route["spec"]["rules"]
    (backend,) = rule["backendRefs"]
    assert rule["timeouts"]["request"] == "300s"
    svc = external.get("Service", backend["name"], namespace=NS)
    assert backend["port"] in [p["port"] for p in svc["spec"]["ports"]]
    policy = external.get("NetworkPolicy", "redmine", namespace=NS)
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}}}
    ]
    assert ingress["ports"] == [{"port": 3000, "protocol": "TCP"}]


@pytest.mark.slow
def test_files_backup_cronjob(external):
    cron = external.get("CronJob", "redmine-files-backup", namespace=NS)
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    claims = {v["name"]: v["persistentVolumeClaim"] for v in pod["volumes"]}
    assert claims["files"] == {"claimName": "redmine-files", "readOnly": True}
    assert claims["backup"] == {"claimName": "redmine-files-backup"}
    external.get("PersistentVolumeClaim", "redmine-files-backup", namespace=NS)
    # local-path volumes are ReadWriteOnce: the backup runs on the node of the Redmine pod.
    affinity = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert affinity["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == "redmine"
    assert "tail -n +$((7 + 1))" in pod["containers"][0]["command"][2]


def _script(rendered):
    return rendered.get("ConfigMap", "redmine-extensions", namespace=NS)["data"]["fetch-extensions.sh"]


@pytest.mark.slow
def test_extension_script_lists_every_entry(external):
    script = _script(external)
    assert (
        "fetch_archive plugins redmine_checklists https://example.org/redmine_checklists-3.1.tar.gz "
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    ) in script
    assert (
        "fetch_git plugins redmine_git_hosting https://example.org/redmine_git_hosting.git "
        "89abcdef0123456789abcdef0123456789abcdef"
    ) in script
    assert (
        "fetch_git themes purplemine2 https://example.org/purplemine2.git fedcba9876543210fedcba9876543210fedcba98"
    ) in script


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _run_script(script, dest, home):
    return subprocess.run(
        ["bash", "-c", script],
        env={"PATH": "/usr/bin:/bin", "EXTENSIONS_DIR": str(dest), "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_extension_script_fetches_pinned_archives_and_commits(tmp_path, render):
    """Run the rendered init script for real: a tar.gz checked against its sha256, a git entry at its commit.

    The role accepts only https URLs, so the script is rendered with https URLs that are then pointed at a
    local HTTP server and a local repository: what runs is the script's own checking.
    """
    if not shutil.which("git") or not shutil.which("wget"):
        pytest.skip("git and wget are needed to run the fetch script")
    serve = tmp_path / "serve"
    serve.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"Redmine::Plugin.register :demo do\nend\n"
        info = tarfile.TarInfo("demo-1.0/init.rb")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    archive = buf.getvalue()
    (serve / "demo-1.0.tar.gz").write_bytes(archive)
    repo = tmp_path / "theme.git"
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "stylesheets").mkdir()
    (repo / "stylesheets" / "application.css").write_text("body {}\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "v1"], check=True)
    pinned = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    # The branch moves on after the review: the pinned commit, not the branch head, must be fetched.
    (repo / "stylesheets" / "application.css").write_text("body { color: red }\n")
    subprocess.run([*git, "commit", "-q", "-am", "v2"], check=True)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=serve))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = "http://127.0.0.1:%d" % server.server_port
        extra = {
            "redmine_db_external": True,
            "redmine_db_host": "db",
            "redmine_db_password_secret": "s",
            "redmine_plugins": [
                {
                    "name": "demo",
                    "url": "https://plugins.example.org/demo-1.0.tar.gz",
                    "sha256": hashlib.sha256(archive).hexdigest(),
                }
            ],
            "redmine_themes": [{"name": "plain", "git": "https://git.example.org/theme.git", "version": pinned}],
        }

        def script(render_dir):
            text = _script(render(PLAYBOOK, extra_vars=extra, render_dir=tmp_path / render_dir))
            return text.replace("https://plugins.example.org", base).replace(
                "https://git.example.org/theme.git", "file://%s" % repo
            )

        dest = tmp_path / "ext"
        done = _run_script(script("good"), dest, tmp_path)
        assert done.returncode == 0, done.stderr
        assert (dest / "plugins" / "demo" / "init.rb").read_bytes().startswith(b"Redmine::Plugin")
        assert (dest / "themes" / "plain" / "stylesheets" / "application.css").read_text() == "body {}\n"
        assert not (dest / "themes" / "plain" / ".git").exists()

        # A commit the repository does not have stops the pod from starting.
        extra["redmine_themes"][0]["version"] = "0" * 40
        done = _run_script(script("bad-commit"), tmp_path / "ext1", tmp_path)
        assert done.returncode != 0
        assert "themes plain: file://%s has no commit %s" % (repo, "0" * 40) in done.stderr
        assert not (tmp_path / "ext1" / "themes" / "plain").exists()
        extra["redmine_themes"][0]["version"] = pinned

        # A wrong checksum stops the pod from starting with a half-fetched plugin.
        extra["redmine_plugins"][0]["sha256"] = "0" * 64
        done = _run_script(script("bad-sha"), tmp_path / "ext2", tmp_path)
        assert done.returncode != 0
        assert "not the pinned " + "0" * 64 in done.stderr
        assert not (tmp_path / "ext2" / "plugins" / "demo").exists()
    finally:
        server.shutdown()


@pytest.mark.slow
def test_no_plugins_means_no_init_container(render):
    out = render(EXTERNAL, extra_vars={"redmine_plugins": [], "redmine_themes": []})
    pod = out.get("Deployment", "redmine", namespace=NS)["spec"]["template"]["spec"]
    assert "initContainers" not in pod
    assert out.find("ConfigMap", "redmine-extensions", namespace=NS) is None
    assert "REDMINE_PLUGINS_MIGRATE" not in _env(pod["containers"][0])


@pytest.mark.slow
def test_rerender_changes_nothing(tmp_path):
    first = harness.run_playbook(EXTERNAL, tmp_path)
    assert first.returncode == 0, first.stdout[-3000:]
    again = harness.run_playbook(EXTERNAL, tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]
    assert harness.changed_count(again.stdout) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"redmine_image_tag": "latest"}, "redmine_image_tag (latest) must be a pinned tag other than latest"),
        ({"redmine_image_tag": ""}, "redmine_image_tag () must be a pinned tag other than latest"),
        (
            {"redmine_image": "docker.io/library/redmine:6.0.11"},
            "redmine_image (docker.io/library/redmine:6.0.11) must name the image repository only, without tag or"
            " digest: the tag goes in redmine_image_tag.",
        ),
        (
            {"redmine_extensions_image_tag": "latest"},
            "redmine_extensions_image_tag (latest) must be a pinned tag other than latest",
        ),
        ({"redmine_hostname": ""}, "redmine_hostname must be set"),
        ({"redmine_hostname": "Redmine.Example"}, "redmine_hostname (Redmine.Example) must be a host name"),
        ({"redmine_namespace": "Redmine_NS"}, "redmine_namespace (Redmine_NS) must be a DNS label"),
        ({"redmine_name": "1redmine"}, "redmine_name (1redmine) must be a DNS label starting with a letter"),
        ({"redmine_files_backup_retention": 0}, "redmine_files_backup_retention (0) must be at least 1."),
        (
            {"redmine_db_password_secret": ""},
            "set redmine_db_host and redmine_db_password_secret (the name of a Secret in namespace redmine whose key "
            "password holds the password); missing: redmine_db_password_secret.",
        ),
        ({"redmine_plugins": [{"name": "x"}]}, "redmine_plugins[0] (x: give url or git)"),
        (
            {"redmine_plugins": [{"name": "x", "url": "https://e/x.zip", "sha256": "a" * 64}]},
            "redmine_plugins[0] (x: url must be an https tar archive): got https://e/x.zip",
        ),
        (
            {"redmine_plugins": [{"name": "x", "url": "http://e/x.tgz", "sha256": "a" * 64}]},
            "redmine_plugins[0] (x: url must be an https tar archive): got http://e/x.tgz",
        ),
        (
            {"redmine_plugins": [{"name": "x", "url": "https://e/x.tgz"}]},
            "redmine_plugins[0] (x: sha256 must be the 64 lowercase hex digits sha256sum prints for the archive): "
            "got nothing.",
        ),
        (
            {"redmine_themes": [{"name": "t", "git": "git://e/t.git", "version": "a" * 40}]},
            "redmine_themes[0] (t: git must be an https repository URL): got git://e/t.git.",
        ),
        (
            {"redmine_plugins": [{"name": "x", "git": "https://e/x.git", "version": "main"}]},
            "redmine_plugins[0] (x: version must be a full 40-hex commit id): got main; a branch or tag can move",
        ),
        (
            {"redmine_plugins": [{"name": "x", "git": "https://e/x.git"}]},
            "redmine_plugins[0] (x: version must be a full 40-hex commit id): got nothing",
        ),
        ({"redmine_plugins": [{"name": "x", "git": "g", "url": "https://e/x.tgz"}]}, "give url or git"),
        (
            {"redmine_themes": [{"name": "a", "git": "g"}, {"name": "a", "git": "h"}]},
            "redmine_themes[1] (duplicate name a): the names of redmine_themes must be unique.",
        ),
        ({"redmine_plugins": [{"name": "../x", "git": "g"}]}, "redmine_plugins[0] (name)"),
        (
            {"redmine_plugins": [{"name": "x", "url": "https://e/x.tgz", "sha256": "abc"}]},
            "redmine_plugins[0] (x: sha256 must be the 64 lowercase hex digits sha256sum prints for the archive): "
            "got abc.",
        ),
        ({"redmine_db_ssl_mode": "sometimes"}, "redmine_db_ssl_mode"),
        ({"redmine_files_size": "lots"}, "redmine_files_size (lots) must be a Kubernetes quantity such as 20Gi"),
    ],
)
def test_bad_settings_are_refused(render_fail, extra, message):
    output = render_fail(EXTERNAL, extra_vars=extra)
    assert message in output
    assert "Write the files of changed objects" not in output


def test_every_bad_setting_is_reported_in_one_failure(render_fail):
    extra = {
        "redmine_image_tag": "latest",
        "redmine_hostname": "",
        "redmine_plugins": [{"name": "x"}, {"name": "y", "url": "https://e/y.zip"}],
    }
    output = render_fail(EXTERNAL, extra_vars=extra)
    (failure,) = [line for line in output.splitlines() if line.startswith("[ERROR]: ")]
    assert "Invalid Redmine settings: " in failure, output[-3000:]
    assert "redmine_image_tag (latest) must be a pinned tag" in failure
    assert "redmine_hostname must be set" in failure
    assert "redmine_plugins[0] (x: give url or git)" in failure
    assert "redmine_plugins[1] (y: url must be an https tar archive)" in failure
    assert "Write the files of changed objects" not in output
