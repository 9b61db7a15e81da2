# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.image_archives on archives written here: names and digests read, bad archives refused."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

ENTRY = {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:" + "a" * 64,
    "size": 399,
    "annotations": {"io.containerd.image.name": "registry.k8s.io/pause:3.10.2"},
}


def archive(path, members):
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def index(*entries):
    return json.dumps({"schemaVersion": 2, "manifests": list(entries)}).encode()


def run(*terms):
    return lookup_loader.get("ome.k8s.image_archives").run(list(terms), variables={})


def test_lists_each_archive_with_its_images(tmp_path):
    etcd = "registry.k8s.io/etcd:3.7.0-0"
    second = dict(ENTRY, digest="sha256:" + "b" * 64, annotations={"io.containerd.image.name": etcd})
    archive(tmp_path / "b.tar", {"oci-layout": b"{}", "index.json": index(ENTRY, second)})
    archive(tmp_path / "a.tar", {"index.json": index(second)})
    (tmp_path / "notes.txt").write_text("not an archive")

    assert run(str(tmp_path)) == [
        {"file": "a.tar", "path": str(tmp_path / "a.tar"), "images": [f"{etcd}@sha256:" + "b" * 64]},
        {
            "file": "b.tar",
            "path": str(tmp_path / "b.tar"),
            "images": [
                "registry.k8s.io/pause:3.10.2@sha256:" + "a" * 64,
                f"{etcd}@sha256:" + "b" * 64,
            ],
        },
    ]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"manifest.json": b"[]"}, "it has no index.json"),
        ({"index.json": b"{"}, "cannot be read as a tar with an index.json"),
        ({"index.json": index()}, "its index.json lists no image"),
        ({"index.json": index(dict(ENTRY, annotations={}))}, "has no io.containerd.image.name annotation"),
    ],
    ids=["docker-save-before-25", "broken-index", "empty-index", "unnamed"],
)
def test_refuses_an_archive_it_cannot_name(tmp_path, members, message):
    archive(tmp_path / "x.tar", members)

    with pytest.raises(AnsibleLookupError, match=message) as raised:
        run(str(tmp_path))
    assert str(tmp_path / "x.tar") in str(raised.value)


def test_refuses_a_missing_directory(tmp_path):
    with pytest.raises(AnsibleLookupError, match="does not exist on the controller"):
        run(str(tmp_path / "absent"))
