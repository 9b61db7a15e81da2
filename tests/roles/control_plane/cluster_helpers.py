"""Helpers for the cluster tests: tiny inventories in tmp dirs and real ansible-playbook runs."""

import os
import pathlib
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
VENV_BIN = pathlib.Path(sys.executable).parent


def collection_root():
    """The ome.k8s tree Ansible resolves (installed copy under `make test`, else the repo link)."""
    for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        candidate = pathlib.Path(path) / "ansible_collections" / "ome" / "k8s"
        if candidate.is_dir():
            return candidate.resolve()
    return REPO


def local_inventory(control_planes, workers=(), cluster_vars=None, host_vars=None):
    """An inventory whose hosts all run on the controller (no connection, nothing reachable needed)."""
    host_vars = host_vars or {}

    def hosts(names):
        return {name: dict({"ansible_host": address}, **host_vars.get(name, {})) for name, address in names}

    children = {"kube_control_plane": {"hosts": hosts(control_planes)}}
    if workers:
        children["kube_node"] = {"hosts": hosts(workers)}
    return {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {"k8s_cluster": {"children": children, "vars": dict(cluster_vars or {})}},
        }
    }


class Runner:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path

    def write_inventory(self, inventory, name="hosts.yml"):
        path = self.tmp_path / name
        path.write_text(yaml.safe_dump(inventory, sort_keys=False))
        return path

    def playbook(self, playbook, inventory, *args, extra_vars=None, extra_env=None):
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_HOST_KEY_CHECKING": "False",
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_LOCAL_TEMP": str(self.tmp_path / "ansible-tmp"),
                "HOME": str(self.tmp_path / "home"),
            }
        )
        env.update(extra_env or {})
        (self.tmp_path / "home").mkdir(exist_ok=True)
        command = [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
        for key, value in (extra_vars or {}).items():
            command += ["-e", "%s=%s" % (key, value)]
        return subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=600)
