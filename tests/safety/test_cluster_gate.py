# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/cluster.yml stops for good when the control plane cannot be built.

The cluster hosts are unreachable (a local port nobody listens on); the kubeconfig the inventory names points
at a recording API stand-in, which must see no request: no add-on and no application reaches any cluster.
"""

from __future__ import annotations

import socket
import sys

import yaml
from runner import run


def unreachable_inventory(tmp_path, kubeconfig):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inventory = {
        "all": {
            "vars": {"ome_k8s_kubeconfig": str(kubeconfig), "ome_k8s_cluster_name": "lochy"},
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
            "children": {
                "k8s_cluster": {
                    "vars": {
                        "ansible_host": "127.0.0.1",
                        "ansible_port": port,
                        "ansible_user": "nobody",
                        "control_plane_kubeconfig_dest": str(kubeconfig),
                    },
                    "children": {
                        "kube_control_plane": {"hosts": {"cp1": {}}},
                        "kube_node": {"hosts": {"worker1": {}}},
                    },
                }
            },
        }
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def run_unreachable(tmp_path, kube_api, playbook):
    """Run ``playbook`` with every cluster host unreachable; the run must fail and the API see no request."""
    api, config = kube_api(tmp_path, cluster_name="lochy")
    out = run(
        playbook,
        tmp_path,
        inventory=unreachable_inventory(tmp_path, config),
        extra_vars={"cluster_addons_manifest_dir": str(tmp_path / "manifests")},
    )
    assert out.rc != 0
    assert api.requests == []
    return out


def test_unreachable_control_plane_ends_the_run(tmp_path, kube_api):
    out = run_unreachable(tmp_path, kube_api, "playbooks/cluster.yml")
    assert "The control plane was not built in this run" in " ".join(out.failures())
    assert not out.ran("Install the CNI, the default StorageClass and the Gateway")
    assert not out.ran("Check that the fetched kubeconfig reaches the cluster this run built")


def test_site_runs_no_application_after_a_failed_cluster(tmp_path, kube_api):
    out = run_unreachable(tmp_path, kube_api, "playbooks/site.yml")
    plays = [play["play"]["name"] for play in out.result["plays"]]
    assert "Install the cluster add-ons from the controller" in plays
    assert not [p for p in plays if p.startswith("Deploy")]


def test_a_limit_without_control_planes_leaves_the_add_ons_alone(tmp_path, kube_api):
    api, config = kube_api(tmp_path, cluster_name="lochy")
    out = run(
        "playbooks/cluster.yml",
        tmp_path,
        inventory=unreachable_inventory(tmp_path, config),
        args=["--limit", "localhost"],
    )
    assert out.rc == 0, out.failures()
    assert not out.ran("Stop unless the control plane was built")
    assert not out.ran("Install the CNI, the default StorageClass and the Gateway")
    assert api.requests == []
