"""Readiness latency: how long after a server becomes ready does the waiting task return?

Not a test: prints figures. Run from the repository root (as root, like the integration tests):

    .venv/bin/python tests/bench/readiness_latency.py --runs 20 --target redmine --target postgres

For each target a real server runs behind a TCP proxy in this process. The proxy opens its listening
socket at a random moment after the waiting module has started; that moment is "server ready" (before
it, connections are refused, as for a pod that is not listening yet). "Returned" is the moment the
Ansible controller receives the task result (a small callback plugin written at run time records it).
Each run plays one task with ansible-playbook:

* redmine:  ome.k8s.redmine_ready  vs  ansible.builtin.uri + until/retries/delay: 5
* postgres: ome.k8s.omero_db_status vs community.postgresql.postgresql_ping + until/retries/delay: 5

Printed per target and method: median and p95 of (returned - ready) measured two ways, "exit" (the
module process ended; a watcher polls /proc every 10 ms) and "task" (the controller's callback got the
result, which adds Ansible's own result handling), and the request rate while waiting
((attempts - 1) / (ready - module start)). Target for the ome.k8s modules: median <= 0.5 s, p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The real servers of the integration tests (tests/integration/servers).
sys.path.insert(0, str(REPO / "tests" / "integration"))
servers = importlib.import_module("servers")
pg = importlib.import_module("servers.postgres")
rm = importlib.import_module("servers.redmine")

CALLBACK = """
import json, os, time
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, outcome):
        data = dict(result._result)
        with open(os.environ["BENCH_TIMER_FILE"], "a") as out:
            out.write(json.dumps({"at": time.time(), "outcome": outcome, "result": {
                key: data.get(key) for key in ("attempts", "elapsed", "state", "ready", "status", "is_available", "msg")
            }}) + "\\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")
"""

PLAYBOOK = """
- name: Bench
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait
      {task}
"""

TASKS = {
    ("redmine", "ome.k8s"): (
        "redmine_ready",
        """ome.k8s.redmine_ready:
        url: "{url}"
        timeout: 120
        interval: {interval}""",
    ),
    ("redmine", "uri+until"): (
        "uri",
        """ansible.builtin.uri:
        url: "{url}/login"
        status_code: 200
      register: __bench
      until: __bench.status == 200
      retries: 30
      delay: 5""",
    ),
    ("postgres", "ome.k8s"): (
        "omero_db_status",
        """ome.k8s.omero_db_status:
        login_host: 127.0.0.1
        port: {port}
        login_user: omero
        login_password: "{password}"
        db: omero_current
        timeout: 120
        interval: {interval}""",
    ),
    ("postgres", "ping+until"): (
        "postgresql_ping",
        """community.postgresql.postgresql_ping:
        login_host: 127.0.0.1
        port: {port}
        login_user: omero
        login_password: "{password}"
        db: omero_current
      register: __bench
      until: __bench.is_available
      retries: 30
      delay: 5""",
    ),
}


class ControlledProxy:
    """Forwards 127.0.0.1:port to an upstream port; listens only from open() on (that is "ready")."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.port = servers.free_port()
        self.sock = None
        self.ready_at = None
        self.connections = 0

    def open(self):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self.ready_at = time.time()
        self.sock = sock
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self):
        if self.sock:
            self.sock.close()


class ExitWatcher:
    """Records every moment a module process for `module_name` ends.

    Looks for a new module process every 50 ms (a /proc scan), then checks only that PID every 5 ms, so
    the watcher itself takes little CPU from the module it measures.
    """

    def __init__(self, module_name):
        self.module_name = module_name
        self.exits = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        pid = None
        while not self.stop.is_set():
            if pid is None:
                pids = servers.module_pids(self.module_name)
                pid = pids[0] if pids else None
                time.sleep(0 if pid else 0.05)
            elif servers.pid_alive(pid):
                time.sleep(0.005)
            else:
                self.exits.append(time.time())
                pid = None

    def last_exit_before(self, moment):
        self.stop.set()
        self.thread.join()
        earlier = [at for at in self.exits if at <= moment]
        return earlier[-1] if earlier else None


def one_run(workdir, target, method, upstream, *, delay_range, interval):
    module_name, task = TASKS[(target, method)]
    proxy = ControlledProxy(upstream)
    playbook = workdir / "bench.yml"
    playbook.write_text(
        PLAYBOOK.format(
            task=task.format(
                url="http://127.0.0.1:%d" % proxy.port, port=proxy.port, password=pg.OMERO_PASSWORD, interval=interval
            )
        )
    )
    timer = workdir / "timer.jsonl"
    timer.unlink(missing_ok=True)
    env = servers.ansible_env(
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_CALLBACK_PLUGINS=str(workdir / "callbacks"),
        ANSIBLE_CALLBACKS_ENABLED="bench_timer",
        BENCH_TIMER_FILE=str(timer),
    )
    play = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
            str(playbook),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        servers.wait_until(
            lambda: servers.module_process_running(module_name), 120, "the module to start", interval=0.05
        )
        started = time.time()
        watcher = ExitWatcher(module_name)
        time.sleep(random.uniform(*delay_range))
        proxy.open()
        play.wait(300)
    finally:
        if play.poll() is None:
            play.kill()
        proxy.close()
    records = [json.loads(line) for line in timer.read_text().splitlines()] if timer.exists() else []
    if not records or records[-1]["outcome"] != "ok":
        raise RuntimeError("%s/%s run failed: %s" % (target, method, records))
    record = records[-1]
    waited = proxy.ready_at - started
    attempts = record["result"].get("attempts") or 1
    exited = watcher.last_exit_before(record["at"])
    return dict(
        latency=record["at"] - proxy.ready_at,
        # A module process that lived less than the watcher's 50 ms scan is missed: no exit figure then.
        exit_latency=(exited - proxy.ready_at) if exited and exited >= proxy.ready_at else float("nan"),
        attempts=attempts,
        rate=(attempts - 1) / waited if waited > 0 else 0.0,
    )


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summarise(target, method, runs):
    task = [run["latency"] for run in runs]
    exits = [run["exit_latency"] for run in runs if run["exit_latency"] == run["exit_latency"]]
    rates = [run["rate"] for run in runs]
    return (
        "%-9s %-11s runs %3d | exit: median %6.3f s p95 %6.3f s | task: median %6.3f s p95 %6.3f s max %6.3f s"
        " | requests/s while waiting %5.2f"
        % (
            target,
            method,
            len(runs),
            statistics.median(exits) if exits else float("nan"),
            p95(exits) if exits else float("nan"),
            statistics.median(task),
            p95(task),
            max(task),
            statistics.mean(rates),
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--target", action="append", choices=["redmine", "postgres"])
    parser.add_argument("--min-delay", type=float, default=2.0, help="earliest ready moment after module start")
    parser.add_argument("--max-delay", type=float, default=8.0, help="latest ready moment after module start")
    parser.add_argument("--interval", type=float, default=0.5, help="interval option of the ome.k8s modules")
    args = parser.parse_args()
    # Stopped with SIGTERM: unwind, so the servers are stopped and the temporary files removed.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    targets = args.target or ["redmine", "postgres"]
    random.seed(20261124)

    with tempfile.TemporaryDirectory(prefix="ome-k8s-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "callbacks").mkdir()
        (workdir / "callbacks" / "bench_timer.py").write_text(CALLBACK)
        lines = []
        for target in targets:
            with server_for(target, workdir) as upstream:
                methods = [method for (name, method) in TASKS if name == target]
                results = {method: [] for method in methods}
                skipped = dict.fromkeys(methods, 0)
                for number in range(args.runs):
                    for method in methods:
                        # A run whose first attempt already found the server measures the module's start-up
                        # on a busy host, not how fast it notices a server: run it again (at most 5 times).
                        for _try in range(5):
                            run = one_run(
                                workdir,
                                target,
                                method,
                                upstream,
                                delay_range=(args.min_delay, args.max_delay),
                                interval=args.interval,
                            )
                            if run["attempts"] > 1:
                                break
                            skipped[method] += 1
                        results[method].append(run)
                        print(
                            "%s %-11s run %2d: exit %.3f s, task %.3f s after ready, %d attempts, %.2f requests/s"
                            % (
                                target,
                                method,
                                number + 1,
                                run["exit_latency"],
                                run["latency"],
                                run["attempts"],
                                run["rate"],
                            ),
                            flush=True,
                        )
                for method in methods:
                    if skipped[method]:
                        print(
                            "%s %s: %d runs redone (ready before the first attempt)" % (target, method, skipped[method])
                        )
                for method in methods:
                    lines.append(summarise(target, method, results[method]))
        print(
            "\nreturned - ready (lower is better); ome.k8s interval %s s; host load average %.1f"
            % (args.interval, os.getloadavg()[0])
        )
        for line in lines:
            print(line)


@contextlib.contextmanager
def server_for(target, workdir):
    """Start the real server for `target`; yield its port."""
    if target == "redmine":
        cache = REPO / ".pytest_cache" / "d" / rm.cache_name()
        cache.mkdir(parents=True, exist_ok=True)
        server = rm.RedmineServer(workdir / "redmine")
        try:
            server.prepare(cache).start()
            yield server.port
        finally:
            server.stop()
        return
    with pg.postgres_base() as base:
        server = pg.PostgresServer(base / "cluster").init().start()
        try:
            pg.load_schema_databases(server)
            yield server.port
        finally:
            server.stop("immediate")


if __name__ == "__main__":
    main()
