#!/usr/bin/env bash
# Print how long `make setup`'s fallback takes on a machine without Python >= 3.12: the one-time build of
# CPython from Debian's source package (tools/build-python.sh, into an empty temporary cache), then the
# cached re-run, then a second `make setup` of this checkout with that interpreter (venv and requirements in place).
# Needs root or sudo (build dependencies) and Debian's mirror. Takes minutes; prints figures, asserts
# nothing.
set -euo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
cache=$(mktemp -d "${TMPDIR:-/tmp}/ome-k8s-python-bench.XXXXXX")
trap 'rm -rf "$cache"' EXIT

seconds() {
  local start=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'
}

cold=$(OME_K8S_PYTHON_CACHE=$cache seconds bash "$top/tools/build-python.sh")
warm=$(OME_K8S_PYTHON_CACHE=$cache seconds bash "$top/tools/build-python.sh")
python=$(OME_K8S_PYTHON_CACHE=$cache bash "$top/tools/build-python.sh" --check)
setup=$(cd "$top" && OME_K8S_PYTHON=$python seconds make setup)

printf 'cores %s, load %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'build-python, empty cache (one-time build): %8.1f s\n' "$cold"
printf 'build-python, cached build reused:          %8.1f s\n' "$warm"
printf 'make setup, second run:                      %8.1f s\n' "$setup"
