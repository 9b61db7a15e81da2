# shellcheck shell=bash
# make e2e, day-2 work on the applications apps.yml converged: sourced by tools/e2e/run.sh, whose say, die,
# kubectl_cp and run_playbook it uses. Each step runs a playbook of the collection as a sysadmin would and
# then checks the cluster itself, not the playbook's word; the names of the steps that passed go into
# build/e2e/summary.json (`day2_passed`).

day2_passed=()
passed() {
    day2_passed+=("$1")
    say "passed: $1"
}

# psql NAMESPACE INSTANCE SQL: one statement in the instance's PostgreSQL pod, as its admin user (the
# container's POSTGRES_USER), on database omero; unaligned tuples on stdout.
psql_in() {
    # The SQL goes in as a positional argument of the pod's shell, so no quoting of it reaches a command line.
    # shellcheck disable=SC2016
    kubectl_cp -n "$1" exec "$2-postgresql-0" -c postgresql -- sh -c \
        'PGPASSWORD=$POSTGRES_PASSWORD psql -h 127.0.0.1 -U "$POSTGRES_USER" -d omero -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"' \
        psql "$3"
}

# A digest of every Secret's data in the namespaces given: equal digests mean equal values, and no value is
# ever printed.
secrets_digest() {
    local ns
    for ns in "$@"; do
        kubectl_cp -n "$ns" get secrets -o jsonpath='{range .items[*]}{.metadata.name}={.data}{"\n"}{end}'
    done | sha256sum | cut -d' ' -f1
}

# expect_refusal NAME TEXT PLAYBOOK ARGS...: the playbook must fail, and its failure must say TEXT.
expect_refusal() {
    local name=$1 text=$2 failures
    shift 2
    if run_playbook "$name" "$@" 2>/dev/null; then
        die "$name: the playbook went ahead; it must refuse"
    fi
    failures=$(python3 tools/e2e/changed.py --failed "$OME_K8S_E2E_DIR/$name.json")
    grep -qF -- "$text" <<<"$failures" || die "$name: refused without saying '$text': $failures"
}

# The collection's NetworkPolicies on a cluster that enforces them (tools/e2e/netpol: kube-router's firewall,
# a test-only enforcer; flannel enforces none). Each component reaches what it needs; OMERO.web does not reach
# PostgreSQL; a pod of another namespace reaches neither database nor Redis, but does reach OMERO.server's
# open client port, which shows that its refusals are the policies' doing. omero.yml then runs with the
# policies in force (its schema check runs in the database pod), as do the steps after this one.
day2_network_policies() {
    local target
    # shellcheck disable=SC2154 # cp (the control plane's container) is run.sh's.
    docker exec -i "$cp" kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f - \
        <tools/e2e/netpol/kube-router.yaml >/dev/null
    kubectl_cp -n kube-system rollout status daemonset/e2e-netpol --timeout=300s >/dev/null ||
        die "the NetworkPolicy enforcer did not start: $(kubectl_cp -n kube-system logs daemonset/e2e-netpol --tail=20 2>&1)"
    kubectl_cp create namespace e2e-outsider >/dev/null 2>&1 || true
    kubectl_cp -n e2e-outsider run outsider --image=ome-k8s.local/e2e-probe:1 --image-pull-policy=Never \
        --restart=Never -- serve >/dev/null 2>&1 || true
    kubectl_cp -n e2e-outsider wait --for=condition=Ready pod/outsider --timeout=120s >/dev/null
    # Long enough for the enforcer to have seen the new pod (it syncs on every pod change).
    sleep 10

    connects_from outsider e2e-outsider omero-server.omero.svc:4064 ||
        die "a pod of another namespace cannot reach OMERO.server's open port: the probe cannot tell a policy's refusal"
    for target in omero-postgresql.omero.svc:5432 omero-redis.omero.svc:6379 redmine-postgresql.redmine.svc:5432 \
        omero-training-postgresql.omero-training.svc:5432; do
        ! connects_from outsider e2e-outsider "$target" || die "a pod of another namespace reached $target"
    done
    passed network_policies_keep_other_namespaces_out

    connects_from deploy/omero-web omero omero-redis:6379 || die "OMERO.web cannot reach Redis"
    connects_from deploy/omero-web omero omero-server:4064 || die "OMERO.web cannot reach OMERO.server"
    ! connects_from deploy/omero-web omero omero-postgresql:5432 || die "OMERO.web reached PostgreSQL"
    connects_from omero-server-0 omero omero-postgresql:5432 || die "OMERO.server cannot reach PostgreSQL"
    passed network_policies_let_each_component_reach_its_own

    run_playbook netpol-omero playbooks/omero.yml
    passed omero_converges_with_policies_enforced
}

# connects_from POD NAMESPACE HOST:PORT: a TCP connection from POD (or deploy/NAME) opens within 5 s. The
# probe pod has /probe; the applications' images have Python.
connects_from() {
    if [[ $1 == outsider ]]; then
        kubectl_cp -n "$2" exec "$1" -- /probe connect "$3" >/dev/null 2>&1
    else
        kubectl_cp -n "$2" exec "$1" -- python3 -c \
            'import socket, sys; h, p = sys.argv[1].rsplit(":", 1); socket.create_connection((h, int(p)), 5)' \
            "$3" >/dev/null 2>&1
    fi
}

# A schema upgrade behind a backup (roles/omero_server/tasks/db_*.yml). The database is made to look one
# release older and the server's configuration changed, as a new image tag would roll it out: without
# omero_server_allow_db_upgrade the rollout is refused and nothing changes; with it, the backup Job runs,
# its dump is read back by pg_restore --list, and only then does the new server start and upgrade the schema
# (the stand-in's start does what the image's `omego db upgrade` does).
day2_upgrade() {
    local config='{"omero_server_config": {"omero.upgrades.url": ""}}' before job
    psql_in omero omero "UPDATE dbpatch SET currentversion = 'OMERO5.3'
        WHERE id = (SELECT max(id) FROM dbpatch WHERE finished IS NOT NULL)" >/dev/null
    before=$(kubectl_cp -n omero get statefulset omero-server -o jsonpath='{.metadata.generation}')
    expect_refusal upgrade-refused "Set omero_server_allow_db_upgrade: true" playbooks/omero.yml -e "$config"
    [[ $(kubectl_cp -n omero get statefulset omero-server -o jsonpath='{.metadata.generation}') == "$before" ]] ||
        die "the refused upgrade changed the OMERO.server StatefulSet"
    passed upgrade_refused_without_consent

    run_playbook upgrade playbooks/omero.yml -e "$config" -e omero_server_allow_db_upgrade=true
    job=$(kubectl_cp -n omero get jobs -l app.kubernetes.io/component=db-backup \
        -o jsonpath='{range .items[?(@.status.succeeded==1)]}{.metadata.name}{"\n"}{end}' | tail -n 1)
    [[ -n $job ]] || die "no succeeded backup Job in namespace omero"
    kubectl_cp -n omero logs "job/$job" | grep '^verified /backups/omero-.*\.pgdump$' >/dev/null ||
        die "the backup Job $job did not report a dump read back by pg_restore --list"
    [[ $(psql_in omero omero "SELECT previousversion || ' ' || currentversion FROM dbpatch
            WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1") == "OMERO5.3 OMERO5.4" ]] ||
        die "the new OMERO.server did not upgrade the schema after the backup"
    passed upgrade_behind_verified_backup
}

# omero_restore.yml: a dump of production's database, taken here as a sysadmin would, loaded into the
# training namespace; a marker table written into production before the dump must be there afterwards.
day2_restore() {
    local dump=$OME_K8S_E2E_DIR/omero.pgdump
    psql_in omero omero "CREATE TABLE IF NOT EXISTS e2e_marker (note text);
        TRUNCATE e2e_marker; INSERT INTO e2e_marker VALUES ('restored from omero')" >/dev/null
    # shellcheck disable=SC2016
    kubectl_cp -n omero exec omero-postgresql-0 -c postgresql -- sh -c \
        'PGPASSWORD=$POSTGRES_PASSWORD pg_dump -h 127.0.0.1 -U "$POSTGRES_USER" --format=custom omero' >"$dump"
    run_playbook restore playbooks/omero_restore.yml -e omero_restore_namespace=omero-training \
        -e omero_restore_confirm=omero-training -e "omero_restore_dump=$dump"
    [[ $(psql_in omero-training omero-training "SELECT note FROM e2e_marker") == "restored from omero" ]] ||
        die "the training database does not hold production's data after omero_restore.yml"
    passed restore_into_training
}

# training_reset.yml: the guard refuses another application's namespace and leaves its volumes alone; the
# reset empties the training database, keeps the backup volumes, and provisions the accounts again.
day2_training_reset() {
    local redmine_pvcs backups
    redmine_pvcs=$(kubectl_cp -n redmine get pvc -o name | sort)
    expect_refusal reset-refused "it belongs to" playbooks/training_reset.yml \
        -e omero_training_namespace=redmine -e omero_training_reset_confirm=redmine
    [[ $(kubectl_cp -n redmine get pvc -o name | sort) == "$redmine_pvcs" ]] ||
        die "the refused training reset changed Redmine's volumes"
    passed training_reset_refuses_redmine

    backups=$(kubectl_cp -n omero-training get pvc -o name | grep -- '-backup$' | sort || true)
    run_playbook training-reset playbooks/training_reset.yml -e omero_training_reset_confirm=omero-training
    [[ -z $(psql_in omero-training omero-training "SELECT to_regclass('e2e_marker')") ]] ||
        die "training_reset.yml left the restored data in the training database"
    [[ $(kubectl_cp -n omero-training get pvc -o name | grep -- '-backup$' | sort || true) == "$backups" ]] ||
        die "training_reset.yml removed a backup volume"
    # grep reads to the end (no -q): an early exit would break the pipe under pipefail.
    python3 tools/e2e/changed.py --ready "$OME_K8S_E2E_DIR/training-reset.json" | grep '^omero_server_ready ' >/dev/null ||
        die "the training server was not ready again after the reset"
    passed training_reset
}

# omero_web_replicas up and down: the Deployment converges to each count, every replica ready once its
# rollout is done.
day2_scale() {
    local replicas ready
    for replicas in 3 2; do
        run_playbook "scale-$replicas" playbooks/omero.yml -e "omero_web_replicas=$replicas"
        # omero_web_ready needs one replica answering, not all: the new ones may still be starting.
        kubectl_cp -n omero rollout status deployment/omero-web --timeout=300s >/dev/null
        ready=$(kubectl_cp -n omero get deployment omero-web -o jsonpath='{.status.readyReplicas}/{.status.replicas}')
        [[ $ready == "$replicas/$replicas" ]] || die "omero-web has $ready replicas ready, expected $replicas"
    done
    passed omero_web_scaled_3_then_2
}

# The API server unreachable from this machine in the middle of apps.yml (the cluster itself keeps working):
# this machine's connections to 6443 are rejected once the run is under way. The run must stop with an
# error that names the API server, not a stack trace, and the next run must converge.
day2_api_unreachable() {
    local gateway pid rc=0 failures
    local rule=(INPUT -p tcp --dport 6443 -j REJECT --reject-with tcp-reset)
    # cp (the control plane's container) is run.sh's.
    # shellcheck disable=SC2154
    gateway=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$cp")
    run_playbook api-unreachable playbooks/apps.yml 2>/dev/null &
    pid=$!
    sleep 30
    docker exec "$cp" iptables -I "${rule[0]}" -s "$gateway" "${rule[@]:1}"
    wait "$pid" || rc=$?
    docker exec "$cp" iptables -D "${rule[0]}" -s "$gateway" "${rule[@]:1}"
    ((rc != 0)) || die "apps.yml went on without the API server"
    failures=$(python3 tools/e2e/changed.py --failed "$OME_K8S_E2E_DIR/api-unreachable.json")
    grep -Eq '(:|port=)6443' <<<"$failures" || die "the failure names no API server address: $failures"
    ! grep -q 'Traceback' <<<"$failures" || die "the failure is a stack trace: $failures"
    say "the API server cut off mid-run: ${failures%%$'\n'*}"
    run_playbook api-unreachable-rerun playbooks/apps.yml
    passed api_unreachable_then_converges
}

# OMERO.server's pod never becomes ready (its image cannot be had: pull policy Never, a tag no node holds):
# omero_server_ready must fail with its state and last error once its timeout is up, and the next run with
# the right tag must converge.
day2_pod_never_ready() {
    local failures
    expect_refusal never-ready "not ready" playbooks/omero.yml \
        -e omero_server_image_tag=5.6.18-missing -e omero_server_wait_timeout=60
    failures=$(python3 tools/e2e/changed.py --failed "$OME_K8S_E2E_DIR/never-ready.json")
    grep -q 'Wait until OMERO.server accepts a login' <<<"$failures" ||
        die "the run did not stop at omero_server_ready: $failures"
    ! grep -q 'Traceback' <<<"$failures" || die "omero_server_ready failed with a stack trace: $failures"
    say "a server that never became ready: ${failures%%$'\n'*}"
    run_playbook never-ready-rerun playbooks/omero.yml
    passed readiness_fails_with_the_last_error
}

# Centralised logging (cluster_addons_logging, on in the e2e inventory): vlagent on every node, the store
# victoria-logs. The store is queried as docs/cluster.md tells a sysadmin, through a port-forward from this
# machine with the generated password (kept in a variable, never printed). Checks: a request's lines from
# OMERO.web, its nginx and Redmine are found with their namespace and app label within 30 s, and omero's
# PostgreSQL has lines there; the store refuses a query without the password; every line a pod wrote while its
# node's collector was stopped arrives, and all but 2 s of them across the node's restart; the collector's CPU
# and memory. Last of the steps: it restarts a worker.
logs_port=19428
logs_forward_pid=""
# logs_forward: a port-forward from this machine to the store, opened again whenever called (one that reached
# a pod which has since restarted no longer carries anything). After a node's restart the store's pod may still
# look ready and restart once more: a forward that does not answer within 10 s is opened again, for 2 minutes.
logs_forward() {
    local start=$SECONDS tried
    while ((SECONDS - start < 120)); do
        [[ -z $logs_forward_pid ]] || kill "$logs_forward_pid" 2>/dev/null || true
        "$OME_K8S_E2E_ARTIFACTS/bin/kubectl" --kubeconfig "$OME_K8S_E2E_DIR/kubeconfig" -n ome-logging \
            port-forward svc/victoria-logs "$logs_port:9428" >/dev/null 2>&1 &
        logs_forward_pid=$!
        tried=$SECONDS
        while ((SECONDS - tried < 10)); do
            curl -sf --max-time 2 "http://127.0.0.1:$logs_port/health" >/dev/null && return 0
            sleep 1
        done
    done
    die "no port-forward to victoria-logs"
}
logs_query() {
    curl -sf --max-time 10 -u "logs:$logs_password" "http://127.0.0.1:$logs_port/select/logsql/query" \
        --data-urlencode "query=$1"
}

# logs_counted NODE WORD RUNS MAX_MISSING: within 2 minutes, the store holds every numbered line of the counter's
# RUNS runs on NODE's log files (kubelet keeps the previous container's log) but at most MAX_MISSING.
logs_counted() {
    local node=$1 word=$2 runs=$3 max_missing=$4 start=$SECONDS
    docker exec "$node" sh -c 'cat /var/log/pods/e2e-logging_counter_*/counter/*.log' >"$OME_K8S_E2E_DIR/logging-node-files.log" ||
        die "no log files of the counter on $node"
    until logs_query "_time:30m $word" >"$OME_K8S_E2E_DIR/logging-counter.json" &&
        python3 - "$word" "$runs" "$max_missing" "$OME_K8S_E2E_DIR/logging-node-files.log" \
            "$OME_K8S_E2E_DIR/logging-counter.json" <<'PY'; do
import json, sys
word, runs, max_missing, files, stored = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:]
# CRI log lines: "<time> stdout F <message>"; the counter's message: "<word> <run> <number>".
on_node = {line.split(" ", 3)[3].strip() for line in open(files) if word in line}
in_store = {json.loads(line)["_msg"].strip() for line in open(stored) if line.strip()}
seen_runs = {m.split()[1] for m in on_node}
missing = sorted(on_node - in_store, key=lambda m: (m.split()[1], int(m.split()[2])))
print("e2e: %d numbered lines on the node in %d run(s), %d in the store, %d missing%s"
      % (len(on_node), len(seen_runs), len(in_store & on_node), len(missing),
         " (%s to %s)" % (missing[0], missing[-1]) if missing else ""), file=sys.stderr)
sys.exit(1 if len(missing) > max_missing or len(seen_runs) < runs else 0)
PY
        ((SECONDS - start <= 120)) || return 1
        sleep 5
    done
}

day2_logging() {
    local ns=ome-logging nodes ready marker start code node=ome-k8s-e2e-w1 word
    nodes=$(molecule_hosts | wc -l)
    kubectl_cp -n "$ns" rollout status statefulset/victoria-logs --timeout=300s >/dev/null
    kubectl_cp -n "$ns" rollout status daemonset/vlagent --timeout=300s >/dev/null
    ready=$(kubectl_cp -n "$ns" get daemonset vlagent -o jsonpath='{.status.numberReady}')
    [[ $ready == "$nodes" ]] || die "vlagent is ready on $ready of $nodes nodes"
    logs_password=$(kubectl_cp -n "$ns" get secret victoria-logs-auth -o jsonpath='{.data.password}' | base64 -d)
    [[ -n $logs_password ]] || die "Secret $ns/victoria-logs-auth has no password"
    # shellcheck disable=SC2016 # the pid when the function returns
    trap 'kill "$logs_forward_pid" 2>/dev/null || true; trap - RETURN' RETURN
    logs_forward
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$logs_port/select/logsql/query" \
        --data-urlencode 'query=*')
    [[ $code == 401 ]] || die "the store answered a query without the password with HTTP $code"

    # One word for LogsQL: no hyphen. The requests go through Traefik to OMERO.web's nginx and Django, and to
    # Redmine's login page: each logs its path, nginx in its access log (Redmine logs nothing for a path it
    # has no route for).
    marker=e2emark$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
    curl -s -o /dev/null --max-time 10 "http://omero.e2e.test:30080/$marker" || true
    curl -s -o /dev/null --max-time 10 "http://redmine.e2e.test:30080/login?e2e=$marker" || true
    start=$SECONDS
    until logs_query "_time:10m $marker" >"$OME_K8S_E2E_DIR/logging-request.json" &&
        python3 - "$OME_K8S_E2E_DIR/logging-request.json" <<'PY'; do
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
want = {("omero", "omero-web", "omero-web"), ("omero", "omero-web", "nginx"), ("redmine", "redmine", "redmine")}
found = {(r.get("kubernetes.pod_namespace"), r.get("kubernetes.pod_labels.app.kubernetes.io/name"),
          r.get("kubernetes.container_name")): r["_msg"] for r in rows}
if not want <= found.keys():
    sys.exit(1)
for (namespace, app, container), message in sorted(found.items()):
    print("e2e: %s/%s (app %s): %s" % (namespace, container, app, message[:140]), file=sys.stderr)
PY
        ((SECONDS - start <= 30)) ||
            die "the request's lines of omero-web, its nginx and redmine, with namespace and app label, were not all in the store within 30 s: $(head -c 2000 "$OME_K8S_E2E_DIR/logging-request.json")"
        sleep 1
    done
    say "the request's log lines were found after $((SECONDS - start)) s"
    logs_query '_time:1h kubernetes.pod_namespace:=omero kubernetes.container_name:=postgresql | limit 1' |
        grep -q . || die "no line of omero's PostgreSQL in the store"

    word=e2eseq$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
    kubectl_cp create namespace e2e-logging >/dev/null 2>&1 || true
    kubectl_cp -n e2e-logging run counter --image=ome-k8s.local/e2e-probe:1 --image-pull-policy=Never \
        --overrides="{\"apiVersion\": \"v1\", \"spec\": {\"nodeName\": \"$node\"}}" -- count "$word" >/dev/null
    kubectl_cp -n e2e-logging wait --for=condition=Ready pod/counter --timeout=120s >/dev/null
    sleep 5
    # The collector stopped for 20 s while the counter goes on writing; kubelet then starts it again, and it
    # must go on from its saved read position: every line the counter wrote is in the store.
    docker exec "$node" sh -c 'crictl stop $(crictl ps -q --name vlagent)' >/dev/null
    sleep 20
    kubectl_cp -n "$ns" rollout status daemonset/vlagent --timeout=300s >/dev/null
    logs_counted "$node" "$word" 1 0 || die "lines the counter wrote while the collector on $node was stopped are missing"
    say "the collector stopped for 20 s on $node: no line lost"
    # The node restarted: the counter's first container ends with the node and a second one starts. Lines
    # written before and after must arrive; the few the collector read but had not sent when the node went
    # down are lost (docs/cluster.md). They are counted, and must be fewer than the counter writes in 2 s (20).
    restart_node "$node"
    wait_ready || die "the nodes are not all Ready after $node restarted"
    kubectl_cp -n "$ns" rollout status daemonset/vlagent --timeout=300s >/dev/null
    kubectl_cp -n e2e-logging wait --for=condition=Ready pod/counter --timeout=300s >/dev/null
    kubectl_cp -n "$ns" rollout status statefulset/victoria-logs --timeout=300s >/dev/null
    logs_forward
    sleep 20
    logs_counted "$node" "$word" 2 20 ||
        die "more lines than the counter writes in 2 s are missing after $node restarted"
    kubectl_cp -n e2e-logging delete pod counter --wait=false >/dev/null
    kubectl_cp delete namespace e2e-logging --wait=false >/dev/null
    logging_resources
    passed logging_request_found_and_node_restart_lost_nothing
}

# restart_node HOST: the test host's container restarted, as a reboot of that node. Its cgroup hierarchies come
# back read-only, so they are handed to systemd again as when it was created (molecule/_shared/create.yml),
# and containerd and the kubelet, which started without them, are restarted. The kubelet may have had systemd
# create its kubepods.slice while the hierarchies were read-only: systemd then holds the slice as active without
# its directories, and the kubelet refuses to start until the slice is made again.
restart_node() {
    local start=$SECONDS
    docker restart "$1" >/dev/null
    # systemd answers once it has booted (running, or degraded without the kubelet).
    until docker exec "$1" systemctl is-system-running 2>/dev/null | grep -Eq '^(running|degraded)$'; do
        ((SECONDS - start < 120)) || die "$1 did not boot again within 120 s"
        sleep 2
    done
    docker exec "$1" sh -c 'mount -o remount,bind,rw /sys/fs/cgroup &&
        for hierarchy in $(findmnt -lnt cgroup -o TARGET); do mount -o remount,bind,rw "$hierarchy" || exit 1; done &&
        systemctl stop kubelet kubepods.slice && systemctl daemon-reexec && systemctl restart containerd kubelet' ||
        die "$1 did not come back after its restart"
}

# CPU (millicores) and memory (MiB) of the logging add-on's containers and of the applications', from the
# CRI's stats on every node: the mean of 6 samples 5 s apart, per namespace and container name summed over
# the nodes, into build/e2e/logging-resources.json.
logging_resources() {
    local host sample
    for sample in 1 2 3 4 5 6; do
        for host in $(molecule_hosts); do
            docker exec "$host" crictl stats -o json
        done
        ((sample == 6)) || sleep 5
    done | python3 -c '
import json, sys
decoder, text, pos, rows, samples = json.JSONDecoder(), sys.stdin.read(), 0, {}, int(sys.argv[2])
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    doc, pos = decoder.raw_decode(text, pos)
    for s in doc.get("stats", []):
        meta = s["attributes"]["labels"]
        key = meta.get("io.kubernetes.pod.namespace", "?") + "/" + meta.get("io.kubernetes.container.name", "?")
        cpu = int((s.get("cpu") or {}).get("usageNanoCores", {}).get("value", 0)) / 1e6
        mem = int((s.get("memory") or {}).get("workingSetBytes", {}).get("value", 0)) / 2**20
        if not mem:
            continue  # an exited container, still listed
        old = rows.get(key, [0, 0, 0])
        rows[key] = [old[0] + cpu, old[1] + mem, old[2] + 1]
out = {k: {"cpu_millicores": round(v[0] / samples, 1), "memory_mib": round(v[1] / samples, 1),
           "containers": round(v[2] / samples)} for k, v in sorted(rows.items())}
json.dump(out, open(sys.argv[1], "w"), indent=2)
for group, prefix in (("logging", "ome-logging/"), ("applications", ("omero/", "redmine/", "omero-training/"))):
    sel = [v for k, v in out.items() if k.startswith(prefix)]
    print("e2e: %s: %.0f millicores, %.0f MiB over %d containers" % (group, sum(v["cpu_millicores"] for v in sel),
          sum(v["memory_mib"] for v in sel), sum(v["containers"] for v in sel)), file=sys.stderr)
' "$OME_K8S_E2E_DIR/logging-resources.json" 6
}

# run_day2 [STEP...]: every step (network_policies upgrade restore training_reset scale api_unreachable
# pod_never_ready logging) in that order, or the steps named.
run_day2() {
    local secrets step
    if (($# > 0)); then
        for step in "$@"; do phase "day2_$step" "day2_$step"; done
        return
    fi
    secrets=$(secrets_digest omero redmine)
    phase day2_network_policies day2_network_policies
    phase day2_upgrade day2_upgrade
    phase day2_restore day2_restore
    phase day2_training_reset day2_training_reset
    phase day2_scale day2_scale
    phase day2_api_unreachable day2_api_unreachable
    phase day2_pod_never_ready day2_pod_never_ready
    [[ $(secrets_digest omero redmine) == "$secrets" ]] || die "a generated Secret of omero or redmine changed its value"
    passed secrets_kept
    phase day2_logging day2_logging
}
