#!/usr/bin/env bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Adds to the build context CONTEXT what Debian 12 cannot give: a Python 3.10 (zeroc-ice 3.6.5 builds on
# nothing newer; Debian 12 ships 3.11) and, as wheels, every package of requirements.txt, zeroc-ice 3.6.5
# included. The Python and the zeroc-ice wheel come from tools/test-servers/omero-venv.sh (run by
# tools/test-deps.sh): its world-readable copy of pyenv's Python 3.10 and its wheel cache. The other wheels
# are fetched (or built from sdists) here, with that Python, once per requirements.txt, and kept in the same
# cache: the image build then installs offline, and needs neither PyPI nor a compiler.
# Usage: bash prepare.sh CONTEXT
# The same file is in omero-web-standalone/ and omero-server-standin/: build.sh gives each image only its
# own directory.
set -euo pipefail
context=${1:?usage: prepare.sh CONTEXT}
python_copy=${OME_K8S_PYTHON_COPY:-/opt/ome-k8s-tests/python3.10}
wheels=${OME_K8S_WHEELS:-/var/cache/ome-k8s/wheels}
hint="run tools/test-servers/omero-venv.sh (or tools/test-deps.sh) first"

[[ -x $python_copy/bin/python3.10 ]] || { echo "prepare: no Python 3.10 copy in $python_copy; $hint" >&2; exit 1; }
compgen -G "$wheels/zeroc_ice-3.6.5-cp310-*.whl" >/dev/null ||
    { echo "prepare: no zeroc-ice 3.6.5 wheel in $wheels; $hint" >&2; exit 1; }

# Left out: what only building C extensions, the GUI or the test suite need, and the site-packages of
# the build host (the image makes its own venv from the bundled pip).
mkdir -p "$context/python3.10" "$context/wheels"
tar -C "$python_copy" -c \
    --exclude='./lib/python3.10/site-packages/*' --exclude='./lib/python3.10/test' \
    --exclude='./lib/python3.10/idlelib' --exclude='./lib/python3.10/tkinter' \
    --exclude='./lib/python3.10/lib-dynload/_tkinter*' --exclude='*.a' . |
    tar -C "$context/python3.10" -x

wheelhouse=$wheels/wheelhouse-$(sha256sum "$context/requirements.txt" | cut -c1-16)
if [[ ! -d $wheelhouse ]]; then
    rm -rf "$wheelhouse.tmp"
    "$python_copy/bin/python3.10" -m pip wheel --quiet --disable-pip-version-check --find-links "$wheels" \
        --wheel-dir "$wheelhouse.tmp" -r "$context/requirements.txt" >&2
    mv "$wheelhouse.tmp" "$wheelhouse"
fi
cp "$wheelhouse"/*.whl "$context/wheels/"
