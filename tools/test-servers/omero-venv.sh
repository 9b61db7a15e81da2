#!/usr/bin/env bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Build the Python 3.10 environment the OMERO tests run in: omero-py, OMERO.web and zeroc-ice 3.6.5
# (whose C++ extension only compiles on Python <= 3.10), plus the plain user OMERO.web runs as (it
# refuses to run as root). Idempotent: a second run with nothing to do takes about a second.
#
#   tools/test-servers/omero-venv.sh          # build or update; prints the venv's python
#   tools/test-servers/omero-venv.sh --check  # exit 0 when ready, 1 when a build is needed
#
# Exit status: 0 ready, 1 failure, 3 no Python 3.10 on this machine.
#
# Environment (all optional):
#   OME_K8S_OMERO_VENV   venv path                        (/opt/ome-k8s-tests/omero-venv)
#   OME_K8S_PYTHON_COPY  world-readable Python 3.10 copy  (/opt/ome-k8s-tests/python3.10)
#   OME_K8S_WHEELS       wheel cache for zeroc-ice        (/var/cache/ome-k8s/wheels)
#   OME_K8S_OMERO_USER   plain user for OMERO.web         (omerotest)
#   OME_K8S_PYTHON310    a Python 3.10 interpreter to use instead of searching for one
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REQUIREMENTS="$ROOT/tests/requirements-omero.txt"
VENV=${OME_K8S_OMERO_VENV:-/opt/ome-k8s-tests/omero-venv}
PYTHON_COPY=${OME_K8S_PYTHON_COPY:-/opt/ome-k8s-tests/python3.10}
WHEELS=${OME_K8S_WHEELS:-/var/cache/ome-k8s/wheels}
TEST_USER=${OME_K8S_OMERO_USER:-omerotest}
ICE_VERSION=3.6.5
STAMP="$VENV/.ome-k8s-requirements.sha256"

log() { printf 'omero-venv: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

requirements_hash() { sha256sum "$REQUIREMENTS" | cut -d' ' -f1; }
ice_wheel() { compgen -G "$WHEELS/zeroc_ice-${ICE_VERSION}-cp310-*.whl" | head -n1; }

is_ready() {
    [[ -x "$VENV/bin/python" ]] &&
        [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(requirements_hash)" ]] &&
        id -u "$TEST_USER" >/dev/null 2>&1 &&
        runuser -u "$TEST_USER" -- "$VENV/bin/python" -c 'import Ice, omero.clients, omeroweb' 2>/dev/null
}

if [[ "${1:-}" == "--check" ]]; then
    is_ready && exit 0 || exit 1
fi

[[ $EUID -eq 0 ]] || die "run as root (it installs Debian packages, creates a user and writes under /opt)"
[[ -f "$REQUIREMENTS" ]] || die "missing $REQUIREMENTS"

if is_ready; then
    echo "$VENV/bin/python"
    exit 0
fi

# shellcheck source=tools/lib/apt.sh
. "$ROOT/tools/lib/apt.sh"

is_python310() {
    [[ -x "$1" ]] && "$1" -c 'import sys, ssl, bz2, sqlite3; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null
}

find_python310() {
    local candidates=()
    [[ -n "${OME_K8S_PYTHON310:-}" ]] && candidates+=("$OME_K8S_PYTHON310")
    candidates+=("$PYTHON_COPY/bin/python3.10")
    if command -v pyenv >/dev/null 2>&1; then
        local pyenv_root
        pyenv_root=$(pyenv root)
        # Newest 3.10.x first.
        while IFS= read -r dir; do candidates+=("$dir/bin/python3.10"); done \
            < <(compgen -G "$pyenv_root/versions/3.10.*" | sort -t. -k3,3nr)
    fi
    local in_path
    in_path=$(command -v python3.10 2>/dev/null || true)
    [[ -n "$in_path" ]] && candidates+=("$in_path")
    candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
    for candidate in "${candidates[@]}"; do
        if is_python310 "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# 1. The plain user OMERO.web runs as.
if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    log "creating user $TEST_USER"
    useradd --system --create-home --home-dir "/var/lib/$TEST_USER" --shell /usr/sbin/nologin "$TEST_USER"
fi

# 2. A Python 3.10 that the plain user can run.
if ! PYTHON=$(find_python310); then
    log "ERROR: no Python 3.10 found (zeroc-ice 3.6.5 does not build on newer Pythons); install one with"
    log "'pyenv install 3.10.13', or set OME_K8S_PYTHON310 to a python3.10 binary"
    exit 3
fi
log "Python 3.10: $PYTHON"
if ! runuser -u "$TEST_USER" -- "$PYTHON" -c 'import ssl' >/dev/null 2>&1; then
    # Typically pyenv's build under /root (mode 700). Copy it somewhere world-readable and point the
    # binary's RUNPATH, which names the old lib directory, at the copy.
    prefix=$("$PYTHON" -c 'import sys; print(sys.base_prefix)')
    log "$TEST_USER cannot run $PYTHON; copying $prefix to $PYTHON_COPY"
    apt_install patchelf
    rm -rf "$PYTHON_COPY.tmp"
    mkdir -p "$(dirname "$PYTHON_COPY")"
    cp -a "$prefix" "$PYTHON_COPY.tmp"
    rm -rf "$PYTHON_COPY.tmp/lib/python3.10/test"
    binary="$PYTHON_COPY.tmp/bin/python3.10"
    if [[ -n "$(patchelf --print-rpath "$binary" 2>/dev/null)" ]]; then
        # A literal $ORIGIN: the dynamic loader expands it to the binary's directory.
        origin_lib="\$ORIGIN/../lib"
        patchelf --set-rpath "$origin_lib" "$binary"
    fi
    rm -rf "$PYTHON_COPY"
    mv "$PYTHON_COPY.tmp" "$PYTHON_COPY"
    chmod -R a+rX "$PYTHON_COPY"
    PYTHON="$PYTHON_COPY/bin/python3.10"
    runuser -u "$TEST_USER" -- "$PYTHON" -c 'import ssl, bz2' ||
        die "the copied Python in $PYTHON_COPY does not run as $TEST_USER"
fi

# 3. The zeroc-ice wheel, built once into the cache (about 8 minutes on 2 cores).
mkdir -p "$WHEELS"
if [[ -z "$(ice_wheel)" ]]; then
    apt_install build-essential libssl-dev libbz2-dev
    builder=$(mktemp -d /tmp/ome-k8s-icebuild.XXXXXX)
    log "building zeroc-ice $ICE_VERSION into $WHEELS (slow; log in $builder/build.log)"
    "$PYTHON" -m venv "$builder/venv"
    "$builder/venv/bin/pip" install -q --disable-pip-version-check wheel setuptools >&2
    "$builder/venv/bin/pip" wheel --no-deps --no-build-isolation --disable-pip-version-check \
        -w "$WHEELS" "zeroc-ice==$ICE_VERSION" >"$builder/build.log" 2>&1 ||
        { tail -n 40 "$builder/build.log" >&2; die "zeroc-ice $ICE_VERSION did not build"; }
    rm -rf "$builder"
fi
[[ -n "$(ice_wheel)" ]] || die "no zeroc-ice $ICE_VERSION wheel for cp310 in $WHEELS"

# 4. The venv itself.
if [[ -x "$VENV/bin/python" ]] && ! is_python310 "$VENV/bin/python"; then
    log "$VENV is not a working Python 3.10 venv; recreating it"
    rm -rf "$VENV"
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
log "installing $(basename "$REQUIREMENTS") into $VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --find-links "$WHEELS" -r "$REQUIREMENTS" >&2
requirements_hash >"$STAMP"
chmod -R a+rX "$(dirname "$VENV")"

is_ready || die "$VENV was built but '$TEST_USER' cannot import Ice, omero and omeroweb with it"
echo "$VENV/bin/python"
