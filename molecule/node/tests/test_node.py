# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Testinfra checks of ome.k8s.node on the Molecule test hosts (run by `molecule verify -s node`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts(
    "k8s_cluster"
)

KUBERNETES_VERSION = "1.35.0"
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10.1"
KUBERNETES_PACKAGES = ("kubelet", "kubeadm", "kubectl")
# What molecule.yml's host_vars give each host.
REPOSITORY_HOST = "ome-k8s-node-debian12"
LOCAL_DEBS_HOST = "ome-k8s-node-debian13"


def _ephemeral(name: str) -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name)


def test_containerd_is_enabled_and_running(host):
    service = host.service("containerd")
    assert service.is_running
    assert service.is_enabled


def test_containerd_runs_with_the_systemd_cgroup_driver_and_pinned_sandbox(host):
    dump = host.check_output("containerd config dump")
    assert re.search(r"^\s*SystemdCgroup = true$", dump, re.MULTILINE)
    assert not re.search(r"^\s*SystemdCgroup = false$", dump, re.MULTILINE)
    assert f'"{SANDBOX_IMAGE}"' in dump


def test_containerd_runs_cni_plugins_from_opt_cni_bin(host):
    # Debian's containerd looks in /usr/lib/cni unless told; kubernetes-cni installs into /opt/cni/bin.
    dump = host.check_output("containerd config dump")
    assert re.search(r'^\s*bin_dir = "/opt/cni/bin"$', dump, re.MULTILINE)


def test_containerd_config_file_matches_its_major_version(host):
    version = host.check_output("containerd --version")
    major = int(re.search(r"(\d+)\.\d+\.\d+", version).group(1))
    config = host.file("/etc/containerd/config.toml")
    assert config.mode == 0o644
    expected = 3 if major >= 2 else 2
    assert re.search(rf"^version = {expected}$", config.content_string, re.MULTILINE)


def test_containerd_cri_plugin_is_loaded(host):
    plugins = host.check_output("ctr plugins ls")
    cri = [line.split() for line in plugins.splitlines() if "io.containerd.grpc.v1" in line and " cri " in line]
    assert cri, plugins
    assert cri[0][-1] == "ok", plugins


def test_crictl_points_at_containerd(host):
    config = host.file("/etc/crictl.yaml")
    assert config.is_file
    text = config.content_string
    assert "runtime-endpoint: unix:///run/containerd/containerd.sock" in text
    assert "image-endpoint: unix:///run/containerd/containerd.sock" in text
    if host.exists("crictl") and host.run("crictl --version").stdout.startswith("crictl version"):
        info = host.run("crictl info")
        assert info.rc == 0, info.stderr
        assert '"RuntimeReady"' in info.stdout


def test_kernel_modules_are_persisted(host):
    modules = host.file("/etc/modules-load.d/ome-k8s.conf")
    assert modules.mode == 0o644
    lines = [line for line in modules.content_string.splitlines() if line and not line.startswith("#")]
    assert lines == ["overlay", "br_netfilter"]


def test_sysctls_are_persisted(host):
    sysctls = host.file("/etc/sysctl.d/90-ome-k8s.conf")
    assert sysctls.mode == 0o644
    lines = [line for line in sysctls.content_string.splitlines() if line and not line.startswith("#")]
    assert sorted(lines) == [
        "net.bridge.bridge-nf-call-ip6tables=1",
        "net.bridge.bridge-nf-call-iptables=1",
        "net.ipv4.ip_forward=1",
    ]


def test_fstab_has_no_active_swap_entry(host):
    fstab = host.file("/etc/fstab").content_string
    active = [line.split() for line in fstab.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert all(fields[2] != "swap" for fields in active), fstab
    # prepare.yml's two swap lines are commented out, its tmpfs line is left alone.
    assert "# /swapfile none swap sw 0 0  # disabled by ome.k8s.node" in fstab
    assert fstab.count("# disabled by ome.k8s.node") == 2
    assert "tmpfs /mnt/scratch tmpfs defaults,noswap 0 0" in [line.strip() for line in fstab.splitlines()]


def test_python_packages_for_collection_modules(host):
    assert host.package("python3-psycopg2").is_installed
    host.check_output("python3 -c 'import psycopg2'")


def test_kubernetes_apt_source_and_keyring(host):
    source = host.file("/etc/apt/sources.list.d/kubernetes.sources")
    keyring = host.file("/etc/apt/keyrings/kubernetes-apt-keyring.asc")
    if host.backend.get_hostname() != REPOSITORY_HOST:
        assert not source.exists
        return
    text = source.content_string
    assert "URIs: https://pkgs.k8s.io/core:/stable:/v1.35/deb/" in text
    assert "Suites: /" in text
    assert "Signed-By: /etc/apt/keyrings/kubernetes-apt-keyring.asc" in text
    assert keyring.mode == 0o644
    assert keyring.content_string == _ephemeral("kubernetes-apt-test-key.asc").read_text()
    # apt itself accepts the keyring: the key's fingerprint is readable with apt's own gpgv format.
    listed = host.run("gpg --show-keys --with-colons /etc/apt/keyrings/kubernetes-apt-keyring.asc")
    assert listed.rc == 0, listed.stderr
    assert "molecule@example.invalid" in listed.stdout


def test_kubernetes_packages_from_local_debs_are_pinned_held_and_enabled(host):
    if host.backend.get_hostname() != LOCAL_DEBS_HOST:
        for name in KUBERNETES_PACKAGES:
            assert not host.package(name).is_installed
        return
    for name in (*KUBERNETES_PACKAGES, "cri-tools"):
        package = host.package(name)
        assert package.is_installed
        assert package.version == f"{KUBERNETES_VERSION}-1.1"
    held = host.check_output("apt-mark showhold").split()
    assert sorted(held) == sorted(KUBERNETES_PACKAGES)
    assert host.service("kubelet").is_enabled


def test_local_debs_are_kept_on_the_host(host):
    dest = host.file("/var/cache/ome-k8s/debs")
    if host.backend.get_hostname() != LOCAL_DEBS_HOST:
        assert not dest.exists
        return
    debs = {path.name: path for path in _ephemeral("debs").glob("*.deb")}
    assert sorted(dest.listdir()) == sorted(debs)
    for name, path in debs.items():
        copy = host.file(f"/var/cache/ome-k8s/debs/{name}")
        assert (copy.user, copy.group, copy.mode) == ("root", "root", 0o644)
        assert copy.sha256sum == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("path", ["/etc/containerd/config.toml", "/etc/crictl.yaml"])
def test_managed_files_are_owned_by_root(host, path):
    assert host.file(path).user == "root"
    assert host.file(path).group == "root"


def _archive_images() -> list[str]:
    """name@digest of each test image archive prepare.yml wrote (from its index.json)."""
    images = []
    for archive in sorted(_ephemeral("images").glob("*.tar")):
        with tarfile.open(archive) as tar:
            index = json.load(tar.extractfile("index.json"))
        images += [
            f"{entry['annotations']['io.containerd.image.name']}@{entry['digest']}" for entry in index["manifests"]
        ]
    return images


def test_the_image_archives_are_imported_into_the_kubelet_namespace_and_removed(host):
    expected = _archive_images()
    assert len(expected) == 2
    listed = host.check_output("ctr --namespace k8s.io images ls")
    present = {f"{fields[0]}@{fields[2]}" for fields in (line.split() for line in listed.splitlines()[1:])}
    assert set(expected) <= present
    assert host.file("/var/cache/ome-k8s/images").is_directory
    assert host.check_output("ls -A /var/cache/ome-k8s/images") == ""
