# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.node's containerd configuration, with and without the CNI configuration template.

The role's files.yml (the declared directories and files) runs in check mode with diff for an empty host
(every file under a temporary directory) and the case's `containerd --version`: what it would write is
read from the diffs. Nothing here touches the machine.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
import tomllib
from node_helpers import run_play

CASES = {
    # host -> (containerd --version, role variables)
    "v2-none": ("containerd 1.6.20~ds1 1.6.20~ds1-1+b1", {}),
    "v3-none": ("containerd 2.1.4", {}),
    "v2-bridge": ("containerd 1.6.20~ds1 1.6.20~ds1-1+b1", {"node_containerd_cni_conf_template": "bridge"}),
    "v3-bridge": (
        "containerd 2.1.4",
        {"node_containerd_cni_conf_template": "bridge", "node_containerd_cni_mtu": 1500},
    ),
}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Host -> {destination: content} the role would write."""
    tmp = tmp_path_factory.mktemp("node-cni")
    hosts = {}
    for name, (version, role_vars) in CASES.items():
        hosts[name] = dict(
            role_vars,
            node_kubernetes_package_source="none",
            node_containerd_config_file=str(tmp / name / "containerd" / "config.toml"),
            node_modules_load_file=str(tmp / name / "modules-load.conf"),
            node_sysctl_file=str(tmp / name / "sysctl.conf"),
            node_crictl_config_file=str(tmp / name / "crictl.yaml"),
            case_version=version,
        )
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": hosts,
        }
    }
    play = [
        {
            "name": "Write the containerd configuration",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Write the files of ome.k8s.node on an empty host",
                    "ansible.builtin.include_role": {"name": "ome.k8s.node", "tasks_from": "files"},
                    "vars": {
                        "__node_host": {"paths": {}, "checksums": {}},
                        "__node_containerd_version_out": {"stdout": "{{ case_version }}"},
                    },
                }
            ],
        }
    ]
    run, report = run_play(tmp, inventory, play, "--check", "--diff")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    # Host -> {"config": ..., "template": ...}: the content of each file the role would write.
    found = {name: {} for name in CASES}
    for task in report["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            for item in result.get("results", []):
                written_as = {"config.toml": "config", "cni-bridge.conflist.tmpl": "template"}.get(
                    item["item"]["path"].rsplit("/", 1)[-1]
                )
                if written_as and item.get("changed"):
                    (diff,) = item["diff"]
                    found[host][written_as] = diff["after"]
    return tmp, found


def _config(found, name):
    return tomllib.loads(found[name]["config"])


def _cni_section(config, name):
    if name.startswith("v2"):
        return config["plugins"]["io.containerd.grpc.v1.cri"]["cni"]
    return config["plugins"]["io.containerd.cri.v1.runtime"]["cni"]


@pytest.mark.parametrize("name", ["v2-none", "v3-none"])
def test_without_the_template_containerd_gets_no_conf_template(written, name):
    _tmp, found = written
    assert _cni_section(_config(found, name), name) == {"bin_dir": "/opt/cni/bin"}
    assert sorted(found[name]) == ["config"]


@pytest.mark.parametrize(("name", "mtu"), [("v2-bridge", 1450), ("v3-bridge", 1500)])
def test_bridge_template_is_written_and_named_in_the_cri_cni_section(written, name, mtu):
    tmp, found = written
    template_file = str(tmp / name / "containerd" / "cni-bridge.conflist.tmpl")
    assert _cni_section(_config(found, name), name) == {"bin_dir": "/opt/cni/bin", "conf_template": template_file}
    template = found[name]["template"]
    # containerd renders it with Go's text/template: render the two fields it fills in the same way.
    ranges = re.sub(
        r"\{\{range \$i, \$cidr := \.PodCIDRRanges\}\}\{\{if \$i\}\}, \{\{end\}\}(.*?)\{\{end\}\}",
        lambda m: ", ".join(m.group(1).replace("{{$cidr}}", cidr) for cidr in ("10.244.1.0/24", "fd00:1::/64")),
        template,
    )
    rendered = re.sub(
        r"\{\{range \$i, \$dst := \.Routes\}\}\{\{if \$i\}\}, \{\{end\}\}(.*?)\{\{end\}\}",
        lambda m: ", ".join(m.group(1).replace("{{$dst}}", dst) for dst in ("0.0.0.0/0", "::/0")),
        ranges,
    )
    assert "{{" not in rendered
    conflist = json.loads(rendered)
    bridge, portmap = conflist["plugins"]
    assert bridge == {
        "type": "bridge",
        "bridge": "cni0",
        "isGateway": True,
        "ipMasq": False,
        "hairpinMode": True,
        "mtu": mtu,
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": "10.244.1.0/24"}], [{"subnet": "fd00:1::/64"}]],
            "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
        },
    }
    assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}
