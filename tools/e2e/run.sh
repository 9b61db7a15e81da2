#!/usr/bin/env bash
# make e2e: playbooks/cluster.yml for real on Molecule's `e2e` scenario (1 control plane, 2 workers in
# local systemd containers), with the packages and images of `make k8s-artifacts`, then playbooks/apps.yml
# on that cluster with the test images of tools/images (inventory molecule/e2e/apps). Writes
# build/e2e/summary.json (nodes, nodes_ready, cluster_rerun_changed, apps_ready, apps_rerun_changed,
# phases in seconds) and removes the cluster at the end unless E2E_KEEP=1 (then build/e2e/kubeconfig
# reaches it; `make e2e-down` removes it).
#
#   tools/e2e/run.sh          everything
#   tools/e2e/run.sh apps     only the application phases (day-2 included), on the cluster a run with
#                             E2E_KEEP=1 left
#   tools/e2e/run.sh day2 [STEP...]  only the day-2 phases (tools/e2e/day2.sh), or the steps named, on
#                             such a cluster
#   tools/e2e/run.sh down     remove the cluster (make e2e-down)
#
# Environment: E2E_KEEP=1 keeps the cluster; OME_K8S_E2E_ARTIFACTS=<dir> uses that artifact directory
# instead of `tools/k8s/build.sh` (which reuses its cache); E2E_READY_TIMEOUT (s, default 600).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
export PATH="$top/.venv/bin:$PATH" ANSIBLE_CONFIG="$top/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export ANSIBLE_COLLECTIONS_PATH="$top/build/collections"
export OME_K8S_E2E_DIR="$top/build/e2e"
scenario=e2e
cp=ome-k8s-e2e-cp1
cut_off_worker=ome-k8s-e2e-w2
apps_inventory=molecule/e2e/apps
ready_timeout=${E2E_READY_TIMEOUT:-600}
# The only kube-router the Go module proxy serves here; a test-only enforcer (tools/e2e/netpol).
netpol_version=v2.1.0

# shellcheck source=tools/e2e/day2.sh
. "$top/tools/e2e/day2.sh"

say() { printf 'e2e: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

declare -A phases=()
phase_order=()
# phase NAME COMMAND...: runs the command and records its wall-clock seconds.
phase() {
    local name=$1 start=$SECONDS
    shift
    say "--- $name"
    "$@" || die "phase '$name' failed (exit $?)"
    phases[$name]=$((SECONDS - start))
    phase_order+=("$name")
}

kubectl_cp() { docker exec "$cp" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }

artifacts() {
    if [[ -z ${OME_K8S_E2E_ARTIFACTS:-} ]]; then
        OME_K8S_E2E_ARTIFACTS=$(bash tools/k8s/build.sh | tail -n 1)
    fi
    [[ -f $OME_K8S_E2E_ARTIFACTS/manifest.json ]] ||
        die "no Kubernetes artifacts in '$OME_K8S_E2E_ARTIFACTS' (run make k8s-artifacts)"
    export OME_K8S_E2E_ARTIFACTS
    say "artifacts: $OME_K8S_E2E_ARTIFACTS"
}

# build/e2e/images, the directory the node role imports (node_image_archives_dir): Kubernetes' own
# archives (links into the artifact directory) and the probe image the checks of verify.yml run.
images() {
    local dir=$OME_K8S_E2E_DIR/images
    rm -rf "$dir"
    mkdir -p "$dir"
    ln -s "$OME_K8S_E2E_ARTIFACTS"/images/*.tar "$dir"/
    (cd tools/e2e/probe && CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags '-s -w' -o "$OME_K8S_E2E_DIR/probe" .)
    python3 tools/k8s/image_archive.py --ref ome-k8s.local/e2e-probe:1 --out "$dir/e2e-probe.tar" \
        --add "$OME_K8S_E2E_DIR/probe=/probe" --entrypoint '["/probe"]' --cmd '["serve"]' --user 65534 >/dev/null
    netpol_image "$dir/e2e-netpol.tar"
    bash tools/images/build.sh "$dir" >/dev/null
}

# netpol_image ARCHIVE: the test-only NetworkPolicy enforcer of tools/e2e/netpol/kube-router.yaml. The
# binary is built once per machine (about 6 minutes cold) and kept beside the other caches; the image holds
# it with this machine's iptables (nft backend, like kube-proxy's and flannel's images) and ipset.
netpol_image() {
    local cache=${OME_K8S_CACHE_DIR:-/var/cache/ome-k8s}/e2e/kube-router-$netpol_version adds
    if [[ ! -x $cache/kube-router ]]; then
        mkdir -p "$cache"
        GOBIN=$cache CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod \
            go install -trimpath -ldflags '-s -w' "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$netpol_version"
    fi
    # shellcheck source=tools/lib/apt.sh
    . tools/lib/apt.sh
    # shellcheck source=tools/lib/iptables_image.sh
    . tools/lib/iptables_image.sh
    apt_install iptables ipset >/dev/null
    mapfile -t adds < <(iptables_image_adds /usr/sbin/ipset)
    python3 tools/k8s/image_archive.py --ref "ome-k8s.local/e2e-netpol:kube-router-$netpol_version" --out "$1" \
        --add "$cache/kube-router=/usr/local/bin/kube-router" --entrypoint '["/usr/local/bin/kube-router"]' \
        "${adds[@]}" >/dev/null
}

# wait_ready [COUNT]: COUNT nodes (default: every host) Ready within the timeout; prints nothing, fails
# with the nodes' state.
wait_ready() {
    local deadline=$((SECONDS + ready_timeout)) want=${1:-}
    [[ -n $want ]] || want=$(molecule_hosts | wc -l)
    while ((SECONDS < deadline)); do
        if [[ $(nodes_ready) == "$want" ]]; then return 0; fi
        sleep 2
    done
    kubectl_cp get nodes -o wide >&2 || true
    kubectl_cp get pods -A -o wide >&2 || true
    return 1
}

molecule_hosts() { sed -n 's/^  - name: \(ome-k8s-e2e-[a-z0-9]*\)$/\1/p' molecule/$scenario/molecule.yml; }

nodes_ready() {
    kubectl_cp get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null |
        grep -c '^True$' || true
}

# The second run of cluster.yml: its changed count, read from the ansible.posix.json callback.
rerun() {
    ANSIBLE_STDOUT_CALLBACK=ansible.posix.json molecule converge -s "$scenario" >"$OME_K8S_E2E_DIR/rerun.json"
    rerun_changed=$(python3 tools/e2e/changed.py "$OME_K8S_E2E_DIR/rerun.json")
    say "second cluster.yml run: $rerun_changed changed"
}

# `cluster.yml --check` on the converged cluster: its changed count.
check_run() {
    ANSIBLE_STDOUT_CALLBACK=ansible.posix.json molecule converge -s "$scenario" -- --check >"$OME_K8S_E2E_DIR/check.json"
    check_changed=$(python3 tools/e2e/changed.py "$OME_K8S_E2E_DIR/check.json")
    say "cluster.yml --check: $check_changed changed"
}

# After reset.yml: no kubelet running, none of the state it removes left on any host.
check_clean() {
    local host left
    for host in $(molecule_hosts); do
        left=$(docker exec "$host" sh -c 'systemctl is-active --quiet kubelet && echo "kubelet running";
            for path in /etc/kubernetes /var/lib/kubelet /var/lib/etcd /var/lib/cni; do
                [ ! -e "$path" ] || echo "$path"; done; ls /etc/cni/net.d 2>/dev/null')
        [[ -z $left ]] || die "$host is not clean after reset.yml: ${left//$'\n'/, }"
    done
}

# --- failure paths of cluster.yml, on the hosts reset.yml left clean ---------------------------------

# A run stopped once kubeadm init has finished (kubeadm-config uploaded), before the workers join and the
# add-ons are applied. Killing ansible-playbook leaves kubeadm itself to finish inside the container.
interrupted_run() {
    local pid
    setsid molecule converge -s "$scenario" >"$OME_K8S_E2E_DIR/interrupted.log" 2>&1 &
    pid=$!
    until kubectl_cp -n kube-system get configmap kubeadm-config >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || die "cluster.yml ended before kubeadm init had finished"
        sleep 2
    done
    kill -TERM -- "-$pid"
    wait "$pid" || true
    say "cluster.yml stopped after kubeadm init"
}

# The run after the interruption, with the second worker cut off from the API server: that worker must fail
# with a message naming it and the endpoint, while the control plane and the first worker converge.
worker_cut_off() {
    local worker=${cut_off_worker} api failures rc=0
    api=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cp")
    local rule=(OUTPUT -d "$api" -p tcp --dport 6443 -j REJECT --reject-with tcp-reset)
    docker exec "$worker" iptables -I "${rule[@]}"
    ANSIBLE_STDOUT_CALLBACK=ansible.posix.json molecule converge -s "$scenario" >"$OME_K8S_E2E_DIR/cut-off.json" || rc=$?
    docker exec "$worker" iptables -D "${rule[@]}"
    ((rc != 0)) || die "cluster.yml succeeded although $worker could not reach the API server"
    failures=$(python3 tools/e2e/changed.py --failed "$OME_K8S_E2E_DIR/cut-off.json")
    ! grep -qv "^$worker " <<<"$failures" || die "hosts other than $worker failed: $failures"
    grep -q "$api:6443" <<<"$failures" || die "the failure does not name the API server endpoint: $failures"
    wait_ready $(($(molecule_hosts | wc -l) - 1)) || die "the hosts that could join are not all Ready"
    say "cut off: ${failures%%$'\n'*}"
}

# build/e2e/kubeconfig: the fetched admin kubeconfig, with the control plane's address on the Docker
# network (this machine reaches it; the container name resolves only inside the network).
write_kubeconfig() {
    local ip
    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cp")
    sed "s#server: https://$cp:#server: https://$ip:#" "$OME_K8S_E2E_DIR/admin.conf" >"$OME_K8S_E2E_DIR/kubeconfig"
    chmod 0600 "$OME_K8S_E2E_DIR/kubeconfig"
}

# --- applications --------------------------------------------------------------------------------------

# run_playbook NAME PLAYBOOK ARGS...: the playbook with the e2e application inventory, its output in
# build/e2e/NAME.json; on failure the failed tasks' messages go to stderr.
run_playbook() {
    local name=$1 rc=0
    shift
    ANSIBLE_STDOUT_CALLBACK=ansible.posix.json ansible-playbook -i "$apps_inventory" "$@" \
        >"$OME_K8S_E2E_DIR/$name.json" || rc=$?
    if ((rc != 0)); then
        python3 tools/e2e/changed.py --failed "$OME_K8S_E2E_DIR/$name.json" >&2 || true
        return "$rc"
    fi
}

# omero_server_ready runs on the first control plane (omero_server_ready_delegate_host) and needs
# omero-py with zeroc-ice 3.6 there (docs/readiness-omero.md): the venv of the OMERO tests, copied as a
# site would install it.
omero_py() {
    bash tools/test-servers/omero-venv.sh >/dev/null
    docker exec "$cp" test -x /opt/ome-k8s-tests/omero-venv/bin/python ||
        docker cp /opt/ome-k8s-tests "$cp":/opt/
}

# The applications' host names (molecule/e2e/apps) at the control plane, whose NodePort 30080 is the
# Gateway, in this machine's /etc/hosts between two marker lines: the readiness modules run here and
# reach OMERO.web and Redmine through the Gateway by name, as a site's DNS would resolve them.
hosts_begin="# >>> ome.k8s e2e"
hosts_end="# <<< ome.k8s e2e"
# Rewritten in place, not replaced: /etc/hosts may be a mount point.
remove_host_names() {
    local kept
    kept=$(sed "/^$hosts_begin\$/,/^$hosts_end\$/d" /etc/hosts)
    printf '%s\n' "$kept" >/etc/hosts
}
add_host_names() {
    local ip
    ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cp")
    remove_host_names
    printf '%s\n%s omero.e2e.test redmine.e2e.test training.e2e.test\n%s\n' "$hosts_begin" "$ip" "$hosts_end" >>/etc/hosts
}

apps() {
    add_host_names
    run_playbook apps playbooks/apps.yml
    apps_ready=$(python3 tools/e2e/changed.py --ready "$OME_K8S_E2E_DIR/apps.json")
    say "ready: ${apps_ready//$'\n'/, }"
}

apps_rerun() {
    run_playbook apps-rerun playbooks/apps.yml
    apps_rerun_changed=$(python3 tools/e2e/changed.py "$OME_K8S_E2E_DIR/apps-rerun.json")
    say "second apps.yml run: $apps_rerun_changed changed"
}

apps_check() {
    run_playbook apps-check playbooks/apps.yml --check --diff
    apps_check_changed=$(python3 tools/e2e/changed.py "$OME_K8S_E2E_DIR/apps-check.json")
    say "apps.yml --check --diff: $apps_check_changed changed"
}

write_summary() {
    local nodes ready
    nodes=$(kubectl_cp get nodes -o name | wc -l)
    ready=$(nodes_ready)
    local name timings=()
    for name in "${phase_order[@]}"; do timings+=("$name=${phases[$name]}"); done
    python3 - "$OME_K8S_E2E_DIR/summary.json" "$nodes" "$ready" "${rerun_changed:--1}" "${check_changed:--1}" \
        "${bare_to_ready:--1}" "${apps_ready:-}" "${apps_rerun_changed:--1}" "${apps_check_changed:--1}" \
        "$(printf '%s\n' "${day2_passed[@]}")" "${timings[@]}" <<'PY'
import json, sys
path, nodes, ready, changed, check_changed, bare_to_ready, apps_ready, apps_changed, apps_check, day2, *timings = sys.argv[1:]
phases = dict(timing.split("=", 1) for timing in timings)


def count(text):
    """A count, or None for a phase that did not run (-1)."""
    return int(text) if int(text) >= 0 else None


summary = {
    "nodes": int(nodes),
    "nodes_ready": int(ready),
    "cluster_rerun_changed": count(changed),
    "cluster_check_changed": count(check_changed),
    "bare_to_ready_seconds": count(bare_to_ready),
    "apps_ready": apps_ready.split("\n") if apps_ready else [],
    "apps_rerun_changed": count(apps_changed),
    "apps_check_changed": count(apps_check),
    "day2_passed": day2.split(),
    "phases": {name: int(seconds) for name, seconds in phases.items()},
}
with open(path, "w") as out:
    json.dump(summary, out, indent=2)
    out.write("\n")
print(json.dumps(summary, indent=2))
PY
}

run_apps() {
    phase apps_omero_py omero_py
    phase apps apps
    write_summary
    phase apps_rerun apps_rerun
    phase apps_check apps_check
    write_summary
    [[ $apps_rerun_changed == 0 && $apps_check_changed == 0 ]] ||
        die "apps.yml is not idempotent: $apps_rerun_changed changed on the second run, $apps_check_changed under --check"
    run_day2
    write_summary
}

[[ $(id -u) == 0 ]] || die "run as root (Docker, test images)"
mkdir -p "$OME_K8S_E2E_DIR"
case ${1:-all} in
    down)
        molecule destroy -s "$scenario"
        remove_host_names
        exit 0
        ;;
    apps)
        [[ -f $OME_K8S_E2E_DIR/kubeconfig ]] || die "no kept cluster: run E2E_KEEP=1 make e2e first"
        phase collection bash tools/test.sh build
        run_apps
        exit 0
        ;;
    day2)
        [[ -f $OME_K8S_E2E_DIR/kubeconfig ]] || die "no kept cluster: run E2E_KEEP=1 make e2e first"
        phase collection bash tools/test.sh build
        run_day2 "${@:2}"
        exit 0
        ;;
    all) ;;
    *) die "usage: $0 [all|apps|day2|down]" ;;
esac
rm -f "$OME_K8S_E2E_DIR/summary.json"
phase artifacts artifacts
phase images images
phase testhosts tools/testhosts/ensure.sh 12 13
phase collection bash tools/test.sh build
phase destroy_old molecule destroy -s "$scenario"
bare=$SECONDS
phase create molecule create -s "$scenario"
phase prepare molecule prepare -s "$scenario" --force
phase cluster molecule converge -s "$scenario"
phase ready wait_ready
bare_to_ready=$((SECONDS - bare))
write_kubeconfig
phase cluster_rerun rerun
# Written before the checks too, so that a failing check still leaves the figures.
write_summary
phase verify molecule verify -s "$scenario"
phase cluster_check check_run
write_summary
[[ $rerun_changed == 0 && $check_changed == 0 ]] ||
    die "cluster.yml is not idempotent: $rerun_changed changed on the second run, $check_changed under --check"
run_apps
phase reset molecule side-effect -s "$scenario"
phase reset_clean check_clean
phase rebuild_interrupted interrupted_run
phase rebuild_worker_cut_off worker_cut_off
phase rebuild molecule converge -s "$scenario"
phase rebuild_ready wait_ready
write_summary
if [[ ${E2E_KEEP:-0} == 1 ]]; then
    say "kept: KUBECONFIG=$OME_K8S_E2E_DIR/kubeconfig kubectl get nodes; make e2e-down removes it"
else
    molecule destroy -s "$scenario"
    remove_host_names
fi
