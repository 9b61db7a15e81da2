#!/usr/bin/env bash
# Build one local Debian test image (systemd as PID 1) with debootstrap and `docker import`.
#
#   tools/testhosts/build-image.sh 12|13
#
# The image is tagged ome-k8s/debian:<release> and labelled with a hash of its recipe
# (tools/testhosts/images/debian/* plus the import options below). Nothing is built when an
# image with that label exists. The root file system tarball and the downloaded .debs are
# cached under ${OME_K8S_CACHE_DIR:-/var/cache/ome-k8s}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
recipe_dir="${here}/images/debian"
cache_dir="${OME_K8S_CACHE_DIR:-/var/cache/ome-k8s}"
label="org.ome-k8s.recipe-hash"

log() { printf '[testhosts] %s\n' "$*" >&2; }
die() { printf '[testhosts] ERROR: %s\n' "$*" >&2; exit 1; }

release="${1:-}"
case "${release}" in
    12) suite=bookworm ;;
    13) suite=trixie ;;
    *) die "usage: $0 12|13 (Debian release of the image to build)" ;;
esac
image="ome-k8s/debian:${release}"

# What `docker import` sets on the image: part of the image's hash, not of the root file system's.
# (docker import accepts CMD, ENTRYPOINT, ENV, EXPOSE, ONBUILD, USER, VOLUME, WORKDIR and LABEL;
# systemd's stop signal SIGRTMIN+3 is set by the shared create playbook instead.)
import_changes=(
    'CMD ["/sbin/init"]'
    'ENV container=docker'
    "LABEL org.opencontainers.image.title=\"ome-k8s Debian ${release} test host\""
)

# The Debian mirror this host's apt already uses (override with OME_K8S_DEBIAN_MIRROR).
debian_mirror() {
    if [[ -n "${OME_K8S_DEBIAN_MIRROR:-}" ]]; then
        printf '%s\n' "${OME_K8S_DEBIAN_MIRROR}"
        return
    fi
    local uri
    uri="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{for (i = 2; i <= NF; i++) print $i}' | grep -E '/debian/?$' | head -n1 || true)"
    if [[ -z "${uri}" ]]; then
        uri="$(grep -hsE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)"
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Hash of the root file system recipe: every file under images/debian, plus the suite.
rootfs_hash() {
    {
        printf 'suite=%s\n' "${suite}"
        find "${recipe_dir}" -type f | LC_ALL=C sort | while read -r f; do
            printf '%s\n' "${f#"${recipe_dir}"/}"
            cat "${f}"
        done
    } | sha256sum | cut -c1-16
}

rootfs_id="$(rootfs_hash)"
hash="$(printf '%s\n' "${rootfs_id}" "${import_changes[@]}" | sha256sum | cut -c1-16)"
current="$(docker image inspect -f "{{ index .Config.Labels \"${label}\" }}" "${image}" 2>/dev/null || true)"
if [[ "${current}" == "${hash}" ]]; then
    log "${image} is up to date (recipe ${hash})"
    exit 0
fi

mkdir -p "${cache_dir}/images" "${cache_dir}/debootstrap/${suite}"
tarball="${cache_dir}/images/debian-${release}-${rootfs_id}.tar"

if [[ ! -s "${tarball}" ]]; then
    # shellcheck source=tools/lib/apt.sh
    . "${here}/../lib/apt.sh"
    apt_install debootstrap >&2 || die "installing debootstrap failed"
    mirror="$(debian_mirror)"
    rootfs="$(mktemp -d "${cache_dir}/rootfs-${suite}.XXXXXX")"
    trap 'rm -rf "${rootfs}"' EXIT
    build_log="${cache_dir}/debootstrap-${suite}.log"
    log "bootstrapping ${suite} from ${mirror} (log: ${build_log})"
    if ! "${recipe_dir}/bootstrap.sh" "${suite}" "${mirror}" "${rootfs}" \
            "${cache_dir}/debootstrap/${suite}" >"${build_log}" 2>&1; then
        tail -n 30 "${build_log}" >&2
        die "bootstrapping ${suite} failed; see ${build_log}"
    fi
    tar --numeric-owner --xattrs -C "${rootfs}" -cf "${tarball}.partial" .
    mv "${tarball}.partial" "${tarball}"
    rm -rf "${rootfs}"
    trap - EXIT
    # Older root file systems of the same release are of no further use.
    find "${cache_dir}/images" -name "debian-${release}-*.tar" ! -name "$(basename "${tarball}")" -delete
fi

log "importing ${image} (recipe ${hash})"
changes=()
for change in "${import_changes[@]}" "LABEL ${label}=${hash}"; do
    changes+=(--change "${change}")
done
docker import "${changes[@]}" "${tarball}" "${image}" >/dev/null
docker tag "${image}" "ome-k8s/debian:${release}-${hash}"
# Tags of earlier recipes of this release are of no further use.
docker image ls --format '{{.Repository}}:{{.Tag}}' "ome-k8s/debian" \
    | grep -E "^ome-k8s/debian:${release}-[0-9a-f]{16}\$" | grep -vx "ome-k8s/debian:${release}-${hash}" \
    | xargs -r docker rmi >/dev/null || true
log "built ${image}"
