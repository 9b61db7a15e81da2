#!/usr/bin/env bash
# The applications' test images (docs/testing-images.md): each tools/images/<name>/Dockerfile is built
# from Debian's and PyPI's packages, tagged with the reference in tools/images/<name>/ref, and all of them
# are written to OUTDIR/apps.tar, one OCI image archive that the node role imports
# (node_image_archives_dir). The archive is cached under ${OME_K8S_CACHE_DIR}/app-images, keyed by the
# images' IDs; Docker's build cache makes an unchanged image cost seconds.
#
#   tools/images/build.sh OUTDIR [NAME...]     (default: every image)
#
# An image directory may hold prepare.sh: run as `bash prepare.sh CONTEXT` on a copy of the directory
# before the build, to add files from outside the repository (a cached wheel, a Python build).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cache_dir=${OME_K8S_CACHE_DIR:-/var/cache/ome-k8s}/app-images
python=${PYTHON:-python3}

say() { printf 'app-images: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

[[ $# -ge 1 ]] || die "usage: $0 OUTDIR [NAME...]"
out=$1
shift
names=("$@")
if [[ ${#names[@]} == 0 ]]; then
    for dockerfile in "$here"/*/Dockerfile; do names+=("$(basename "$(dirname "$dockerfile")")"); done
fi
[[ ${#names[@]} -gt 0 ]] || die "no image directories under $here"

# The base of every image: Debian 12 as debootstrap made it (and a Docker engine that answers).
"$top/tools/testhosts/ensure.sh" 12 >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
refs=()
key_lines=""
for name in "${names[@]}"; do
    dir=$here/$name
    [[ -f $dir/Dockerfile && -f $dir/ref ]] || die "$dir needs a Dockerfile and a ref file"
    ref=$(<"$dir/ref")
    context=$work/context-$name
    cp -a "$dir/." "$context"
    if [[ -f $context/prepare.sh ]]; then
        bash "$context/prepare.sh" "$context" >&2 || die "$name: prepare.sh failed"
    fi
    say "building $ref"
    docker build -q -t "$ref" "$context" >/dev/null || die "$name: docker build failed"
    refs+=("$ref")
    key_lines+="$ref $(docker image inspect -f '{{.Id}}' "$ref")"$'\n'
done

key=$(printf '%s' "$key_lines" | sha256sum | cut -c1-16)
archive=$cache_dir/apps-$key.tar
if [[ ! -f $archive ]]; then
    mkdir -p "$cache_dir" "$work/save"
    say "writing $archive"
    docker save "${refs[@]}" | tar -x -C "$work/save"
    "$python" "$top/tools/k8s/image_archive.py" --docker-save "$work/save" --out "$archive" >&2
    # Only the newest archive is kept: each one holds every image.
    find "$cache_dir" -maxdepth 1 -name 'apps-*.tar' ! -name "apps-$key.tar" -delete
fi
mkdir -p "$out"
ln -sfn "$archive" "$out/apps.tar"
printf '%s\n' "${refs[@]}"
