#!/usr/bin/env bash
# Produce the root file system of a Debian test image.
#
#   bootstrap.sh SUITE MIRROR ROOTFS DEB_CACHE_DIR
#
# Part of the image recipe: any change to this directory rebuilds the images.
set -euo pipefail

suite="$1" mirror="$2" rootfs="$3" deb_cache="$4"
recipe_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

include="$(grep -vE '^[[:space:]]*(#|$)' "${recipe_dir}/packages.txt" | paste -sd, -)"
debootstrap --variant=minbase --merged-usr --include="${include}" \
    --cache-dir="${deb_cache}" "${suite}" "${rootfs}" "${mirror}"

# The image's own apt sources: the same mirror, plus updates and security.
rm -f "${rootfs}/etc/apt/sources.list"
cat >"${rootfs}/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: ${mirror}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian*}/debian-security
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

install -m 0755 "${recipe_dir}/customize.sh" "${rootfs}/tmp/customize.sh"
chroot "${rootfs}" /tmp/customize.sh
rm -f "${rootfs}/tmp/customize.sh"
