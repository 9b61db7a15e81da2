#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection laid out as ansible_collections/ome/k8s, with the
# venv's Python and no containers.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
py="$top/.venv/bin/python"
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test bootstraps pip in its venvs with a script it downloads from a host we cannot reach; it
# uses a cached copy when one exists, so put ours there (tools/ansible-test-get-pip.py says why).
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" \
  "$("$py" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py")
[ -n "$pip_version" ] || { echo "sanity: cannot tell which pip ansible-test bootstraps" >&2; exit 1; }
mkdir -p "$HOME/.ansible/test/cache"
install -m 0644 tools/ansible-test-get-pip.py "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

# Sanity-test exactly what users install: the built tarball, unpacked as ansible_collections/ome/k8s.
# Outside the checkout: inside it, ansible-test would ask the checkout's git and find the copy ignored.
work=$(mktemp -d "${TMPDIR:-/tmp}/ome-k8s-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/ome/k8s"
mkdir -p "$tree"
"$top/.venv/bin/ansible-galaxy" collection build --force --output-path "$work" . >/dev/null
tar -C "$tree" -xzf "$work"/ome-k8s-*.tar.gz
cd "$tree"
# Not a git checkout: ansible-test then tests every file in the copy.
"$top/.venv/bin/ansible-test" sanity --python "$pyver" --local --color no "$@"
