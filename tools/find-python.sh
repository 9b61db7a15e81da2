#!/usr/bin/env bash
# Print the path of a Python >= 3.12 for the controller (ansible-core 2.21 needs it), or fail saying
# what to install. Order: python3.13, python3.12 on PATH, then pyenv's installs, then python3.
set -euo pipefail

ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

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

cat >&2 <<'MSG'
No Python >= 3.12 found (tried python3.13, python3.12, pyenv versions 3.12+, python3).
ansible-core 2.21 needs Python 3.12 or newer on the controller. Install one, for example:
  apt-get install python3.13 python3.13-venv      (Debian 13 / Ubuntu 24.04+)
  pyenv install 3.13                              (any distribution)
then run `make setup` again.
MSG
exit 1
