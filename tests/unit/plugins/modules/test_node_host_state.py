# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ome.k8s.node_host_state on real files and scripted dpkg-query/systemctl/containerd output.

On real hosts: molecule/node (its second converge skips every change because of what this module reads).
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd

import pytest
from ansible.module_utils import basic
from module_harness import Exit, run_main

from ansible_collections.ome.k8s.plugins.modules import node_host_state

DPKG_OUTPUT = (
    "containerd\tinstall\tinstalled\t1.6.20~ds1-1+b1\n"
    "kubelet\thold\tinstalled\t1.35.0-1.1\n"
    "conntrack\tinstall\thalf-installed\t1:1.4.7-1+b2\n"
)
SYSTEMCTL_OUTPUT = (
    "Id=kubelet.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\n"
    "Id=containerd.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n"
)


class Host:
    """Programs the module finds (name -> path or None) and their scripted answers (argv[1:] -> rc, out)."""

    def __init__(self, monkeypatch, programs=None, answers=None):
        self.programs = programs or {}
        self.answers = answers or {}
        self.calls = []
        host = self

        def get_bin_path(module, name, *args, **kwargs):
            return host.programs.get(name)

        def run_command(module, argv, **kwargs):
            host.calls.append((list(argv), kwargs.get("environ_update")))
            for prefix, (rc, out) in host.answers.items():
                if tuple(argv[1 : 1 + len(prefix)]) == prefix:
                    return rc, out, ""
            raise AssertionError("unexpected command %r" % (argv,))

        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)


def run(args):
    outcome, result = run_main(node_host_state, dict(args, _ansible_check_mode=True))
    assert outcome is Exit, result
    assert result["changed"] is False
    return result


def test_paths_describe_files_directories_links_and_absent_paths(tmp_path, monkeypatch):
    Host(monkeypatch)
    (tmp_path / "config.toml").write_bytes(b"version = 2\n")
    (tmp_path / "config.toml").chmod(0o640)
    (tmp_path / "certs.d").mkdir(mode=0o750)
    (tmp_path / "certs.d").chmod(0o750)
    (tmp_path / "link").symlink_to(tmp_path / "config.toml")
    os.mkfifo(tmp_path / "fifo")
    paths = [str(tmp_path / name) for name in ("config.toml", "certs.d", "link", "fifo", "absent")]
    owner = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name

    result = run({"paths": paths})

    described = {os.path.basename(path): value for path, value in result["paths"].items()}
    assert described == {
        "config.toml": {"type": "file", "mode": "0640", "owner": owner, "group": group},
        "certs.d": {"type": "directory", "mode": "0750", "owner": owner, "group": group},
        "link": {"type": "link", "mode": "0777", "owner": owner, "group": group},
        "fifo": {"type": "other", "mode": described["fifo"]["mode"], "owner": owner, "group": group},
        "absent": {"type": "absent"},
    }
    checksums = {os.path.basename(path): value for path, value in result["checksums"].items()}
    assert checksums == {
        "config.toml": hashlib.sha1(b"version = 2\n").hexdigest(),
        "certs.d": None,
        "link": None,
        "fifo": None,
        "absent": None,
    }


def test_unknown_owner_and_group_are_given_by_number(tmp_path, monkeypatch):
    Host(monkeypatch)
    (tmp_path / "file").write_text("x")

    def unknown(number):
        raise KeyError(number)

    monkeypatch.setattr(node_host_state.pwd, "getpwuid", unknown)
    monkeypatch.setattr(node_host_state.grp, "getgrgid", unknown)

    described = run({"paths": [str(tmp_path / "file")]})["paths"][str(tmp_path / "file")]

    assert (described["owner"], described["group"]) == (str(os.getuid()), str(os.getgid()))


def test_read_returns_text_or_null(tmp_path, monkeypatch):
    Host(monkeypatch)
    (tmp_path / "fstab").write_text("/swapfile none swap sw 0 0\n")
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00")

    result = run({"read": [str(tmp_path / name) for name in ("fstab", "binary", "absent")]})

    assert result["read"] == {
        str(tmp_path / "fstab"): "/swapfile none swap sw 0 0\n",
        str(tmp_path / "binary"): None,
        str(tmp_path / "absent"): None,
    }


def test_packages_from_one_dpkg_query_unknown_ones_not_installed(monkeypatch):
    host = Host(monkeypatch, {"dpkg-query": "/usr/bin/dpkg-query"}, {("--show",): (1, DPKG_OUTPUT)})

    result = run({"packages": ["containerd", "kubelet", "conntrack", "kubeadm", "kubelet"]})

    assert result["packages"] == {
        "containerd": {"status": "installed", "selection": "install", "version": "1.6.20~ds1-1+b1"},
        "kubelet": {"status": "installed", "selection": "hold", "version": "1.35.0-1.1"},
        "conntrack": {"status": "half-installed", "selection": "install", "version": ""},
        "kubeadm": {"status": "not-installed", "selection": "unknown", "version": ""},
    }
    assert len(host.calls) == 1
    argv, environ = host.calls[0]
    assert argv[:3] == ["/usr/bin/dpkg-query", "--show", "--showformat"]
    assert argv[4:] == ["containerd", "kubelet", "conntrack", "kubeadm"]
    assert environ["LC_ALL"] == "C"


def test_packages_without_dpkg_are_not_installed(monkeypatch):
    host = Host(monkeypatch)

    result = run({"packages": ["containerd"]})

    assert result["packages"] == {"containerd": {"status": "not-installed", "selection": "unknown", "version": ""}}
    assert host.calls == []


def test_services_are_matched_by_unit_id(monkeypatch):
    host = Host(monkeypatch, {"systemctl": "/usr/bin/systemctl"}, {("show",): (0, SYSTEMCTL_OUTPUT)})

    result = run({"services": ["containerd", "kubelet"]})

    assert result["services"] == {
        "containerd": {"load": "loaded", "active": "active", "enabled": "enabled"},
        "kubelet": {"load": "not-found", "active": "inactive", "enabled": ""},
    }
    assert host.calls[0][0][-2:] == ["containerd.service", "kubelet.service"]


@pytest.mark.parametrize("programs", [{}, {"systemctl": "/usr/bin/systemctl"}])
def test_services_unknown_when_systemd_does_not_answer(monkeypatch, programs):
    Host(monkeypatch, programs, {("show",): (1, "")})

    result = run({"services": ["containerd"]})

    assert result["services"] == {"containerd": {"load": "", "active": "", "enabled": ""}}


def test_containerd_version_and_configuration(monkeypatch):
    host = Host(
        monkeypatch,
        {"containerd": "/usr/bin/containerd"},
        {("--version",): (0, "containerd 1.7.24\n"), ("config", "dump"): (0, "version = 2\nSystemdCgroup = true\n")},
    )

    result = run({"containerd": True})

    assert result["containerd"] == {
        "version": "containerd 1.7.24\n",
        "config_dump": "version = 2\nSystemdCgroup = true\n",
        "images": None,
    }
    assert [argv for argv, dummy in host.calls] == [
        ["/usr/bin/containerd", "--version"],
        ["/usr/bin/containerd", "config", "dump"],
    ]


def test_containerd_failed_dump_is_null(monkeypatch):
    Host(
        monkeypatch,
        {"containerd": "/usr/bin/containerd"},
        {("--version",): (0, "containerd 2.1.4\n"), ("config", "dump"): (1, "")},
    )

    assert run({"containerd": True})["containerd"] == {
        "version": "containerd 2.1.4\n",
        "config_dump": None,
        "images": None,
    }


@pytest.mark.parametrize(
    ("programs", "args"),
    [({}, {"containerd": True}), ({"containerd": "/usr/bin/containerd"}, {})],
    ids=["not-installed", "not-asked"],
)
def test_containerd_not_run(monkeypatch, programs, args):
    host = Host(monkeypatch, programs)

    assert run(args)["containerd"] == {"version": None, "config_dump": None, "images": None}
    assert host.calls == []


CTR_IMAGES = (
    "REF                          TYPE                                       DIGEST    SIZE      PLATFORMS   LABELS\n"
    "registry.k8s.io/pause:3.10.2 application/vnd.oci.image.manifest.v1+json sha256:aa 283.5 KiB linux/amd64 -\n"
    "registry.k8s.io/etcd:3.7.0-0 application/vnd.oci.image.manifest.v1+json sha256:bb 21.0 MiB  linux/amd64 -\n"
)


def test_containerd_images_of_the_kubelet_namespace(monkeypatch):
    host = Host(monkeypatch, {"ctr": "/usr/bin/ctr"}, {("--namespace", "k8s.io", "images", "ls"): (0, CTR_IMAGES)})

    assert run({"containerd_images": True})["containerd"]["images"] == [
        "registry.k8s.io/pause:3.10.2@sha256:aa",
        "registry.k8s.io/etcd:3.7.0-0@sha256:bb",
    ]
    assert [argv for argv, dummy in host.calls] == [["/usr/bin/ctr", "--namespace", "k8s.io", "images", "ls"]]


@pytest.mark.parametrize(
    ("programs", "rc"),
    [({}, 0), ({"ctr": "/usr/bin/ctr"}, 1)],
    ids=["no-ctr", "containerd-down"],
)
def test_containerd_images_unknown_is_null(monkeypatch, programs, rc):
    Host(monkeypatch, programs, {("--namespace", "k8s.io", "images", "ls"): (rc, "")})

    assert run({"containerd_images": True})["containerd"]["images"] is None
