#!/usr/bin/env python3
"""Write a one-layer OCI image archive (an OCI image layout in a tar) without a registry or daemon,
or (--docker-save) convert the images of an unpacked `docker save` into one such archive.

The layer holds the files given with --add on a minimal root filesystem (/etc/passwd, /etc/group,
/etc/nsswitch.conf, /tmp). Every tar entry has owner root, mtime 0 and a sorted position, so the same
inputs always give the same digests. `ctr -n k8s.io images import` names the image after the
`io.containerd.image.name` annotation of index.json.

Prints one JSON object: the image reference, its manifest digest and the archive's sha256.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile

from manifest import sha256

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# uid/gid 65532 is the "nonroot" user of the distroless images the upstream components use.
BASE_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    "etc/group": "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
    "etc/nsswitch.conf": "hosts: files dns\n",
}
BASE_DIRS = {"etc": 0o755, "home/nonroot": 0o700, "root": 0o700, "tmp": 0o1777, "var/run": 0o755}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"


class ArchiveError(Exception):
    """An input of the image cannot be used."""


def _info(name: str, kind: bytes, mode: int, size: int = 0, *, linkname: str = "", uid: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.linkname = linkname
    info.uid = info.gid = uid
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def build_layer(out, adds: list[tuple[str, str]], symlinks: list[tuple[str, str]], *, with_ca: bool) -> None:
    """Write the layer tar to the binary file object `out`."""
    entries: dict[str, tuple[tarfile.TarInfo, bytes | str | None]] = {}
    for name, mode in BASE_DIRS.items():
        entries[name] = (_info(name, tarfile.DIRTYPE, mode, uid=65532 if name == "home/nonroot" else 0), None)
    for name, text in BASE_FILES.items():
        data = text.encode()
        entries[name] = (_info(name, tarfile.REGTYPE, 0o644, len(data)), data)
    if with_ca and os.path.isfile(CA_BUNDLE):
        adds = [(CA_BUNDLE, CA_BUNDLE), *adds]
    for src, dest in adds:
        name = dest.strip("/")
        if not os.path.isfile(src):
            raise ArchiveError(f"{src} (for {dest}) is not a file")
        mode = 0o755 if os.access(src, os.X_OK) else 0o644
        entries[name] = (_info(name, tarfile.REGTYPE, mode, os.path.getsize(src)), src)
    for dest, target in symlinks:
        name = dest.strip("/")
        entries[name] = (_info(name, tarfile.SYMTYPE, 0o777, linkname=target), None)
    for name in list(entries):
        for parent in _parents(name):
            entries.setdefault(parent, (_info(parent, tarfile.DIRTYPE, 0o755), None))
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(entries):
            info, content = entries[name]
            if isinstance(content, bytes):
                tar.addfile(info, io.BytesIO(content))
            elif isinstance(content, str):
                with open(content, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)


def _blob(data: bytes) -> tuple[str, bytes]:
    return hashlib.sha256(data).hexdigest(), data


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def split_ref(ref: str) -> str:
    """Return the tag of a full reference (registry/name:tag), or raise ArchiveError."""
    last = ref.rsplit("/", 1)[-1]
    if "/" not in ref or ":" not in last or "@" in ref:
        raise ArchiveError(f"image reference {ref!r} is not of the form registry/name:tag")
    return last.rsplit(":", 1)[1]


def _write_layout(out_path: str, small: dict[str, bytes], layers: list[tuple[str, object, int]]) -> None:
    """Write an OCI image layout tar: the small files (index.json, configs, manifests) and the layer blobs,
    each (sha256 hex, open binary file, size), every layer once; replaces out_path only when complete."""
    small = {"oci-layout": _canonical({"imageLayoutVersion": "1.0.0"}), **small}
    partial = out_path + ".partial"
    written = set()
    with tarfile.open(partial, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("blobs", "blobs/sha256"):
            tar.addfile(_info(name, tarfile.DIRTYPE, 0o755))
        for name in sorted(small):
            tar.addfile(_info(name, tarfile.REGTYPE, 0o644, len(small[name])), io.BytesIO(small[name]))
        for digest, handle, size in layers:
            if digest not in written:
                tar.addfile(_info(f"blobs/sha256/{digest}", tarfile.REGTYPE, 0o644, size), handle)
                written.add(digest)
    os.replace(partial, out_path)


def _manifest(config_data: bytes, layers: list[dict]) -> tuple[str, bytes]:
    """The sha256 and bytes of the OCI manifest of an image config and its layer descriptors."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": f"sha256:{hashlib.sha256(config_data).hexdigest()}",
            "size": len(config_data),
        },
        "layers": layers,
    }
    return _blob(_canonical(manifest))


def _index(entries: list[dict]) -> bytes:
    entries = sorted(entries, key=lambda entry: entry["annotations"]["io.containerd.image.name"])
    return _canonical(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    )


def _index_entry(ref: str, manifest_sha: str, size: int) -> dict:
    return {
        "mediaType": MANIFEST_TYPE,
        "digest": f"sha256:{manifest_sha}",
        "size": size,
        "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": split_ref(ref)},
    }


def from_docker_save(save_dir: str, out_path: str) -> list[dict]:
    """Write one OCI archive of every tagged image of an unpacked `docker save` (Docker 20.10 writes the
    older layout without index.json, which the node role cannot read); layers shared by several images are
    stored once."""
    with open(os.path.join(save_dir, "manifest.json"), encoding="utf-8") as handle:
        saved = json.load(handle)
    small: dict[str, bytes] = {}
    layers: dict[str, tuple[str, int]] = {}
    entries, results = [], []
    for image in saved:
        refs = image.get("RepoTags") or []
        if not refs:
            raise ArchiveError("an image of the docker save has no tag")
        with open(os.path.join(save_dir, image["Config"]), "rb") as handle:
            config_data = handle.read()
        descriptors = []
        for layer in image["Layers"]:
            path = os.path.join(save_dir, layer)
            if path not in layers:
                layers[path] = (sha256(path), os.path.getsize(path))
            digest, size = layers[path]
            descriptors.append({"mediaType": LAYER_TYPE, "digest": f"sha256:{digest}", "size": size})
        manifest_sha, manifest_data = _manifest(config_data, descriptors)
        small[f"blobs/sha256/{hashlib.sha256(config_data).hexdigest()}"] = config_data
        small[f"blobs/sha256/{manifest_sha}"] = manifest_data
        for ref in refs:
            entries.append(_index_entry(ref, manifest_sha, len(manifest_data)))
            results.append({"ref": ref, "digest": f"sha256:{manifest_sha}"})
    small["index.json"] = _index(entries)
    with contextlib.ExitStack() as stack:
        opened = [(digest, stack.enter_context(open(path, "rb")), size) for path, (digest, size) in layers.items()]
        _write_layout(out_path, small, opened)
    return sorted(results, key=lambda result: result["ref"])


def write_archive(ref: str, out_path: str, config: dict, adds, symlinks, *, with_ca: bool = True) -> dict:
    split_ref(ref)
    out_dir = os.path.dirname(os.path.abspath(out_path))
    with tempfile.NamedTemporaryFile(dir=out_dir, suffix=".layer") as layer:
        build_layer(layer, adds, symlinks, with_ca=with_ca)
        layer.flush()
        layer_sha = sha256(layer.name)
        layer_size = os.path.getsize(layer.name)
        image_config = {
            "architecture": "amd64",
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": {"Env": [f"PATH={PATH}"], "WorkingDir": "/", **config},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_sha}"]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "ome.k8s tools/k8s/image_archive.py"}],
        }
        config_data = _canonical(image_config)
        layer_descriptor = {"mediaType": LAYER_TYPE, "digest": f"sha256:{layer_sha}", "size": layer_size}
        manifest_sha, manifest_data = _manifest(config_data, [layer_descriptor])
        small = {
            "index.json": _index([_index_entry(ref, manifest_sha, len(manifest_data))]),
            f"blobs/sha256/{hashlib.sha256(config_data).hexdigest()}": config_data,
            f"blobs/sha256/{manifest_sha}": manifest_data,
        }
        layer.seek(0)
        _write_layout(out_path, small, [(layer_sha, layer, layer_size)])
    return {"ref": ref, "digest": f"sha256:{manifest_sha}", "sha256": sha256(out_path)}


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not SOURCE=DEST")
    left, right = text.split("=", 1)
    return left, right


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="full image reference, registry/name:tag")
    parser.add_argument("--docker-save", metavar="DIR", help="convert this unpacked `docker save` instead")
    parser.add_argument("--out", required=True, help="archive file to write")
    parser.add_argument("--entrypoint", default="[]", help="JSON list")
    parser.add_argument("--cmd", default="[]", help="JSON list")
    parser.add_argument("--user", default="", help="user[:group] the container runs as")
    parser.add_argument("--add", type=_pair, action="append", default=[], help="SOURCE=DEST file to add")
    parser.add_argument("--symlink", type=_pair, action="append", default=[], help="DEST=TARGET symbolic link")
    args = parser.parse_args(argv)
    if args.docker_save:
        try:
            results = from_docker_save(args.docker_save, args.out)
        except (ArchiveError, OSError, KeyError, json.JSONDecodeError) as err:
            print(f"image_archive.py: {args.docker_save}: {err}", file=sys.stderr)
            return 1
        for result in results:
            print(json.dumps(result, sort_keys=True))
        return 0
    if not args.ref:
        parser.error("--ref is required unless --docker-save is given")
    config = {
        key: value
        for key, value in (
            ("Entrypoint", json.loads(args.entrypoint)),
            ("Cmd", json.loads(args.cmd)),
            ("User", args.user),
        )
        if value
    }
    try:
        result = write_archive(args.ref, args.out, config, args.add, args.symlink)
    except (ArchiveError, OSError) as err:
        print(f"image_archive.py: {args.ref}: {err}", file=sys.stderr)
        return 1
    result["file"] = os.path.basename(args.out)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
