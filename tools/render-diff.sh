#!/usr/bin/env bash
# What a change does to the rendered objects, before it is merged: renders every application of an inventory
# at a base git ref (from a temporary git worktree) and in the working tree, then prints `diff -ru` of the two
# rendered trees (base/ and working-tree/). Both renders run at once, each with its own tree's collection,
# playbooks and inventory, and the ansible-playbook found on PATH (this repository's .venv first).
# Usage: tools/render-diff.sh [BASE] [INVENTORY]   (defaults: main, inventories/lochy)
# Exit status: 0 whether or not the renders differ; 2 when the worktree or a render fails.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
base_ref="${1:-main}"
inventory="${2:-inventories/lochy}"
inventory="${inventory%/}"
case "$inventory" in
  /*) echo "render-diff: give INVENTORY relative to the repository; it is read from both trees" >&2; exit 2 ;;
esac
[ -d "$top/.venv/bin" ] && PATH="$top/.venv/bin:$PATH"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ome-k8s-render-diff.XXXXXX")"
cleanup() {
  git -C "$top" worktree remove --force "$tmp/base-tree" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if ! git -C "$top" worktree add --quiet --detach "$tmp/base-tree" "$base_ref" 2>"$tmp/worktree.log"; then
  echo "render-diff: cannot check out '$base_ref':" >&2
  cat "$tmp/worktree.log" >&2
  exit 2
fi

# render TREE NAME: render TREE's inventory with TREE's collection into $tmp/NAME (log: $tmp/NAME.log).
render() {
  local tree="$1" name="$2"
  mkdir -p "$tmp/collections-$name/ansible_collections/ome"
  ln -s "$tree" "$tmp/collections-$name/ansible_collections/ome/k8s"
  (cd "$tree" && ANSIBLE_COLLECTIONS_PATH="$tmp/collections-$name" ANSIBLE_NOCOLOR=1 \
    ansible-playbook -i "$tree/$inventory" playbooks/apps.yml -e "ome_k8s_render_dir=$tmp/$name") \
    >"$tmp/$name.log" 2>&1
}

render "$tmp/base-tree" base &
base_pid=$!
render "$top" working-tree &
work_pid=$!
failed=0
for run in "base:$base_pid" "working-tree:$work_pid"; do
  if ! wait "${run#*:}"; then
    echo "render-diff: rendering ${run%%:*} ($inventory) failed; the end of its log:" >&2
    tail -n 40 "$tmp/${run%%:*}.log" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 2

cd "$tmp"
status=0
# Without the files' modification times, which say nothing here, on the --- and +++ lines.
diff -ru base working-tree | sed -E 's#^(---|\+\+\+) ((base|working-tree)/[^\t]*)\t.*#\1 \2#' || status=$?
case "$status" in
  0) echo "render-diff: no difference between $base_ref and the working tree ($inventory)" ;;
  1) echo "render-diff: the diff above is what the working tree changes against $base_ref ($inventory)" ;;
  *) exit 2 ;;
esac
