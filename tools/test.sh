#!/usr/bin/env bash
# The whole test suite, stage by stage. Every stage runs even when an earlier one failed, so one run
# shows every failure; the exit status is non-zero when any stage failed.
# (The stage_* functions are called by name from the loop at the end, hence:)
# shellcheck disable=SC2317
# Usage: tools/test.sh [stage ...]   (stages: deps lint build sanity pytest molecule; default: all)
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top" || exit 2
export PATH="$top/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$top/ansible.cfg"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(deps lint build sanity pytest molecule)

installed="$top/build/collections"

stage_deps() { bash tools/test-deps.sh; }

stage_lint() {
  local rc=0
  yamllint --strict . || rc=1
  ansible-lint || rc=1
  ruff check . || rc=1
  ruff format --check . || rc=1
  return "$rc"
}

# Build the tarball and install it where the later stages look for ome.k8s, so they exercise what a
# user would install, not the source tree.
stage_build() {
  rm -rf build/dist "$installed"
  ansible-galaxy collection build --force --output-path build/dist . || return 1
  ANSIBLE_COLLECTIONS_PATH="$installed" \
    ansible-galaxy collection install --offline --force -p "$installed" build/dist/ome-k8s-*.tar.gz || return 1
  ANSIBLE_COLLECTIONS_PATH="$installed" tools/check-fqcns.sh
}

stage_sanity() { bash tools/sanity.sh; }

stage_pytest() {
  [ -d "$installed/ansible_collections/ome/k8s" ] || stage_build || return 1
  ANSIBLE_COLLECTIONS_PATH="$installed" pytest tests -ra
}

stage_molecule() {
  [ -d "$installed/ansible_collections/ome/k8s" ] || stage_build || return 1
  local rc=0 scenario
  for scenario in molecule/*/molecule.yml; do
    scenario=$(basename "$(dirname "$scenario")")
    # e2e needs the Kubernetes artifacts of `make k8s-artifacts`: `make e2e` runs it.
    [ "$scenario" != e2e ] || continue
    echo "--- molecule scenario: $scenario"
    ANSIBLE_COLLECTIONS_PATH="$installed" molecule test -s "$scenario" || rc=1
  done
  return "$rc"
}

declare -A result
failed=0
for stage in "${stages[@]}"; do
  declare -F "stage_$stage" >/dev/null || { echo "test: unknown stage '$stage'" >&2; exit 2; }
  echo
  echo "=== stage: $stage"
  start=$SECONDS
  if "stage_$stage"; then result[$stage]="passed"; else result[$stage]="FAILED"; failed=1; fi
  result[$stage]+=" ($((SECONDS - start)) s)"
done

echo
echo "=== summary"
for stage in "${stages[@]}"; do printf '%-9s %s\n' "$stage" "${result[$stage]}"; done
exit $failed
