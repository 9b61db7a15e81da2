#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_host_state
short_description: Read in one call the host state that ome.k8s.node compares before each change
version_added: 0.1.0
description:
  - Reads the type, mode, owner and group of files and directories, the SHA-1 checksum of files, the dpkg state of
    packages, the state of systemd units, the output of C(containerd --version) and
    C(containerd config dump), and the text of small files such as C(/proc/swaps).
  - Changes nothing. The role C(ome.k8s.node) runs it once per host and skips a change whose target
    already is in the wanted state; every change is still made by its own module when it is not.
  - What cannot be read is reported as absent or unknown, never as an error, so the caller's
    comparison fails and the change is made by the real module.
author:
  - OME team (@ome)
options:
  paths:
    description:
      - Files and directories to describe, without following a final symbolic link.
    type: list
    elements: path
    default: []
  read:
    description:
      - Text files to return whole (UTF-8). An absent or unreadable file gives V(null).
    type: list
    elements: path
    default: []
  packages:
    description:
      - Package names to ask dpkg about.
    type: list
    elements: str
    default: []
  services:
    description:
      - systemd unit names (without C(.service)) to ask systemd about.
    type: list
    elements: str
    default: []
  containerd:
    description:
      - Run C(containerd --version) and C(containerd config dump) when containerd is installed.
    type: bool
    default: false
  containerd_images:
    description:
      - List the images of containerd's C(k8s.io) namespace (the one the kubelet uses) with C(ctr images ls).
    type: bool
    default: false
    version_added: 0.1.0
notes:
  - Supports check mode; the module never changes the host.
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.package_facts
"""

EXAMPLES = r"""
- name: Read the state of the files and packages the next tasks manage
  ome.k8s.node_host_state:
    paths:
      - /etc/crictl.yaml
      - /etc/containerd
    read:
      - /proc/swaps
    packages:
      - containerd
    services:
      - containerd
    containerd: true
  register: host_state
"""

RETURN = r"""
paths:
  description:
    - Path -> description. C(type) is V(file), V(directory), V(link), V(other) or V(absent); all but
      V(absent) have C(mode) (four octal digits), C(owner) and C(group) (names, or the numeric id
      when the name is unknown).
  returned: always
  type: dict
  sample:
    /etc/crictl.yaml:
      type: file
      mode: "0644"
      owner: root
      group: root
    /etc/containerd:
      type: directory
      mode: "0755"
      owner: root
      group: root
checksums:
  description:
    - Path -> SHA-1 checksum of the content (as M(ansible.builtin.stat) gives it) of each regular
      file of O(paths); V(null) for any other path, or a file that cannot be read.
  returned: always
  type: dict
  sample:
    /etc/crictl.yaml: 7bad2dcb4226f864b935da73d68203d5b4ca2914
    /etc/containerd: null
read:
  description: Path -> text of the file, or V(null) when it is absent or unreadable.
  returned: always
  type: dict
  sample:
    /proc/swaps: "Filename\tType\tSize\tUsed\tPriority\n"
packages:
  description:
    - Package name -> C(status) (dpkg's current status, V(installed) when installed; V(not-installed)
      when dpkg does not know the package), C(selection) (dpkg's wanted state, e.g. V(install) or
      V(hold); V(unknown) when dpkg does not know it) and C(version) (V('') when not installed).
  returned: always
  type: dict
  sample:
    kubelet:
      status: installed
      selection: hold
      version: 1.35.0-1.1
services:
  description:
    - Unit name -> C(load) (V(loaded), V(not-found)...), C(active) (V(active), V(inactive)...) and
      C(enabled) (the unit file state, such as V(enabled) or V(disabled)); V('') for what systemd did not
      say.
  returned: always
  type: dict
  sample:
    containerd:
      load: loaded
      active: active
      enabled: enabled
containerd:
  description:
    - C(version) is the output of C(containerd --version) and C(config_dump) the output of
      C(containerd config dump); V(null) when containerd is not installed, the command failed or
      O(containerd) is false.
    - C(images) lists the images of the C(k8s.io) namespace as C(name@digest); V(null) when
      O(containerd_images) is false or C(ctr) is missing or failed (containerd not running).
  returned: always
  type: dict
  sample:
    version: containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1
    config_dump: "version = 2\n..."
    images:
      - registry.k8s.io/pause:3.10.2@sha256:0c1b8b4a5c4e4f0ad8dc3b3e4f4b1f4ca1c4f0a4a4b4c4d4e4f404142434445
"""
import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

DPKG_FORMAT = "${Package}\t${db:Status-Want}\t${db:Status-Status}\t${Version}\n"
SYSTEMD_PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState")


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def _sha1(path):
    # The checksum ansible.builtin.stat and copy compare, not a signature.
    digest = hashlib.sha1(usedforsecurity=False)
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def describe_path(path):
    """Type, mode, owner and group of path, not following a final link."""
    try:
        info = os.lstat(path)
    except OSError:
        return {"type": "absent"}
    if stat.S_ISREG(info.st_mode):
        kind = "file"
    elif stat.S_ISDIR(info.st_mode):
        kind = "directory"
    elif stat.S_ISLNK(info.st_mode):
        kind = "link"
    else:
        kind = "other"
    described = {
        "type": kind,
        "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "owner": _name(pwd.getpwuid, info.st_uid),
        "group": _name(grp.getgrgid, info.st_gid),
    }
    return described


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def parse_dpkg(names, output):
    """dpkg-query lines -> package states; names dpkg does not know are not installed."""
    packages = {name: {"status": "not-installed", "selection": "unknown", "version": ""} for name in names}
    for line in output.splitlines():
        fields = line.split("\t")
        if len(fields) != 4 or fields[0] not in packages:
            continue
        name, selection, status, version = fields
        packages[name] = {
            "status": status,
            "selection": selection,
            "version": version if status == "installed" else "",
        }
    return packages


def parse_systemctl_show(names, output):
    """`systemctl show` blocks (one per unit, a blank line between) -> unit states, matched by unit Id."""
    services = {name: {"load": "", "active": "", "enabled": ""} for name in names}
    for block in output.split("\n\n"):
        properties = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        name = properties.get("Id", "")
        name = name[: -len(".service")] if name.endswith(".service") else name
        if name in services:
            services[name] = {
                "load": properties.get("LoadState", ""),
                "active": properties.get("ActiveState", ""),
                "enabled": properties.get("UnitFileState", ""),
            }
    return services


def parse_ctr_images(output):
    """`ctr images ls` table -> name@digest per image (the columns are REF, TYPE, DIGEST, ...)."""
    images = []
    for line in output.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 3 and fields[2].startswith("sha256:"):
            images.append("%s@%s" % (fields[0], fields[2]))
    return images


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "default": []},
            "read": {"type": "list", "elements": "path", "default": []},
            "packages": {"type": "list", "elements": "str", "default": []},
            "services": {"type": "list", "elements": "str", "default": []},
            "containerd": {"type": "bool", "default": False},
            "containerd_images": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    environ = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}
    result = {
        "changed": False,
        "paths": {path: describe_path(path) for path in params["paths"]},
        "checksums": {},
        "read": {path: read_text(path) for path in params["read"]},
        "packages": {},
        "services": {},
        "containerd": {"version": None, "config_dump": None, "images": None},
    }

    for path, described in result["paths"].items():
        result["checksums"][path] = _sha1(path) if described["type"] == "file" else None

    names = list(dict.fromkeys(params["packages"]))
    if names:
        dpkg_query = module.get_bin_path("dpkg-query")
        output = ""
        if dpkg_query:
            # rc 1 when some name is unknown; the known ones are printed all the same.
            argv = [dpkg_query, "--show", "--showformat", DPKG_FORMAT, *names]
            output = module.run_command(argv, environ_update=environ)[1]
        result["packages"] = parse_dpkg(names, output)

    units = list(dict.fromkeys(params["services"]))
    if units:
        systemctl = module.get_bin_path("systemctl")
        output = ""
        if systemctl:
            argv = [systemctl, "show", "--property", ",".join(SYSTEMD_PROPERTIES), "--"]
            rc, output = module.run_command(argv + ["%s.service" % unit for unit in units], environ_update=environ)[:2]
            output = output if rc == 0 else ""
        result["services"] = parse_systemctl_show(units, output)

    if params["containerd"]:
        containerd = module.get_bin_path("containerd")
        if containerd:
            rc, output = module.run_command([containerd, "--version"], environ_update=environ)[:2]
            result["containerd"]["version"] = output if rc == 0 else None
            rc, output = module.run_command([containerd, "config", "dump"], environ_update=environ)[:2]
            result["containerd"]["config_dump"] = output if rc == 0 else None

    if params["containerd_images"]:
        ctr = module.get_bin_path("ctr")
        if ctr:
            rc, output = module.run_command([ctr, "--namespace", "k8s.io", "images", "ls"], environ_update=environ)[:2]
            result["containerd"]["images"] = parse_ctr_images(output) if rc == 0 else None

    module.exit_json(**result)


if __name__ == "__main__":
    main()
