#!/usr/bin/env python3
"""Write or check manifest.json, the list of every artifact of a k8s-artifacts directory.

  manifest.py write DIR PINS.json IMAGES.jsonl   record every file under DIR with its sha256
  manifest.py verify DIR                         fail unless every file listed is there, unchanged,
                                                 and nothing else is

A directory whose manifest does not verify is never used: build.sh stops with the message printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys

MANIFEST = "manifest.json"
DEB = re.compile(r"^(?P<package>[a-z0-9.+-]+)_(?P<version>[^_]+)_(?P<arch>[a-z0-9]+)\.deb$")


class ManifestError(Exception):
    """The directory does not match its manifest."""


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_under(root: str) -> list[str]:
    found = []
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(top, name), root)
            if rel != MANIFEST:
                found.append(rel)
    return found


def describe(root: str, rel: str, pins: dict, images: dict) -> dict:
    entry = {"path": rel, "sha256": sha256(os.path.join(root, rel))}
    name = os.path.basename(rel)
    if rel.startswith("debs/") and (match := DEB.match(name)):
        entry.update(kind="deb", package=match["package"], version=match["version"])
    elif rel.startswith("images/") and name in images:
        image = images[name]
        entry.update(kind="image", image=image["ref"], digest=image["digest"], version=image["ref"].rsplit(":", 1)[1])
    elif rel.startswith("manifests/"):
        entry.update(kind="manifest", version=pins["manifests"][name])
    elif rel.startswith("bin/"):
        entry.update(kind="binary", version=pins["binaries"].get(rel.split("/", 1)[1], pins["kubernetes"]))
    elif rel.startswith("manifests/") and name in pins.get("manifests", {}):
        entry.update(kind="manifest", version=pins["manifests"][name])
    return entry


def write(root: str, pins_path: str, images_path: str) -> None:
    with open(pins_path, encoding="utf-8") as handle:
        pins = json.load(handle)
    images = {}
    with open(images_path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                image = json.loads(line)
                images[image["file"]] = image
    manifest = {
        "kubernetes": pins["kubernetes"],
        "key": pins["key"],
        "go": pins["go"],
        "modules": pins["modules"],
        "build_seconds": pins["build_seconds"],
        "artifacts": [describe(root, rel, pins, images) for rel in files_under(root)],
    }
    with open(os.path.join(root, MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")


def verify(root: str) -> dict:
    path = os.path.join(root, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        listed = {entry["path"]: entry["sha256"] for entry in manifest["artifacts"]}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ManifestError(f"{path} cannot be read: {err}") from err
    present = set(files_under(root))
    problems = [f"{rel} is missing" for rel in sorted(set(listed) - present)]
    problems += [f"{rel} is not in the manifest" for rel in sorted(present - set(listed))]
    problems += [
        f"{rel} has changed" for rel in sorted(present & set(listed)) if sha256(os.path.join(root, rel)) != listed[rel]
    ]
    if problems:
        raise ManifestError(f"{root} does not match its manifest: " + "; ".join(problems))
    return manifest


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 4 and argv[0] == "write":
            write(*argv[1:])
        elif len(argv) == 2 and argv[0] == "verify":
            verify(argv[1])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ManifestError as err:
        print(f"k8s-artifacts: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
