#!/usr/bin/env bash
# Prove that every module and role of the installed collection resolves by its FQCN.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
rc=0
# Resolving from the source tree would prove nothing about the tarball: insist on the installed copy.
where=$(ansible-galaxy collection list ome.k8s 2>/dev/null | sed -n 's/^# \(.*\)$/\1/p' | head -1)
echo "ome.k8s found in: ${where:-nowhere}"
case "$where" in
  */build/collections/ansible_collections) ;;
  *) echo "ome.k8s is not resolved from the installed tarball (build/collections)" >&2; exit 1 ;;
esac
for f in "$top"/plugins/modules/*.py; do
  name="ome.k8s.$(basename "$f" .py)"
  if ansible-doc -t module "$name" >/dev/null 2>&1; then echo "resolves: $name"; else echo "DOES NOT RESOLVE: $name"; rc=1; fi
done
for d in "$top"/roles/*/; do
  name="ome.k8s.$(basename "$d")"
  if ansible-doc -t role "$name" >/dev/null 2>&1; then echo "resolves: $name"; else echo "DOES NOT RESOLVE: $name"; rc=1; fi
done
exit $rc
