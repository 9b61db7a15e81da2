#!/usr/bin/env bash
# Create .venv with the pinned toolchain and an ansible.cfg that finds the in-repo collection.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

python=$(tools/find-python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
  echo "setup: creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi

# Reinstall only when requirements.txt changed since the last successful install.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned requirements into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
else
  echo "setup: .venv is up to date with requirements.txt"
fi

# ansible-galaxy and ansible-lint expect a collection under ansible_collections/<namespace>/<name>; the
# repository root is the collection, so point a link there instead of copying.
mkdir -p .ansible/collections/ansible_collections/ome
ln -sfn ../../../.. .ansible/collections/ansible_collections/ome/k8s

cat > ansible.cfg <<CFG
# Written by tools/setup.sh; not committed. Edit tools/setup.sh instead.
[defaults]
collections_path = $top/.ansible/collections
inventory = $top/inventories/lochy
interpreter_python = auto_silent
stdout_callback = ansible.builtin.default
callback_result_format = yaml
retry_files_enabled = false
nocows = true

[ssh_connection]
pipelining = true
CFG
echo "setup: ready; $(.venv/bin/ansible --version | awk 'NR==1')"
