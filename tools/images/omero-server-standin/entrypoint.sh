#!/bin/bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runs every executable file in /startup in name order; the last one (99-run.sh) replaces this shell, so
# the server gets the container's signals. Any failing step stops the container.
set -eu
steps=()
for f in /startup/*; do
    [ -f "$f" ] && [ -x "$f" ] && steps+=("$f")
done
[ ${#steps[@]} -gt 0 ] || { echo "entrypoint: nothing to run in /startup" >&2; exit 1; }
last=$((${#steps[@]} - 1))
for f in "${steps[@]:0:$last}"; do
    echo "entrypoint: running $f"
    "$f"
done
echo "entrypoint: running ${steps[$last]}"
exec "${steps[$last]}"
