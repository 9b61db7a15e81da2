"""tools/k8s: the image archive writer, the manifest check and the build script's refusals.

The build itself (tens of minutes on two cores) is not run here; the refusals stop before it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

TOOLS = pathlib.Path(__file__).resolve().parents[2] / "tools" / "k8s"


# The scripts import each other as files of one directory, as they run.
sys.path.insert(0, str(TOOLS))
image_archive = importlib.import_module("image_archive")
manifest = importlib.import_module("manifest")


@pytest.fixture
def binary(tmp_path):
    path = tmp_path / "tool"
    path.write_bytes(b"\x7fELF pretend")
    path.chmod(0o755)
    return path


def _write(tmp_path, binary, name="a.tar"):
    return image_archive.write_archive(
        "registry.k8s.io/kube-proxy:v1.37.2",
        str(tmp_path / name),
        {"Entrypoint": ["/usr/local/bin/kube-proxy"]},
        [(str(binary), "/usr/local/bin/kube-proxy")],
        [("/usr/sbin/iptables", "xtables-nft-multi")],
        with_ca=False,
    )


def test_image_archive_is_an_oci_layout_named_for_containerd(tmp_path, binary):
    result = _write(tmp_path, binary)
    with tarfile.open(tmp_path / "a.tar") as tar:
        read = {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}
    index = json.loads(read["index.json"])
    (entry,) = index["manifests"]
    assert entry["annotations"]["io.containerd.image.name"] == "registry.k8s.io/kube-proxy:v1.37.2"
    assert entry["annotations"]["org.opencontainers.image.ref.name"] == "v1.37.2"
    assert entry["digest"] == result["digest"]
    # Every blob is stored under its own digest, and the manifest points at the config and the layer.
    for name, data in read.items():
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == name.rsplit("/", 1)[1]
    image_manifest = json.loads(read["blobs/sha256/" + entry["digest"].split(":")[1]])
    config = json.loads(read["blobs/sha256/" + image_manifest["config"]["digest"].split(":")[1]])
    assert config["config"]["Entrypoint"] == ["/usr/local/bin/kube-proxy"]
    layer_digest = image_manifest["layers"][0]["digest"]
    assert config["rootfs"]["diff_ids"] == [layer_digest]
    with tarfile.open(fileobj=__import__("io").BytesIO(read["blobs/sha256/" + layer_digest.split(":")[1]])) as layer:
        members = {member.name: member for member in layer}
    assert members["usr/local/bin/kube-proxy"].mode == 0o755
    assert members["usr/sbin/iptables"].linkname == "xtables-nft-multi"
    assert members["tmp"].mode == 0o1777
    assert "etc/passwd" in members
    assert {member.mtime for member in members.values()} == {0}
    assert result["sha256"] == hashlib.sha256((tmp_path / "a.tar").read_bytes()).hexdigest()


def test_image_archive_is_reproducible(tmp_path, binary):
    assert _write(tmp_path, binary, "a.tar")["sha256"] == _write(tmp_path, binary, "b.tar")["sha256"]


def _docker_save(tmp_path):
    """An unpacked `docker save` as Docker 20.10 writes it: two images sharing their base layer."""
    save = tmp_path / "save"
    layers = {"base": b"base layer tar", "redis": b"redis layer tar", "nginx": b"nginx layer tar"}
    for name, data in layers.items():
        (save / name).mkdir(parents=True)
        (save / name / "layer.tar").write_bytes(data)
    images = []
    for name in ("redis", "nginx"):
        config = json.dumps({"config": {"User": "999"}, "rootfs": {"diff_ids": []}, "name": name}).encode()
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        (save / config_name).write_bytes(config)
        images.append(
            {
                "Config": config_name,
                "RepoTags": [f"ome-k8s.local/{name}:1"],
                "Layers": ["base/layer.tar", f"{name}/layer.tar"],
            }
        )
    (save / "manifest.json").write_text(json.dumps(images))
    return save, layers


def test_docker_save_becomes_one_oci_archive_with_shared_layers_stored_once(tmp_path):
    save, layers = _docker_save(tmp_path)
    assert image_archive.main(["--docker-save", str(save), "--out", str(tmp_path / "apps.tar")]) == 0
    with tarfile.open(tmp_path / "apps.tar") as tar:
        names = [member.name for member in tar]
        read = {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}
    base_blob = "blobs/sha256/" + hashlib.sha256(layers["base"]).hexdigest()
    assert names.count(base_blob) == 1
    index = json.loads(read["index.json"])
    by_name = {entry["annotations"]["io.containerd.image.name"]: entry for entry in index["manifests"]}
    assert sorted(by_name) == ["ome-k8s.local/nginx:1", "ome-k8s.local/redis:1"]
    for name, entry in by_name.items():
        manifest_data = read["blobs/sha256/" + entry["digest"].split(":")[1]]
        image_manifest = json.loads(manifest_data)
        assert [layer["digest"].split(":")[1] for layer in image_manifest["layers"]] == [
            hashlib.sha256(layers["base"]).hexdigest(),
            hashlib.sha256(layers[name.split("/")[1].split(":")[0]]).hexdigest(),
        ]
        config = json.loads(read["blobs/sha256/" + image_manifest["config"]["digest"].split(":")[1]])
        assert config["config"]["User"] == "999"


def test_docker_save_without_a_tag_is_refused(tmp_path, capsys):
    save, _layers = _docker_save(tmp_path)
    images = json.loads((save / "manifest.json").read_text())
    images[0]["RepoTags"] = None
    (save / "manifest.json").write_text(json.dumps(images))
    assert image_archive.main(["--docker-save", str(save), "--out", str(tmp_path / "apps.tar")]) == 1
    assert "has no tag" in capsys.readouterr().err
    assert not (tmp_path / "apps.tar").exists()


@pytest.mark.parametrize("ref", ["pause", "pause:3.10", "registry.k8s.io/pause", "registry.k8s.io/pause@sha256:00"])
def test_image_archive_refuses_a_reference_without_registry_and_tag(tmp_path, binary, ref, capsys):
    assert image_archive.main(["--ref", ref, "--out", str(tmp_path / "x.tar"), "--add", f"{binary}=/x"]) == 1
    assert "is not of the form registry/name:tag" in capsys.readouterr().err
    assert not list(tmp_path.glob("x.tar*"))


def test_image_archive_refuses_a_missing_file(tmp_path, capsys):
    args = ["--ref", "registry.k8s.io/pause:3.10.2", "--out", str(tmp_path / "x.tar"), "--add", "/nonexistent=/pause"]
    assert image_archive.main(args) == 1
    assert "/nonexistent (for /pause) is not a file" in capsys.readouterr().err
    assert not list(tmp_path.glob("x.tar*"))


@pytest.fixture
def artifacts(tmp_path):
    root = tmp_path / "artifacts"
    (root / "bin").mkdir(parents=True)
    (root / "debs").mkdir()
    (root / "bin" / "kubeadm").write_bytes(b"kubeadm")
    (root / "debs" / "kubeadm_1.37.2-1_amd64.deb").write_bytes(b"deb")
    pins = tmp_path / "pins.json"
    pins.write_text(
        json.dumps(
            {"kubernetes": "v1.37.2", "key": "k", "go": "go1.26.8", "build_seconds": 1, "modules": {}, "binaries": {}}
        )
    )
    images = tmp_path / "images.jsonl"
    images.write_text("")
    assert manifest.main(["write", str(root), str(pins), str(images)]) == 0
    return root


def test_manifest_records_an_addon_manifest_with_its_version(tmp_path):
    root = tmp_path / "artifacts"
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "local-path-provisioner-v0.0.33.yaml").write_text("kind: Namespace\n")
    pins = tmp_path / "pins.json"
    pins.write_text(
        json.dumps(
            {
                "kubernetes": "v1.37.2",
                "key": "k",
                "go": "go1.26.8",
                "build_seconds": 1,
                "modules": {},
                "binaries": {},
                "manifests": {"local-path-provisioner-v0.0.33.yaml": "v0.0.33"},
            }
        )
    )
    (tmp_path / "images.jsonl").write_text("")
    assert manifest.main(["write", str(root), str(pins), str(tmp_path / "images.jsonl")]) == 0
    (entry,) = json.loads((root / "manifest.json").read_text())["artifacts"]
    assert entry == {
        "path": "manifests/local-path-provisioner-v0.0.33.yaml",
        "kind": "manifest",
        "version": "v0.0.33",
        "sha256": hashlib.sha256(b"kind: Namespace\n").hexdigest(),
    }


def test_manifest_records_every_artifact_with_version_and_sha256(artifacts):
    data = json.loads((artifacts / "manifest.json").read_text())
    by_path = {entry["path"]: entry for entry in data["artifacts"]}
    assert by_path["bin/kubeadm"] == {
        "path": "bin/kubeadm",
        "kind": "binary",
        "version": "v1.37.2",
        "sha256": hashlib.sha256(b"kubeadm").hexdigest(),
    }
    assert by_path["debs/kubeadm_1.37.2-1_amd64.deb"]["package"] == "kubeadm"
    assert by_path["debs/kubeadm_1.37.2-1_amd64.deb"]["version"] == "1.37.2-1"
    assert manifest.main(["verify", str(artifacts)]) == 0


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: (root / "bin" / "kubeadm").unlink(), "bin/kubeadm is missing"),
        (lambda root: (root / "bin" / "kubeadm").write_bytes(b"half"), "bin/kubeadm has changed"),
        (lambda root: (root / "bin" / "stray").write_bytes(b""), "bin/stray is not in the manifest"),
        (lambda root: (root / "manifest.json").write_text("{"), "manifest.json cannot be read"),
        (lambda root: (root / "manifest.json").unlink(), "manifest.json cannot be read"),
    ],
)
def test_manifest_check_refuses_a_damaged_directory(artifacts, damage, message, capsys):
    damage(artifacts)
    assert manifest.main(["verify", str(artifacts)]) == 1
    assert message in capsys.readouterr().err


needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="the Go toolchain is not installed")


@pytest.fixture
def tools_copy(tmp_path):
    copy = tmp_path / "k8s"
    shutil.copytree(TOOLS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    # build.sh sources the tools' shared apt helper from beside its own directory.
    shutil.copytree(TOOLS.parent / "lib", tmp_path / "lib")
    return copy


def _build(tools_copy, cache, *args):
    env = {**os.environ, "OME_K8S_ARTIFACTS_CACHE": str(cache)}
    return subprocess.run(
        ["bash", str(tools_copy / "build.sh"), *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@needs_go
@pytest.mark.parametrize(
    ("old", "new", "messages"),
    [
        (
            "\tk8s.io/kubernetes v1.37.2 ",
            "\tk8s.io/kubernetes v1.37.99 ",
            ["the pin k8s.io/kubernetes v1.37.99 (tools/k8s/kubernetes/go.mod) does not resolve"],
        ),
        (
            "\tk8s.io/kubelet => k8s.io/kubelet v0.37.2\n",
            "",
            ["must replace exactly the staging modules", "< k8s.io/kubelet"],
        ),
    ],
    ids=["pin-not-served", "staging-replace-missing"],
)
def test_bad_pins_stop_the_build_before_anything_is_written(tools_copy, tmp_path, old, new, messages):
    _stops_before_writing(tools_copy / "kubernetes" / "go.mod", tmp_path, (old, new), messages)


@needs_go
def test_an_unserved_flannel_pin_stops_the_build(tools_copy, tmp_path):
    _stops_before_writing(
        tools_copy / "flannel" / "go.mod",
        tmp_path,
        ("\tgithub.com/flannel-io/flannel v0.28.10 ", "\tgithub.com/flannel-io/flannel v0.28.99 "),
        ["the pin github.com/flannel-io/flannel v0.28.99 (tools/k8s/flannel/go.mod) does not resolve"],
    )


@needs_go
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot download file://{mirror}/pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_amd64.deb"),
        (b"other", "has sha256 %s, not the pinned" % hashlib.sha256(b"other").hexdigest()),
    ],
    ids=["missing", "other-content"],
)
def test_a_busybox_package_other_than_the_pin_stops_the_build_before_compiling(tools_copy, tmp_path, content, message):
    """The helper image's busybox comes from the Debian archive; a missing or changed file is never used."""
    mirror = tmp_path / "mirror"
    pool = mirror / "pool" / "main" / "b" / "busybox"
    pool.mkdir(parents=True)
    if content is not None:
        (pool / "busybox-static_1.35.0-4+deb12u1+b1_amd64.deb").write_bytes(content)
    cache = tmp_path / "cache"
    env = {**os.environ, "OME_K8S_ARTIFACTS_CACHE": str(cache), "DEBIAN_MIRROR": f"file://{mirror}"}
    result = subprocess.run(
        ["bash", str(tools_copy / "build.sh")], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 1
    assert message.format(mirror=mirror) in result.stderr
    assert "go build" not in result.stderr
    assert sorted(path.name for path in cache.iterdir()) == [".lock"]


def _stops_before_writing(go_mod, tmp_path, change, messages):
    """Make one change to a copied go.mod; build.sh must stop with the messages and write no cache."""
    old, new = change
    assert old in go_mod.read_text()
    go_mod.write_text(go_mod.read_text().replace(old, new))
    result = _build(go_mod.parent.parent, tmp_path / "cache")
    assert result.returncode == 1
    for message in messages:
        assert message in result.stderr
    assert not (tmp_path / "cache").exists()


@needs_go
def test_a_damaged_cache_directory_is_not_used(tools_copy, tmp_path, artifacts):
    cache = tmp_path / "cache"
    final = pathlib.Path(_build(tools_copy, cache, "--print-dir").stdout.strip())
    assert final.parent == cache
    shutil.copytree(artifacts, final)
    (final / "bin" / "kubeadm").write_bytes(b"half-written")
    result = _build(tools_copy, cache)
    assert result.returncode == 1
    assert "bin/kubeadm has changed" in result.stderr
    assert f"the cached artifacts in {final} are damaged and were not used" in result.stderr
    assert str(final) not in result.stdout


def _pins():
    """Directory -> (module, version) of every component build.sh builds, from its go.mod."""
    script = (TOOLS / "build.sh").read_text()
    table = script.split("declare -A module=(", 1)[1].split(")", 1)[0]
    pins = {}
    for directory, module in re.findall(r"\[([a-z-]+)\]=(\S+)", table):
        go_mod = (TOOLS / directory / "go.mod").read_text()
        (version,) = re.findall(r"^\s*%s (v\S+)" % re.escape(module), go_mod, re.MULTILINE)
        pins[directory] = (module, version)
    return pins


def test_every_pin_is_documented_with_its_version():
    pins = _pins()
    assert pins["flannel"] == ("github.com/flannel-io/flannel", "v0.28.10")
    docs = (TOOLS.parents[1] / "docs" / "k8s-artifacts.md").read_text()
    for directory, (module, version) in pins.items():
        assert f"| `{directory}/` | `{module}` {version} |" in docs


def _checked_refs(script):
    """The image references of the final loop that checks every archive was written."""
    (line,) = [line for line in script.splitlines() if line.startswith('for ref in "${images[@]}" ')]
    return {ref.strip('"') for ref in line.removeprefix("for ref in ").removesuffix("; do").split()}


def test_flannel_is_built_image_written_and_recorded():
    """flanneld: version-stamped, in an image under the upstream name with kube-proxy's iptables, in the pins."""
    script = (TOOLS / "build.sh").read_text()
    assert "-X github.com/flannel-io/flannel/pkg/version.Version=${version[flannel]}" in script
    (line,) = [line for line in script.splitlines() if line.startswith('image "$flannel_ref"')]
    assert '--add "$work/bin/flanneld=/opt/bin/flanneld"' in line
    assert '"${proxy_adds[@]}"' in line
    assert "flannel_ref=ghcr.io/flannel-io/flannel:${version[flannel]}" in script
    assert '"flanneld": "${version[flannel]}"' in script
    assert '"${module[flannel]}": "${version[flannel]}"' in script
    assert "$flannel_ref" in _checked_refs(script)


def test_local_path_provisioner_is_built_images_written_and_recorded():
    """local-path: the provisioner version-stamped under its upstream image name, a busybox helper image, the
    upstream manifest under the file name cluster_addons looks for, all in the pins and the final check."""
    script = (TOOLS / "build.sh").read_text()
    assert _pins()["local-path-provisioner"] == ("github.com/rancher/local-path-provisioner", "v0.0.33")
    assert '"-X main.VERSION=${version[local-path-provisioner]}"' in script
    assert "local_path_ref=docker.io/rancher/local-path-provisioner:${version[local-path-provisioner]}" in script
    assert '--add "$work/bin/local-path-provisioner=/usr/bin/local-path-provisioner"' in script
    assert "busybox_ref=docker.io/library/busybox:$busybox_version" in script
    assert '--symlink "/bin/$applet=busybox"' in script
    assert "local_path_manifest=local-path-provisioner-${version[local-path-provisioner]}.yaml" in script
    assert '"$lpdir/deploy/local-path-storage.yaml" "$work/manifests/$local_path_manifest"' in script
    assert '"${module[local-path-provisioner]}": "${version[local-path-provisioner]}"' in script
    assert {"$local_path_ref", "$busybox_ref"} <= _checked_refs(script)
    assert '"$local_path_manifest": "${version[local-path-provisioner]}"' in script
    # The file name the role reads from cluster_addons_manifest_dir.
    role_vars = (TOOLS.parents[1] / "roles" / "cluster_addons" / "vars" / "main.yml").read_text()
    assert "- file: local-path-provisioner-{{ cluster_addons_local_path_version }}.yaml" in role_vars


def test_traefik_is_built_image_written_and_recorded_with_the_gateway_api_crds():
    """traefik: version-stamped, in an image under Docker Hub's name, its CRDs from the module it is built against."""
    pins = _pins()
    assert pins["traefik"] == ("github.com/traefik/traefik/v3", "v3.6.12")
    go_mod = (TOOLS / "traefik" / "go.mod").read_text()
    assert re.search(r"^\tsigs\.k8s\.io/gateway-api v1\.4\.1 ", go_mod, re.MULTILINE)
    # Traefik's own replaces, which do not reach a module that requires it.
    assert "github.com/gorilla/mux => github.com/containous/mux " in go_mod
    assert "github.com/abbot/go-http-auth => github.com/containous/go-http-auth " in go_mod
    script = (TOOLS / "build.sh").read_text()
    assert "-X $traefik_version.Version=${version[traefik]}" in script
    assert "traefik_ref=docker.io/library/traefik:${version[traefik]}" in script
    (line,) = [line for line in script.splitlines() if line.startswith('image "$traefik_ref"')]
    assert line == 'image "$traefik_ref" --add "$work/bin/traefik=/traefik" --entrypoint \'["/traefik"]\''
    assert '"traefik": "${version[traefik]}"' in script
    assert '"$gateway_api_crds": "$gateway_api_version"' in script
    assert "$traefik_ref" in _checked_refs(script)
    assert "gateway_api_crds=gateway-api-$gateway_api_version-standard-install.yaml" in script
    # The file name the role looks for in cluster_addons_manifest_dir.
    role_vars = (TOOLS.parents[1] / "roles" / "cluster_addons" / "vars" / "main.yml").read_text()
    assert "- file: gateway-api-{{ cluster_addons_gateway_api_version }}-standard-install.yaml" in role_vars


def test_manifest_records_a_manifest_file_with_its_version(tmp_path):
    root = tmp_path / "artifacts"
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "gateway-api-v1.4.1-standard-install.yaml").write_text("---\n")
    pins = tmp_path / "pins.json"
    pins.write_text(
        json.dumps(
            {
                **{"kubernetes": "v1.37.2", "key": "k", "go": "go1.26.8", "build_seconds": 1},
                **{"modules": {}, "binaries": {}, "manifests": {"gateway-api-v1.4.1-standard-install.yaml": "v1.4.1"}},
            }
        )
    )
    images = tmp_path / "images.jsonl"
    images.write_text("")
    assert manifest.main(["write", str(root), str(pins), str(images)]) == 0
    (entry,) = json.loads((root / "manifest.json").read_text())["artifacts"]
    assert entry == {
        "path": "manifests/gateway-api-v1.4.1-standard-install.yaml",
        "kind": "manifest",
        "version": "v1.4.1",
        "sha256": hashlib.sha256(b"---\n").hexdigest(),
    }


def test_victorialogs_store_and_collector_are_built_images_written_and_recorded():
    """cluster_addons_logging: victoria-logs and vlagent from one pinned module, version-stamped and checked, in
    images under the upstream names and paths, which are the role's default images."""
    assert _pins()["victorialogs"] == ("github.com/VictoriaMetrics/VictoriaLogs", "v1.52.2")
    go_mod = (TOOLS / "victorialogs" / "go.mod").read_text()
    assert "\tgithub.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs\n" in go_mod
    assert "\tgithub.com/VictoriaMetrics/VictoriaLogs/app/vlagent\n" in go_mod
    script = (TOOLS / "build.sh").read_text()
    assert '"-X $vl_version=$app-$vl_date-tags-${version[victorialogs]}"' in script
    assert '[[ $got == "$app-$vl_date-tags-${version[victorialogs]}" ]]' in script
    images = {line.split()[1]: line for line in script.splitlines() if line.startswith('image "$v')}
    assert images == {
        '"$victoria_logs_ref"': 'image "$victoria_logs_ref" --add "$work/bin/victoria-logs=/victoria-logs-prod" '
        "--entrypoint '[\"/victoria-logs-prod\"]'",
        '"$vlagent_ref"': 'image "$vlagent_ref" --add "$work/bin/vlagent=/vlagent-prod" '
        "--entrypoint '[\"/vlagent-prod\"]'",
    }
    assert {"$victoria_logs_ref", "$vlagent_ref"} <= _checked_refs(script)
    assert '"victoria-logs": "${version[victorialogs]}", "vlagent": "${version[victorialogs]}"' in script
    # The references the archives are written under are the role's defaults, so the role runs unchanged on nodes
    # that imported them.
    refs = dict(re.findall(r"^(victoria_logs_ref|vlagent_ref)=(\S+)$", script, re.MULTILINE))
    version = _pins()["victorialogs"][1]
    defaults = (TOOLS.parents[1] / "roles" / "cluster_addons" / "defaults" / "main.yml").read_text()
    assert f"cluster_addons_logging_version: {version}\n" in defaults
    for variable, ref in (("store", refs["victoria_logs_ref"]), ("collector", refs["vlagent_ref"])):
        default = ref.replace("${version[victorialogs]}", "{{ cluster_addons_logging_version }}")
        assert f"cluster_addons_logging_{variable}_image: {default}\n" in defaults
