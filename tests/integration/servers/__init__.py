"""Real servers for the integration tests, started by pytest fixtures.

Each module here holds one kind of server and the fixtures that start it. tests/integration/conftest.py
imports the fixtures from every module, so adding a server means adding a module and one import line
there.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = REPO / ".venv" / "bin"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port, host="127.0.0.1", timeout=0.2):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout, what, interval=0.1):
    """Poll `predicate` until true; raise TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError("%s did not happen within %s s" % (what, timeout))


def collections_path():
    """Where ome.k8s is installed: $ANSIBLE_COLLECTIONS_PATH when set (make test), else the source tree."""
    return os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(REPO / ".ansible" / "collections")


def ansible_env(**extra):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_NOCOLOR="1",
    )
    env.update(extra)
    return env


def module_pids(fqcn):
    """PIDs of the module processes ansible runs for `fqcn` (AnsiballZ_<name>.py) right now."""
    needle = ("AnsiballZ_%s.py" % fqcn.rsplit(".", 1)[-1]).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as cmdline:
                if needle in cmdline.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def module_process_running(fqcn):
    """Whether a module process for `fqcn` exists right now."""
    return bool(module_pids(fqcn))


def pid_alive(pid):
    """Whether `pid` is still running (a zombie counts as ended)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def after_module_starts(fqcn, action, delay=0.0, timeout=120):
    """A thread that runs `action()` `delay` seconds after the `fqcn` module process appears.

    Returns (thread, times): times["module_seen"], times["action_done"] and times["module_gone"] (the
    module process has exited: an upper bound of when it saw the change) are time.monotonic() values.
    Ansible takes seconds to start on a busy host, so "after N seconds" must count from the module.
    """
    times = {}

    def run():
        pids = []
        wait_until(lambda: pids.extend(module_pids(fqcn)) or pids, timeout, "module %s to start" % fqcn, interval=0.05)
        times["module_seen"] = time.monotonic()
        time.sleep(delay)
        action()
        times["action_done"] = time.monotonic()
        # Only that PID is watched from now on: cheap enough to poll often.
        wait_until(lambda: not pid_alive(pids[0]), timeout, "module %s to exit" % fqcn, interval=0.005)
        times["module_gone"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, times


def run_module(fqcn, args, timeout=300, check_mode=False):
    """Run a module by FQCN on localhost through the `ansible` command; return its result dict.

    The result gets `failed` as ansible reports it. Arguments travel as JSON on the command line, so
    only test credentials may be passed.
    """
    ansible = shutil.which("ansible", path=str(VENV_BIN)) or "ansible"
    proc = subprocess.run(
        [ansible, "localhost", "-m", fqcn, "-a", json.dumps(args), *(["--check"] if check_mode else [])],
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return ansible_result(proc)


def ansible_result(proc):
    """The task result of a one-task `ansible localhost` run made with the json callback."""
    try:
        output = json.loads(proc.stdout)
        result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(
            "ansible gave no JSON result (rc %s): %s\nstdout: %s\nstderr: %s"
            % (proc.returncode, exc, proc.stdout[-2000:], proc.stderr[-2000:])
        ) from None
    result.setdefault("failed", False)
    return result


def stop_process(process, grace=20):
    """Terminate a child process, killing it if it has not exited after `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(grace)


def run_modules(fqcn, args_list, timeout=600):
    """Run `fqcn` once per argument dict in one ansible-playbook (one Ansible start-up for all).

    Returns the results in order, each with `failed` as ansible reports it.
    """
    tasks = [{"name": "Run %d" % number, fqcn: args, "ignore_errors": True} for number, args in enumerate(args_list)]
    play = [{"name": "Readiness modules", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    playbook_cmd = shutil.which("ansible-playbook", path=str(VENV_BIN)) or "ansible-playbook"
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as playbook:
        json.dump(play, playbook)
    try:
        proc = subprocess.run(
            [playbook_cmd, playbook.name],
            env=ansible_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        os.unlink(playbook.name)
    try:
        output = json.loads(proc.stdout)
        results = [task["hosts"]["localhost"] for task in output["plays"][0]["tasks"]]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(
            "ansible-playbook gave no JSON result (rc %s): %s\nstdout: %s\nstderr: %s"
            % (proc.returncode, exc, proc.stdout[-2000:], proc.stderr[-2000:])
        ) from None
    for result in results:
        result.setdefault("failed", False)
    return results
