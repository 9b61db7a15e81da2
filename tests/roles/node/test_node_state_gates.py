# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.node skips a change only when ome.k8s.node_host_state found its target exactly as wanted.

One ansible-playbook run on the controller: each case is a host of a local inventory whose host state
(`__node_host`, what ome.k8s.node_host_state returns) is a host where everything is in place, with one
thing changed. The role's summary task lists what it found in place (so left alone), from the same
declarations and comparisons the change tasks loop over; every other change goes through its module.
Nothing here touches the machine.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile

import pytest
from node_helpers import run_play

ROOT_FILE = {"type": "file", "mode": "0644", "owner": "root", "group": "root"}
ROOT_DIR = {"type": "directory", "mode": "0755", "owner": "root", "group": "root"}
LOCAL_DEBS = ("cri-tools", "kubeadm", "kubectl", "kubelet")
DEST = "/var/cache/ome-k8s/debs"

# A host where everything ome.k8s.node manages is in place, built inside the role (so that the
# templates are rendered with the role's variables, as the role compares them).
IN_PLACE = """{{ {
  'paths': dict([
      (node_modules_load_file, root_file), (node_sysctl_file, root_file),
      (node_containerd_config_file | dirname, root_dir), (node_containerd_config_file, root_file),
      (node_crictl_config_file, root_file), (__node_containerd_cni_template_file, root_file),
      (node_kubernetes_apt_keyring | dirname, root_dir), (node_kubernetes_apt_keyring, root_file),
      ('/etc/apt/sources.list.d/kubernetes.sources', root_file), (node_kubernetes_local_debs_dest, root_dir)]
    + (local_debs | map('regex_replace', '^', node_kubernetes_local_debs_dest ~ '/') | product([root_file]) | list)),
  'checksums': {
      node_modules_load_file: lookup('ansible.builtin.template', 'modules-load.conf.j2') | hash('sha1'),
      node_sysctl_file: lookup('ansible.builtin.template', 'sysctl.conf.j2') | hash('sha1'),
      node_containerd_config_file: lookup('ansible.builtin.template', 'containerd-config-v2.toml.j2') | hash('sha1'),
      __node_containerd_cni_template_file:
        lookup('ansible.builtin.template', 'cni-bridge.conflist.tmpl.j2') | hash('sha1'),
      node_crictl_config_file: lookup('ansible.builtin.template', 'crictl.yaml.j2') | hash('sha1'),
      node_kubernetes_apt_keyring: 'f' * 40,
      '/etc/apt/sources.list.d/kubernetes.sources':
        lookup('ansible.builtin.template', 'kubernetes.sources.j2') | hash('sha1')},
  'read': {'/etc/fstab': '# /swapfile none swap sw 0 0\\nUUID=1 / ext4 defaults 0 1\\n',
           '/proc/swaps': 'Filename\\tType\\tSize\\tUsed\\tPriority\\n'},
  'packages': dict(
      (node_base_packages + [node_containerd_package] + node_python_packages + ['gpg'])
      | product([{'status': 'installed', 'selection': 'install', 'version': '1.0-1'}]))
    | combine(dict((node_kubernetes_packages + ['cri-tools'])
                   | product([{'status': 'installed', 'selection': 'hold', 'version': '1.35.0-1.1'}]))),
  'services': {'containerd': {'load': 'loaded', 'active': 'active', 'enabled': 'enabled'},
               'kubelet': {'load': 'loaded', 'active': 'inactive', 'enabled': 'enabled'}},
  'containerd': {'version': 'containerd 1.6.20~ds1 1.6.20~ds1-1+b1', 'config_dump': 'SystemdCgroup = true'},
} }}"""

CRICTL = "/etc/crictl.yaml"
CONFIG = "/etc/containerd/config.toml"
KEYRING = "/etc/apt/keyrings/kubernetes-apt-keyring.asc"
CRI_TOOLS_DEB = f"{DEST}/cri-tools_1.35.0-1.1_amd64.deb"
HOST = ["host packages (installed)", "/etc/fstab (no active swap entry)", "swap (off)"]
FILES = ["/etc/modules-load.d/ome-k8s.conf", "/etc/sysctl.d/90-ome-k8s.conf", CONFIG, CRICTL]
CONTAINERD = "containerd service (running, enabled)"
KUBELET = "kubelet service (enabled)"
HOLD = "dpkg hold of kubelet, kubeadm, kubectl"
APT_INSTALL = "apt install of kubelet, kubeadm, kubectl (installed at 1.35.0)"
DEB_COPIES = f"{DEST}/*.deb"
DEBS_INSTALLED = "install of " + ", ".join(f"{name}_1.35.0-1.1_amd64.deb" for name in LOCAL_DEBS) + " (installed)"
# In the order of the summary: host, declared directories and files, keyring, services, images, packages.
REPOSITORY_IN_PLACE = [
    *HOST,
    "/etc/containerd",
    "/etc/apt/keyrings",
    *FILES,
    "/etc/apt/sources.list.d/kubernetes.sources",
    KEYRING,
    CONTAINERD,
    KUBELET,
    APT_INSTALL,
    HOLD,
]
LOCAL_DEBS_IN_PLACE = [*HOST, "/etc/containerd", DEST, *FILES, CONTAINERD, KUBELET, DEB_COPIES, DEBS_INSTALLED, HOLD]
# Nothing of the Kubernetes packages is managed with node_kubernetes_package_source none.
NONE_IN_PLACE = [*HOST, "/etc/containerd", *FILES, CONTAINERD]

# Case -> (node_kubernetes_package_source, change to the in-place host, what is then no longer left alone).
CASES = {
    "repository-in-place": ("repository", {}, []),
    "local-debs-in-place": ("local_debs", {}, []),
    "none-in-place": ("none", {}, []),
    "crictl-mode": ("repository", {"paths": {CRICTL: {"mode": "0600"}}}, [CRICTL]),
    "crictl-owner": ("repository", {"paths": {CRICTL: {"owner": "nobody"}}}, [CRICTL]),
    "crictl-group": ("repository", {"paths": {CRICTL: {"group": "adm"}}}, [CRICTL]),
    "crictl-content": ("repository", {"checksums": {CRICTL: "0" * 40}}, [CRICTL]),
    "crictl-symlink": ("repository", {"paths": {CRICTL: {"type": "link"}}}, [CRICTL]),
    "crictl-absent": ("repository", {"paths": {CRICTL: {"type": "absent"}}}, [CRICTL]),
    "containerd-dir-mode": ("repository", {"paths": {"/etc/containerd": {"mode": "0700"}}}, ["/etc/containerd"]),
    # containerd 2.x reads configuration version 3: the version 2 file in place is rewritten.
    "containerd-2": ("repository", {"containerd": {"version": "containerd 2.1.4"}}, [CONFIG]),
    "containerd-stopped": (
        "repository",
        {"services": {"containerd": {"active": "inactive"}}},
        ["containerd service (running, enabled)"],
    ),
    "containerd-disabled": (
        "repository",
        {"services": {"containerd": {"enabled": "disabled"}}},
        ["containerd service (running, enabled)"],
    ),
    "package-half-installed": (
        "repository",
        {"packages": {"conntrack": {"status": "half-installed"}}},
        ["host packages (installed)"],
    ),
    "package-absent": (
        "repository",
        {"packages": {"socat": {"status": "not-installed", "version": ""}}},
        ["host packages (installed)"],
    ),
    # gpg reads the repository key's fingerprint before the key is installed.
    "gpg-absent": (
        "repository",
        {"packages": {"gpg": {"status": "not-installed", "version": ""}}},
        ["host packages (installed)"],
    ),
    "fstab-active-swap": (
        "repository",
        {"read": {"/etc/fstab": "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n"}},
        ["/etc/fstab (no active swap entry)"],
    ),
    "fstab-unreadable": ("repository", {"read": {"/etc/fstab": None}}, ["/etc/fstab (no active swap entry)"]),
    "swap-active": (
        "repository",
        {"read": {"/proc/swaps": "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1024 0 -2\n"}},
        ["swap (off)"],
    ),
    "keyring-mode": ("repository", {"paths": {KEYRING: {"mode": "0600"}}}, [KEYRING]),
    "keyring-dir-absent": ("repository", {"paths": {"/etc/apt/keyrings": {"type": "absent"}}}, ["/etc/apt/keyrings"]),
    "source-content": (
        "repository",
        {"checksums": {"/etc/apt/sources.list.d/kubernetes.sources": "0" * 40}},
        ["/etc/apt/sources.list.d/kubernetes.sources"],
    ),
    "sysctl-content": ("repository", {"checksums": {"/etc/sysctl.d/90-ome-k8s.conf": "0" * 40}}, [FILES[1]]),
    "kubeadm-other-version": (
        "repository",
        {"packages": {"kubeadm": {"version": "1.34.3-1.1"}}},
        ["apt install of kubelet, kubeadm, kubectl (installed at 1.35.0)"],
    ),
    "kubeadm-not-held": (
        "repository",
        {"packages": {"kubeadm": {"selection": "install"}}},
        ["dpkg hold of kubelet, kubeadm, kubectl"],
    ),
    "kubelet-disabled": (
        "repository",
        {"services": {"kubelet": {"enabled": "disabled"}}},
        ["kubelet service (enabled)"],
    ),
    "local-debs-dir-owner": ("local_debs", {"paths": {DEST: {"owner": "nobody"}}}, [DEST]),
    "local-deb-absent": ("local_debs", {"paths": {CRI_TOOLS_DEB: {"type": "absent"}}}, [DEB_COPIES]),
    "local-deb-mode": ("local_debs", {"paths": {CRI_TOOLS_DEB: {"mode": "0600"}}}, [DEB_COPIES]),
    "local-deb-other-version": (
        "local_debs",
        {"packages": {"cri-tools": {"version": "1.34.0-1.1"}}},
        [DEB_COPIES, DEBS_INSTALLED],
    ),
}

# Air-gapped hosts (node_image_archives_dir set): the archives' images are in place only when
# containerd has each of them at the archive's digest.
PAUSE = "registry.k8s.io/pause:3.10.2@sha256:" + "a" * 64
ETCD = "registry.k8s.io/etcd:3.7.0-0@sha256:" + "b" * 64
IMAGES_IN_PLACE = "images of {dir} (in containerd at the same digest)"
IMAGE_CASES = {
    "images-in-place": ({"containerd": {"images": [ETCD, "docker.io/other:1@sha256:00", PAUSE]}}, []),
    "image-other-digest": ({"containerd": {"images": [ETCD, PAUSE.replace("a" * 64, "c" * 64)]}}, [IMAGES_IN_PLACE]),
    "image-absent": ({"containerd": {"images": [PAUSE]}}, [IMAGES_IN_PLACE]),
    "images-unknown": ({"containerd": {"images": None}}, [IMAGES_IN_PLACE]),
}
CASES.update({name: ("repository", change, changed) for name, (change, changed) in IMAGE_CASES.items()})

# node_containerd_cni_conf_template: bridge adds the template file next to the configuration.
CNI_TEMPLATE = "/etc/containerd/cni-bridge.conflist.tmpl"
CNI_CASES = {
    "cni-template-in-place": ({}, []),
    "cni-template-content": ({"checksums": {CNI_TEMPLATE: "0" * 40}}, [CNI_TEMPLATE]),
    "cni-template-mode": ({"paths": {CNI_TEMPLATE: {"mode": "0600"}}}, [CNI_TEMPLATE]),
    "cni-template-absent": ({"paths": {CNI_TEMPLATE: {"type": "absent"}}}, [CNI_TEMPLATE]),
}
CASES.update({name: ("repository", change, changed) for name, (change, changed) in CNI_CASES.items()})


def write_image_archive(path, *images):
    manifests = []
    for image in images:
        name, digest = image.split("@")
        manifests.append({"digest": digest, "annotations": {"io.containerd.image.name": name}})
    data = json.dumps({"schemaVersion": 2, "manifests": manifests}).encode()
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def left_alone(tmp_path_factory):
    """Case name -> the role's list of what it found in place."""
    tmp = tmp_path_factory.mktemp("node-gates")
    debs = tmp / "debs"
    debs.mkdir()
    for name in LOCAL_DEBS:
        (debs / f"{name}_1.35.0-1.1_amd64.deb").write_bytes(b"")
    images = tmp / "images"
    images.mkdir()
    write_image_archive(images / "pause.tar", PAUSE)
    write_image_archive(images / "etcd.tar", ETCD)
    hosts = {}
    for name, (source, change, _changed) in CASES.items():
        hosts[name] = {"node_kubernetes_package_source": source, "case_change": change}
        if source == "local_debs":
            hosts[name]["node_kubernetes_local_debs_dir"] = str(debs)
        if name in IMAGE_CASES:
            hosts[name]["node_image_archives_dir"] = str(images)
        if name in CNI_CASES:
            hosts[name]["node_containerd_cni_conf_template"] = "bridge"
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": hosts,
        }
    }
    play = [
        {
            "name": "Summarise",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Run the summary of ome.k8s.node on the host state of the case",
                    "ansible.builtin.include_role": {"name": "ome.k8s.node", "tasks_from": "summary"},
                    "vars": {
                        "root_file": ROOT_FILE,
                        "root_dir": ROOT_DIR,
                        "local_debs": [f"{name}_1.35.0-1.1_amd64.deb" for name in LOCAL_DEBS],
                        "__node_host": "{{ in_place | combine(case_change, recursive=True) }}",
                        "in_place": IN_PLACE,
                    },
                }
            ],
        }
    ]
    run, report = run_play(tmp, inventory, play)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    found = {}
    for task in report["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            if isinstance(result.get("msg"), dict):
                found[host] = result["msg"]["ome.k8s.node found in place, left alone"]
    assert sorted(found) == sorted(CASES), run.stderr
    return found, images


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_what_is_exactly_in_place_is_left_alone(left_alone, case):
    found, images = left_alone
    source, _change, changed = CASES[case]
    expected = {"repository": REPOSITORY_IN_PLACE, "local_debs": LOCAL_DEBS_IN_PLACE, "none": NONE_IN_PLACE}[source]
    if case in IMAGE_CASES:
        expected = [*expected[: expected.index(KUBELET) + 1], IMAGES_IN_PLACE, *expected[expected.index(KUBELET) + 1 :]]
    if case in CNI_CASES:
        expected = [*expected[: expected.index(CONFIG) + 1], CNI_TEMPLATE, *expected[expected.index(CONFIG) + 1 :]]
    expected = [item.format(dir=images) for item in expected if item not in changed]
    assert found[case] == expected
