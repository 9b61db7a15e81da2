# shellcheck shell=bash
# Installing Debian packages from the tools (sourced, not run). Through sudo when not root.
#
#   apt_missing PKG...   prints, one per line, the packages that are not installed
#   apt_install PKG...   installs those of them that are missing; when that fails, refreshes the
#                        package lists and tries again
#
# The refresh is allowed to report errors: a fresh machine often lists a third-party repository it
# cannot reach, and `apt-get update` then exits non-zero although Debian's own lists were read. What
# counts is whether the install itself succeeds. Both wait for a dpkg lock held by another apt run
# (a fresh machine may still be updating itself) instead of failing at once.

apt_as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -- "$@"
  else
    echo "apt: need root for: $* (run as root, or install sudo)" >&2
    return 1
  fi
}

apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

apt_install() {
  local missing
  mapfile -t missing < <(apt_missing "$@")
  [ ${#missing[@]} -gt 0 ] || return 0
  local wait_lock=(-o DPkg::Lock::Timeout=300)
  local get=(env DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -q --no-install-recommends
    "${missing[@]}")
  apt_as_root "${get[@]}" && return 0
  echo "apt: refreshing the package lists and trying again" >&2
  apt_as_root apt-get "${wait_lock[@]}" update -q ||
    echo "apt: apt-get update reported errors (an unreachable source?); installing from what it could read" >&2
  apt_as_root "${get[@]}"
}
