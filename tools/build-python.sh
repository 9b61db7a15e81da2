#!/usr/bin/env bash
# Build CPython 3.13 for the controller from Debian's own source package, once, into a per-user cache
# outside the repository; print the interpreter's path as the last line. For Debian 12 controllers,
# whose python3 is 3.11 while ansible-core 2.20+ needs 3.12 or newer. The system Python is not touched.
#
#   tools/build-python.sh            # reuse a complete cached build, or build one (a few minutes)
#   tools/build-python.sh --check    # exit 0 and print the path when a complete build is cached
#
# Where the pieces come from:
# - the source: the upstream tarball (`.orig.tar.xz`) of the python3.13 source package of Debian 13
#   "trixie", fetched by apt from the Debian mirror this host already uses, into a private apt state
#   directory (the host's apt configuration is not changed); apt checks it against the archive's signed
#   index;
# - the build dependencies: the host's own Debian packages (apt-get install, through sudo when not root).
#
# A build is complete only when its stamp file exists: the install goes to a staging directory that is
# renamed into place, then the interpreter is tested, then the stamp is written. Anything else in the
# cache (an interrupted build, a deleted file, a failing interpreter) is removed and built again.
#
# Environment (all optional):
#   OME_K8S_PYTHON_CACHE          cache directory (${XDG_CACHE_HOME:-$HOME/.cache}/ome-k8s/python)
#   OME_K8S_PYTHON_SOURCE_SUITE   Debian suite    (trixie)
#   OME_K8S_PYTHON_SOURCE_PACKAGE source package  (python3.13)
set -euo pipefail

cache=${OME_K8S_PYTHON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ome-k8s/python}
suite=${OME_K8S_PYTHON_SOURCE_SUITE:-trixie}
package=${OME_K8S_PYTHON_SOURCE_PACKAGE:-python3.13}
minor=${package#python}
stamp_name=.ome-k8s-complete

# The modules a controller venv needs: pip's TLS, sqlite for ansible-test, ctypes/ffi, the compressors
# that collection tarballs and wheels use, and venv itself.
self_test='import sys, ssl, sqlite3, ctypes, zlib, bz2, lzma, hashlib, venv, ensurepip, readline, uuid
sys.exit(sys.version_info < (3, 12))'

log() { printf 'build-python: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# Print the interpreter of a complete build under $1, or fail.
complete_build() {
  local prefix=$1 python="$1/bin/python$minor"
  [ -f "$prefix/$stamp_name" ] && [ -x "$python" ] || return 1
  [ "$(cat "$prefix/$stamp_name")" = "$(basename "$prefix")" ] || return 1
  "$python" -c "$self_test" >/dev/null 2>&1 || return 1
  echo "$python"
}

# The newest complete build in the cache; incomplete ones are removed on the way.
cached_build() {
  local prefix python found="" prefixes
  mapfile -t prefixes < <(find "$cache" -mindepth 1 -maxdepth 1 -name "cpython-$minor.*" -type d 2>/dev/null | sort -rV)
  for prefix in "${prefixes[@]}"; do
    if python=$(complete_build "$prefix"); then
      [ -n "$found" ] || found=$python
    elif [ "${1:-}" = --clean ]; then
      log "removing the incomplete build $prefix"
      rm -rf "$prefix"
    fi
  done
  [ -n "$found" ] && echo "$found"
}

if [ "${1:-}" = --check ]; then
  cached_build
  exit
fi

if python=$(cached_build --clean); then
  log "reusing $python"
  echo "$python"
  exit 0
fi

cannot_fetch() {
  cat >&2 <<MSG
build-python: ERROR: $1
No Python >= 3.12 was found and CPython $minor could not be built from Debian's $package source package.
Install a Python >= 3.12 instead, then run \`make setup\` again:
  apt-get install python3.13 python3.13-venv      (Debian 13, Ubuntu 24.04 and newer)
  pyenv install 3.13                              (any distribution)
  OME_K8S_PYTHON=/path/to/python3 make setup      (an interpreter of your own)
MSG
  exit 1
}

command -v apt-get >/dev/null || cannot_fetch "apt-get not found: this build needs a Debian or Ubuntu host"

work=$(mktemp -d "${TMPDIR:-/tmp}/ome-k8s-python.XXXXXX")
trap 'rm -rf "$work"' EXIT

build_packages=(build-essential pkg-config xz-utils libssl-dev zlib1g-dev libbz2-dev liblzma-dev
  libffi-dev libsqlite3-dev libreadline-dev libncurses-dev uuid-dev libgdbm-dev)
# shellcheck source=tools/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
mapfile -t missing < <(apt_missing "${build_packages[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  log "installing the build dependencies: ${missing[*]}"
  apt_install "${missing[@]}" >"$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log" >&2; die "could not install ${missing[*]}"; }
fi


# The mirror this host's apt already uses for its own release, so that sites with a local mirror or a
# proxy keep using it.
codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
# shellcheck disable=SC2016 # apt's own $(FIELD) placeholders, not shell expansions
site=$(apt-get indextargets --format '$(SITE) $(CODENAME) $(IDENTIFIER)' 2>/dev/null |
  awk -v c="$codename" '$2 == c && $3 == "Packages" { print $1; exit }')
[ -n "$site" ] || cannot_fetch "no Debian mirror for '$codename' in this host's apt sources"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || cannot_fetch "$keyring not found (package debian-archive-keyring)"

log "fetching the $package source package from $suite ($site)"
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$work/src"
echo "deb-src [signed-by=$keyring] $site $suite main" >"$work/apt/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt" -o "Dir::Cache::Archives=$work/apt/archives"
  -o APT::Sandbox::User="$(id -un)")
apt-get "${apt_private[@]}" update >>"$work/apt.log" 2>&1 ||
  cannot_fetch "apt could not read $suite's source index from $site (log: $(tail -n 3 "$work/apt.log" | tr '\n' ' '))"
(cd "$work/src" && apt-get "${apt_private[@]}" source --download-only "$package") >>"$work/apt.log" 2>&1 ||
  cannot_fetch "apt could not download the $package source package (log: $(tail -n 3 "$work/apt.log" | tr '\n' ' '))"
tarball=$(find "$work/src" -name "${package}_*.orig.tar.xz" | head -n 1)
[ -n "$tarball" ] || cannot_fetch "the $package source package has no .orig.tar.xz"
version=$(basename "$tarball" .orig.tar.xz)
version=${version#"${package}_"}

prefix="$cache/cpython-$version"
staging="$cache/.staging-$version"
rm -rf "$prefix" "$staging"
mkdir -p "$cache"
# Kept beside the builds, so that it outlives a failed build.
build_log="$cache/build-$version.log"

log "building CPython $version into $prefix (a few minutes; log: $build_log)"
tar -xJf "$tarball" -C "$work"
srcdir="$work/Python-$version"
[ -x "$srcdir/configure" ] || die "the tarball has no Python-$version/configure"
start=$SECONDS
step() { log "$1 ($((SECONDS - start)) s)"; }

# Compiling takes minutes: report the number of compiled objects every 20 s, so a reader sees it move.
progress() {
  while sleep 20; do
    log "  ... $(find "$srcdir" -name '*.o' | wc -l) objects compiled ($((SECONDS - start)) s)"
  done
}

step "configure"
(cd "$srcdir" && ./configure --prefix="$prefix" --disable-test-modules --with-ensurepip=install) \
  >"$build_log" 2>&1 || { tail -n 30 "$build_log" >&2; die "configure failed"; }
step "compile with $(nproc) jobs"
progress &
progress_pid=$!
if ! (cd "$srcdir" && make -j"$(nproc)") >>"$build_log" 2>&1; then
  kill "$progress_pid" 2>/dev/null
  tail -n 30 "$build_log" >&2
  die "make failed"
fi
kill "$progress_pid" 2>/dev/null
wait "$progress_pid" 2>/dev/null || true
step "install"
(cd "$srcdir" && make install DESTDIR="$staging") >>"$build_log" 2>&1 ||
  { tail -n 30 "$build_log" >&2; die "make install failed"; }
mv "$staging$prefix" "$prefix"
rm -rf "$staging"

python="$prefix/bin/python$minor"
"$python" -c "$self_test" >>"$build_log" 2>&1 ||
  { tail -n 30 "$build_log" >&2; die "the new interpreter lacks a module (ssl, sqlite3, ctypes, ...): see above"; }
basename "$prefix" >"$prefix/$stamp_name"
step "done: CPython $version"
echo "$python"
