# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.node rejects bad settings with a clear message before it changes anything.

One ansible-playbook run checks every case: each case is a host of a local inventory (connection
local, facts of the host under test set by the play), running the role's argument spec and its
`validate` entry. Nothing here can change the machine.
"""

from __future__ import annotations

import json
import pathlib
import sys

import pytest
import yaml
from node_helpers import role_root, run_play

DEBIAN_12 = {
    "distribution": "Debian",
    "distribution_version": "12.8",
    "distribution_major_version": "12",
    "architecture": "x86_64",
}
ARMORED_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0test\n-----END PGP PUBLIC KEY BLOCK-----\n"


def make_cases(tmp: pathlib.Path) -> dict[str, tuple[dict, dict]]:
    """Case name -> (role variables, facts overriding DEBIAN_12). Files the cases name are made here."""
    partial, complete = tmp / "partial-debs", tmp / "complete-debs"
    for directory, names in ((partial, ("kubelet", "kubectl")), (complete, ("kubelet", "kubeadm", "kubectl"))):
        directory.mkdir()
        for name in names:
            (directory / f"{name}_1.35.0-1.1_amd64.deb").write_bytes(b"")
    (partial / "kubeadm_1.34.3-1.1_amd64.deb").write_bytes(b"")  # another version does not count
    (tmp / "binary.gpg").write_bytes(b"\x99\x01binary key")
    (tmp / "armored.asc").write_text(ARMORED_KEY)
    local_debs = {"node_kubernetes_package_source": "local_debs"}

    def release(distribution, version):
        return {
            "distribution": distribution,
            "distribution_version": version,
            "distribution_major_version": version[:2],
        }

    return {
        "good-defaults": ({}, {}),
        "good-1.37.2": ({"node_kubernetes_version": "1.37.2"}, {}),
        "good-debian-13": ({}, {"distribution_version": "13.1", "distribution_major_version": "13"}),
        "good-ubuntu-24.04": ({}, release("Ubuntu", "24.04")),
        "good-ubuntu-22.04": ({}, release("Ubuntu", "22.04")),
        "good-local-debs": (dict(local_debs, node_kubernetes_local_debs_dir=str(complete)), {}),
        "good-key-file": ({"node_kubernetes_apt_key_file": str(tmp / "armored.asc")}, {}),
        "good-package-source-none": ({"node_kubernetes_package_source": "none"}, {}),
        "good-fingerprint-spaced": (
            {"node_kubernetes_apt_key_fingerprint": "de15 b144 86cd 377b 9e87 6e1a 2346 54da 9a29 6436"},
            {},
        ),
        "good-local-debs-no-fingerprint": (
            dict(local_debs, node_kubernetes_local_debs_dir=str(complete), node_kubernetes_apt_key_fingerprint=""),
            {},
        ),
        "fingerprint-empty": ({"node_kubernetes_apt_key_fingerprint": ""}, {}),
        "fingerprint-key-id": ({"node_kubernetes_apt_key_fingerprint": "234654DA9A296436"}, {}),
        "fedora-40": ({}, release("Fedora", "40")),
        "debian-11": ({}, {"distribution_version": "11.11", "distribution_major_version": "11"}),
        "ubuntu-20.04": ({}, release("Ubuntu", "20.04")),
        "unknown-arch": ({}, {"architecture": "mips"}),
        "version-v-prefix": ({"node_kubernetes_version": "v1.35.0"}, {}),
        "version-minor-only": ({"node_kubernetes_version": "1.35"}, {}),
        "version-with-revision": ({"node_kubernetes_version": "1.35.0-1.1"}, {}),
        "version-latest": ({"node_kubernetes_version": "latest"}, {}),
        "local-debs-without-dir": (local_debs, {}),
        "local-debs-dir-absent": (dict(local_debs, node_kubernetes_local_debs_dir=str(tmp / "absent")), {}),
        "local-debs-missing-kubeadm": (dict(local_debs, node_kubernetes_local_debs_dir=str(partial)), {}),
        "key-file-binary": ({"node_kubernetes_apt_key_file": str(tmp / "binary.gpg")}, {}),
        "key-file-absent": ({"node_kubernetes_apt_key_file": str(tmp / "absent.asc")}, {}),
        "keyring-gpg-path": ({"node_kubernetes_apt_keyring": "/etc/apt/keyrings/kubernetes.gpg"}, {}),
        "sandbox-image-unpinned": ({"node_containerd_sandbox_image": "registry.k8s.io/pause"}, {}),
        "module-name-bad": ({"node_kernel_modules": ["overlay", "br_netfilter; rm"]}, {}),
        "sysctl-name-bad": ({"node_sysctls": {"ip_forward": 1}}, {}),
        "good-cni-template": ({"node_containerd_cni_conf_template": "bridge"}, {}),
        "cni-mtu-too-small": ({"node_containerd_cni_conf_template": "bridge", "node_containerd_cni_mtu": 145}, {}),
        "spec-bad-choice": ({"node_kubernetes_package_source": "ftp"}, {}),
        "spec-bad-cni-template": ({"node_containerd_cni_conf_template": "flannel"}, {}),
        "spec-bad-bool": ({"node_apply_kernel_runtime": "perhaps"}, {}),
        "spec-bad-int": ({"node_crictl_timeout": "ten"}, {}),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Case name -> message of the task that failed for it ('' when every check passed)."""
    tmp = tmp_path_factory.mktemp("node-validate")
    cases = make_cases(tmp)
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "hosts": {
                name: dict(node_vars, case_facts=dict(DEBIAN_12, **facts)) for name, (node_vars, facts) in cases.items()
            },
        }
    }
    spec_file = str(role_root() / "meta" / "argument_specs.yml")
    play = [
        {
            "name": "Validate",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Pretend to be the host under test",
                    "ansible.builtin.set_fact": {"ansible_facts": "{{ case_facts }}"},
                },
                {
                    "name": "Check the role's argument spec",
                    "ansible.builtin.validate_argument_spec": {
                        "argument_spec": "{{ (lookup('ansible.builtin.file', '%s') | from_yaml)"
                        ".argument_specs.main.options }}" % spec_file,
                    },
                },
                {
                    "name": "Run the checks of ome.k8s.node",
                    "ansible.builtin.include_role": {"name": "ome.k8s.node", "tasks_from": "validate"},
                },
            ],
        }
    ]
    run, report = run_play(tmp, inventory, play, "--check")
    assert sorted(report["stats"]) == sorted(cases), run.stderr
    failed = {name: "" for name in cases}
    for task in report["plays"][0]["tasks"]:
        for host, result in task["hosts"].items():
            if result.get("failed"):
                failed[host] = " ".join(str(result.get("msg", "")).split()) or json.dumps(result)
    return failed


@pytest.mark.parametrize(
    "case",
    [
        "good-defaults",
        "good-1.37.2",
        "good-debian-13",
        "good-ubuntu-24.04",
        "good-ubuntu-22.04",
        "good-local-debs",
        "good-key-file",
        "good-package-source-none",
        "good-fingerprint-spaced",
        "good-local-debs-no-fingerprint",
        "good-cni-template",
    ],
)
def test_good_settings_pass(results, case):
    assert results[case] == ""


@pytest.mark.parametrize(
    ("case", "shown"),
    [("fedora-40", "Fedora 40"), ("debian-11", "Debian 11.11"), ("ubuntu-20.04", "Ubuntu 20.04")],
)
def test_unsupported_distribution_is_named(results, case, shown):
    assert "ome.k8s.node supports Debian 12/13 and Ubuntu 22.04/24.04" in results[case]
    assert f"{case} runs {shown}" in results[case]


def test_unknown_architecture(results):
    assert "does not know the Debian package architecture of mips" in results["unknown-arch"]


@pytest.mark.parametrize(
    ("case", "version"),
    [
        ("version-v-prefix", "v1.35.0"),
        ("version-minor-only", "1.35"),
        ("version-with-revision", "1.35.0-1.1"),
        ("version-latest", "latest"),
    ],
)
def test_malformed_kubernetes_version(results, case, version):
    assert "node_kubernetes_version must be an exact version X.Y.Z" in results[case]
    assert f"got '{version}'" in results[case]


@pytest.mark.parametrize("case", ["local-debs-without-dir", "local-debs-dir-absent"])
def test_local_debs_needs_an_existing_directory(results, case):
    assert "node_kubernetes_package_source is local_debs, so node_kubernetes_local_debs_dir must name" in results[case]


def test_local_debs_directory_missing_a_package(results):
    message = results["local-debs-missing-kubeadm"]
    assert "has no file matching kubeadm_1.35.0-*_amd64.deb" in message
    assert "kubelet_1.35.0" not in message


@pytest.mark.parametrize("case", ["key-file-binary", "key-file-absent"])
def test_key_file_must_be_an_armored_public_key(results, case):
    assert "node_kubernetes_apt_key_file must name an ASCII-armored public key file" in results[case]


def test_cni_mtu_must_be_an_mtu(results):
    assert "node_containerd_cni_mtu must be between 576 and 9000" in results["cni-mtu-too-small"]
    assert "got 145." in results["cni-mtu-too-small"]


def test_keyring_must_be_an_asc_path(results):
    assert "apt needs an absolute path ending in .asc" in results["keyring-gpg-path"]


@pytest.mark.parametrize("case", ["sandbox-image-unpinned", "module-name-bad", "sysctl-name-bad"])
def test_bad_kernel_or_containerd_settings(results, case):
    assert "node_containerd_sandbox_image a pinned image reference" in results[case]


@pytest.mark.parametrize(
    ("case", "option"),
    [
        ("spec-bad-choice", "node_kubernetes_package_source"),
        ("spec-bad-bool", "node_apply_kernel_runtime"),
        ("spec-bad-int", "node_crictl_timeout"),
        ("spec-bad-cni-template", "node_containerd_cni_conf_template"),
    ],
)
def test_argument_spec_rejects_bad_types_and_choices(results, case, option):
    assert "Validation of arguments failed" in results[case]
    assert option in results[case]


def test_every_default_is_documented_and_every_option_has_a_default():
    defaults = yaml.safe_load((role_root() / "defaults" / "main.yml").read_text())
    spec = yaml.safe_load((role_root() / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)
    for name, option in options.items():
        assert option.get("description"), name
        assert "type" in option, name
        assert "default" in option, name


def test_validation_runs_before_any_change():
    main = yaml.safe_load((role_root() / "tasks" / "main.yml").read_text())
    assert main[0]["ansible.builtin.include_tasks"] == "validate.yml"


@pytest.mark.parametrize("case", ["fingerprint-empty", "fingerprint-key-id"])
def test_repository_source_needs_a_full_key_fingerprint(results, case):
    assert (
        "node_kubernetes_package_source is repository, so node_kubernetes_apt_key_fingerprint must be the full"
        " fingerprint (40 hex digits, spaces allowed) of the key that signs https://pkgs.k8s.io/core:/stable:/v1.35/deb/"
    ) in results[case]
