#!/usr/bin/env bash
# Make this machine ready for the Molecule scenarios of ome.k8s:
#   1. a Docker engine that answers (installs Debian's docker.io and starts dockerd when needed;
#      no systemd is assumed: dockerd runs in the background, logging to ${OME_K8S_LOG_DIR}),
#   2. the local test images ome-k8s/debian:12 and ome-k8s/debian:13 (rebuilt only when their
#      recipe changes).
# Idempotent and safe to run twice, also at the same time (a lock serialises the runs).
#
#   tools/testhosts/ensure.sh [--docker-only] [12] [13]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_dir="${OME_K8S_CACHE_DIR:-/var/cache/ome-k8s}"
log_dir="${OME_K8S_LOG_DIR:-/var/log/ome-k8s}"

log() { printf '[testhosts] %s\n' "$*" >&2; }
die() { printf '[testhosts] ERROR: %s\n' "$*" >&2; exit 1; }

docker_only=false
releases=()
for arg in "$@"; do
    case "${arg}" in
        --docker-only) docker_only=true ;;
        12|13) releases+=("${arg}") ;;
        *) die "usage: $0 [--docker-only] [12] [13]" ;;
    esac
done
[[ ${#releases[@]} -gt 0 ]] || releases=(12 13)

[[ "$(id -u)" == 0 ]] || die "run as root (installs packages, starts dockerd, runs debootstrap)"
mkdir -p "${cache_dir}" "${log_dir}"
exec 9>"${cache_dir}/.ensure.lock"
flock 9

# shellcheck source=tools/lib/apt.sh
. "${here}/../lib/apt.sh"

docker_answers() { docker info >/dev/null 2>&1; }

ensure_docker() {
    if docker_answers; then
        log "Docker engine answers"
        return
    fi
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        log "installing docker.io (Debian package)"
        apt_install docker.io >&2 || die "installing docker.io failed (is a Debian mirror reachable?)"
    fi
    if pgrep -x dockerd >/dev/null 2>&1; then
        log "dockerd is running but does not answer yet; waiting"
    else
        log "starting dockerd in the background (log: ${log_dir}/dockerd.log)"
        # 9>&-: dockerd must not inherit the lock, or every later run of this script waits for it forever.
        setsid nohup dockerd >>"${log_dir}/dockerd.log" 2>&1 </dev/null 9>&- &
    fi
    local i
    for i in $(seq 1 60); do
        if docker_answers; then
            log "Docker engine answers after ${i}s"
            return
        fi
        if ! pgrep -x dockerd >/dev/null 2>&1; then
            tail -n 20 "${log_dir}/dockerd.log" >&2 || true
            die "dockerd exited; see ${log_dir}/dockerd.log"
        fi
        sleep 1
    done
    tail -n 20 "${log_dir}/dockerd.log" >&2 || true
    die "dockerd did not answer within 60s; see ${log_dir}/dockerd.log"
}

ensure_docker
${docker_only} && exit 0

# Both images at once: debootstrap spends most of its time waiting on the mirror and dpkg.
pids=()
for release in "${releases[@]}"; do
    "${here}/build-image.sh" "${release}" &
    pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do
    wait "${pid}" || status=1
done
[[ ${status} == 0 ]] || die "building a test image failed (see the messages above)"
docker image ls --filter 'reference=ome-k8s/debian' --format '{{.Repository}}:{{.Tag}} {{.Size}}' >&2
