# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.node imports an image archive only when containerd lacks one of its images at the same digest.

The role's images.yml runs for real on this machine (connection local), one inventory host per case,
with its archive directory under a temporary directory and a stand-in `ctr` first on the PATH: it
prints the case's image list for `ctr images ls` and records every call.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tarfile

import pytest
from node_helpers import fake_command, run_play

# The archive directory is created as root's, as on a node.
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the role creates the archive directory owned by root")

PAUSE = "registry.k8s.io/pause:3.10.2@sha256:" + "a" * 64
ETCD = "registry.k8s.io/etcd:3.7.0-0@sha256:" + "b" * 64
COREDNS = "registry.k8s.io/coredns/coredns:v1.13.1@sha256:" + "d" * 64
ARCHIVES = {"pause.tar": [PAUSE], "etcd.tar": [ETCD], "pair.tar": [COREDNS, PAUSE]}
# Case -> (images containerd lists, archives the role must import).
CASES = {
    "all-present": ([ETCD, "docker.io/library/other:1@sha256:" + "0" * 64, COREDNS, PAUSE], []),
    "pause-other-digest": ([ETCD, COREDNS, PAUSE.replace("a" * 64, "c" * 64)], ["pair.tar", "pause.tar"]),
    "coredns-absent": ([PAUSE, ETCD], ["pair.tar"]),
    "containerd-empty": ([], ["etcd.tar", "pair.tar", "pause.tar"]),
}
SOCKET = "/run/containerd/containerd.sock"

# Records its arguments; `images ls` prints the case's list in ctr's columns.
CTR = """echo "$*" >> "$NODE_TEST_CTR_LOG"
case "$*" in
  *" images ls") cat "$NODE_TEST_CTR_LISTING" ;;
  *" images import "*) ;;
  *) exit 1 ;;
esac
"""


def write_image_archive(path, images):
    """An archive with just the OCI index.json the role reads, as make k8s-artifacts writes it."""
    manifests = []
    for image in images:
        name, digest = image.split("@")
        manifests.append({"digest": digest, "annotations": {"io.containerd.image.name": name}})
    data = json.dumps({"schemaVersion": 2, "manifests": manifests}).encode()
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def ctr_listing(images):
    lines = ["REF TYPE DIGEST SIZE PLATFORMS LABELS"]
    for image in images:
        name, digest = image.split("@")
        lines.append(f"{name} application/vnd.oci.image.index.v1+json {digest} 1.0 MiB linux/amd64 -")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    """Case name -> (ctr calls, the host's archive directory)."""
    tmp = tmp_path_factory.mktemp("node-images")
    archives = tmp / "archives"
    archives.mkdir()
    for name, images in ARCHIVES.items():
        write_image_archive(archives / name, images)
    hosts = {}
    for name, (listed, _imported) in CASES.items():
        (tmp / name).mkdir()
        (tmp / name / "listing").write_text(ctr_listing(listed))
        hosts[name] = {"node_image_archives_dir": str(archives), "node_image_archives_dest": str(tmp / name / "dest")}
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": hosts,
        }
    }
    play = [
        {
            "name": "Import the images",
            "hosts": "all",
            "gather_facts": False,
            "environment": {
                "NODE_TEST_CTR_LOG": f"{tmp}/{{{{ inventory_hostname }}}}/ctr.log",
                "NODE_TEST_CTR_LISTING": f"{tmp}/{{{{ inventory_hostname }}}}/listing",
            },
            "tasks": [
                {
                    "name": "Run the image tasks of ome.k8s.node",
                    "ansible.builtin.include_role": {"name": "ome.k8s.node", "tasks_from": "images"},
                }
            ],
        }
    ]
    fake_command(tmp / "bin", "ctr", CTR)
    run, report = run_play(tmp, inventory, play, path_prefix=tmp / "bin")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    return {name: ((tmp / name / "ctr.log").read_text().splitlines(), tmp / name / "dest") for name in CASES}


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_archives_with_an_image_containerd_lacks_are_imported(outcome, case):
    calls, dest = outcome[case]
    assert calls[0] == f"--address {SOCKET} --namespace k8s.io images ls"
    imports = [call.split(" images import ", 1) for call in calls[1:]]
    assert [prefix for prefix, _archive in imports] == [f"--address {SOCKET} --namespace k8s.io"] * len(imports)
    assert sorted(os.path.basename(archive) for _prefix, archive in imports) == CASES[case][1]
    assert all(os.path.dirname(archive) == str(dest) for _prefix, archive in imports)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_archives_are_removed_once_imported(outcome, case):
    _calls, dest = outcome[case]
    assert dest.is_dir()
    assert oct(dest.stat().st_mode & 0o777) == "0o700"
    assert list(dest.iterdir()) == []
