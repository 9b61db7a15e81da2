# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.node's containerd configuration, with and without the CNI configuration template.

The role's containerd.yml runs in check mode with diff against files under a temporary directory, with
a stand-in `containerd` first on the PATH that prints the case's `containerd --version`: what the role
would write is read from the diffs. Check mode changes nothing on the machine.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
import tomllib
from node_helpers import fake_command, run_play

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
            node_containerd_config_file=str(tmp / name / "containerd" / "config.toml"),
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
            "environment": {"NODE_TEST_CONTAINERD_VERSION": "{{ case_version }}"},
            "tasks": [
                {
                    "name": "Run the containerd tasks of ome.k8s.node on an empty host",
                    "ansible.builtin.include_role": {"name": "ome.k8s.node", "tasks_from": "containerd"},
                }
            ],
        }
    ]
    fake_command(tmp / "bin", "containerd", 'echo "$NODE_TEST_CONTAINERD_VERSION"\n')
    run, report = run_play(tmp, inventory, play, "--check", "--diff", path_prefix=tmp / "bin")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    # Host -> {"config": ..., "template": ...}: the content of each file the role would write.
    found = {name: {} for name in CASES}
    for task in report["plays"][0]["tasks"]:
        written_as = WRITES.get(task["task"]["name"].split(" : ", 1)[-1])
        for host, result in task["hosts"].items():
            if written_as and result.get("changed"):
                (diff,) = result["diff"]
                found[host][written_as] = diff["after"]
    return tmp, found


WRITES = {
    "Write the containerd configuration (systemd cgroup driver, pinned sandbox image)": "config",
    "Write the CNI configuration template containerd renders with the node's pod CIDR": "template",
}


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
