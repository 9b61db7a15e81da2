"""Make `ansible_collections.ome.k8s` importable the way Ansible itself loads it.

`make test` sets ANSIBLE_COLLECTIONS_PATH to the copy installed from the built tarball, so the tests
exercise what users install; without it (a developer running pytest by hand) the in-repo link made by
`make setup` is used.
"""

import os
import pathlib

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

REPO = pathlib.Path(__file__).resolve().parent.parent
COLLECTIONS_PATH = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(REPO / ".ansible" / "collections")
os.environ["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS_PATH

_AnsibleCollectionFinder(paths=COLLECTIONS_PATH.split(os.pathsep))._install()


def pytest_report_header():
    return "ome.k8s collections path: %s" % COLLECTIONS_PATH
