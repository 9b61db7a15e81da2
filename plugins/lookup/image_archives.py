# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: image_archives
short_description: List the container images held by the OCI image archives of a directory
version_added: 0.1.0
author:
  - OME team (@ome)
description:
  - For each C(*.tar) file directly in each directory of the terms, reads the C(index.json) of the OCI image
    layout inside it and returns the file with the images it holds, as C(name@digest) strings that compare
    with what C(ctr images ls) lists.
  - An image's name comes from the C(io.containerd.image.name) annotation, the name C(ctr images import)
    gives it. C(docker save) (Docker 25 and later), C(skopeo copy ... oci-archive:) with a full reference and
    C(make k8s-artifacts) write that annotation.
  - Reads only the tar index and one small member of each archive, on the controller.
options:
  _terms:
    description: Directories on the controller.
    required: true
    type: list
    elements: path
seealso:
  - module: ome.k8s.node_host_state
"""

EXAMPLES = r"""
- name: Show the images an air-gapped node would import
  ansible.builtin.debug:
    msg: "{{ query('ome.k8s.image_archives', '/srv/k8s-artifacts/images') }}"
"""

RETURN = r"""
_list:
  description: One entry per archive, sorted by file name.
  type: list
  elements: dict
  contains:
    file:
      description: File name of the archive.
      type: str
    path:
      description: Absolute path of the archive on the controller.
      type: str
    images:
      description: C(name@sha256:...) of every image in the archive.
      type: list
      elements: str
"""

import json
import os
import tarfile

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

NAME_ANNOTATION = "io.containerd.image.name"


def archive_images(path):
    """name@digest of each image in the OCI layout archive at path; raises ValueError when it has none."""
    try:
        with tarfile.open(path) as tar:
            try:
                member = tar.getmember("index.json")
            except KeyError:
                raise ValueError(
                    "it has no index.json (not an OCI image layout; a docker save older than Docker 25?)"
                ) from None
            index = json.load(tar.extractfile(member))
    except (OSError, tarfile.TarError, json.JSONDecodeError) as err:
        raise ValueError(f"it cannot be read as a tar with an index.json: {err}") from err
    images = []
    for entry in index.get("manifests", []):
        name = (entry.get("annotations") or {}).get(NAME_ANNOTATION)
        if not name or not entry.get("digest"):
            raise ValueError(f"an index entry has no {NAME_ANNOTATION} annotation or no digest: {json.dumps(entry)}")
        images.append(f"{name}@{entry['digest']}")
    if not images:
        raise ValueError("its index.json lists no image")
    return images


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        archives = []
        for directory in terms:
            if not os.path.isdir(directory):
                raise AnsibleLookupError(f"image archive directory {directory} does not exist on the controller")
            for name in sorted(os.listdir(directory)):
                path = os.path.abspath(os.path.join(directory, name))
                if not name.endswith(".tar") or not os.path.isfile(path):
                    continue
                try:
                    images = archive_images(path)
                except ValueError as err:
                    raise AnsibleLookupError(f"image archive {path} cannot be used: {err}") from err
                archives.append({"file": name, "path": path, "images": images})
        return archives
