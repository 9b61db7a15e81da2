#!/usr/bin/env bash
# Install what the test suite needs on this machine (Debian 12 or newer, as root): the servers the
# integration tests start themselves, the Docker engine and local images Molecule uses, and the Python
# 3.10 environment for OMERO. Every step is idempotent and quick when already done.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

packages=(
  # integration-test servers, started by the tests on loopback
  postgresql redis-server nginx openssl
  # Molecule test hosts: Docker engine and base images built locally
  docker.io debootstrap gnupg
  # ansible-test sanity's shellcheck test
  shellcheck
  # building zeroc-ice 3.6 for OMERO's Python (tools/test-servers/omero-venv.sh)
  build-essential libssl-dev libbz2-dev
)
# shellcheck source=tools/lib/apt.sh
. tools/lib/apt.sh
mapfile -t missing < <(apt_missing "${packages[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "test-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  echo "test-deps: installing ${missing[*]}"
  apt_install "${missing[@]}" >/dev/null
  # Debian starts packaged servers on install; the tests start their own on free ports.
  for svc in postgresql redis-server nginx; do
    service "$svc" stop >/dev/null 2>&1 || true
  done
fi

for script in tools/test-servers/*.sh; do
  [ -e "$script" ] || continue
  echo "test-deps: $script"
  bash "$script"
done

echo "test-deps: test hosts (Docker engine, local images)"
bash tools/testhosts/ensure.sh
