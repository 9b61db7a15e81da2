#!/usr/bin/env bash
# Print the path of a Python >= 3.12 for the controller (ansible-core 2.21 needs it).
# Order: $OME_K8S_PYTHON when set (and then only it), python3.13 and python3.12 on PATH, pyenv's
# installs, python3, and last CPython built from Debian's source package by tools/build-python.sh
# (reused from its cache when a complete build is there, built once otherwise).
set -euo pipefail

ok() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

if [ -n "${OME_K8S_PYTHON:-}" ]; then
  if ok "$OME_K8S_PYTHON"; then
    "$OME_K8S_PYTHON" -c 'import sys; print(sys.executable)'
    exit 0
  fi
  echo "OME_K8S_PYTHON=$OME_K8S_PYTHON is not a Python >= 3.12 with the venv module" >&2
  exit 1
fi

candidates=(python3.13 python3.12)
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
while IFS= read -r v; do
  candidates+=("$pyenv_root/versions/$v/bin/python3")
done < <(find "$pyenv_root/versions" -mindepth 1 -maxdepth 1 -regex '.*/3\.1[2-9]\.[0-9]+' -printf '%f\n' 2>/dev/null | sort -rV)
candidates+=(python3)

for c in "${candidates[@]}"; do
  path=$(command -v "$c" 2>/dev/null) || continue
  # pyenv shims exist for every version but fail for versions not selected: ask the interpreter itself.
  if ok "$path"; then
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done

echo "setup: no Python >= 3.12 on this machine; using CPython built from Debian's source package" >&2
bash "$(dirname "$0")/build-python.sh" | tail -n 1
