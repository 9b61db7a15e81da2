"""Who initialises, who leads and who joins: the control plane and worker roles with a fake kubeadm.

The hosts all run on the controller, each with its own kubeadm directory in a tmp dir, so membership
(admin.conf, kubelet.conf) can differ per host. kubeadm is fake_kubeadm.py, named by
control_plane_kubeadm_command and worker_kubeadm_command: it records every call and leaves what the real
kubeadm would (the CA, admin.conf, kubelet.conf), so the roles run their real path and the tests assert
which kubeadm commands ran, with which arguments and configuration.
"""

import base64
import hashlib
import json
import pathlib
import re
import shlex
import subprocess
import sys

import fake_kubeadm
import pytest
import yaml
from cluster_helpers import local_inventory

pytestmark = pytest.mark.slow

PLAYBOOK = pathlib.Path(__file__).with_name("membership.yml")
FAKE_KUBEADM = pathlib.Path(fake_kubeadm.__file__)
HOSTS = [("cp1.example.org", "192.0.2.11"), ("cp2.example.org", "192.0.2.12"), ("cp3.example.org", "192.0.2.13")]
WORKERS = [("w1.example.org", "192.0.2.21")]
CONTROL_PLANES = [host for host, _unused in HOSTS]
ALL_HOSTS = CONTROL_PLANES + [host for host, _unused in WORKERS]
HA = {
    "control_plane_vip": "192.0.2.10",
    "control_plane_vip_interface": "eth0",
    "worker_node_labels": {"ome.example.org/pool": "test"},
}


def kube_dir(root, host):
    return root / host / "etc" / "kubernetes"


def hosts(runner, member=None, workers=None):
    """Each host's kubeadm directory; ``member`` already runs the cluster (what kubeadm init left there).

    Tasks delegated to the leading host still resolve paths with the joining host's variables, and all
    these "hosts" share one file system: every other host's pki directory points at the leader's, which
    is also how a joining control plane gets the cluster's certificates here.
    """
    workers = WORKERS if workers is None else workers
    root = runner.tmp_path / "hosts"
    leader = member or CONTROL_PLANES[0]
    for host in CONTROL_PLANES + [host for host, _unused in workers]:
        kube_dir(root, host).mkdir(parents=True)
        if host != leader:
            (kube_dir(root, host) / "pki").symlink_to(kube_dir(root, leader) / "pki")
    if member:
        fake_kubeadm.init(kube_dir(root, member))
    return root


def ca_hash(root, host):
    der = subprocess.run(
        "openssl x509 -pubkey -noout -in %s | openssl pkey -pubin -outform der"
        % (kube_dir(root, host) / "pki" / "ca.crt"),
        shell=True,
        check=True,
        capture_output=True,
    ).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


class Run:
    """One ansible-playbook run: its JSON report, its output and the kubeadm calls it made."""

    def __init__(self, result, calls):
        self.output = result.stdout + result.stderr
        self.report = json.loads(result.stdout)
        self.calls = calls

    def shown(self, task):
        """The message of the debug task named ``task`` (run once: the first host's result)."""
        for play in self.report["plays"]:
            for each in play["tasks"]:
                # The JSON callback names a role's task "<role> : <name>".
                if each["task"]["name"].split(" : ")[-1] == task:
                    return next(iter(each["hosts"].values()))["msg"]
        raise AssertionError("no task %r in the run" % task)

    def results(self, task):
        """Host -> its result of the task named ``task``, for the hosts that ran it."""
        for play in self.report["plays"]:
            for each in play["tasks"]:
                if each["task"]["name"].split(" : ")[-1] == task:
                    return each["hosts"]
        raise AssertionError("no task %r in the run" % task)

    def changed(self):
        return {host: stats["changed"] for host, stats in self.report["stats"].items()}


def converge(runner, root, settings=None, succeed=True, workers=None):
    """Run membership.yml; returns the run with the kubeadm calls of this run only."""
    workers = WORKERS if workers is None else workers
    record = runner.tmp_path / "kubeadm-calls.jsonl"
    kubeadm = runner.tmp_path / "bin" / "kubeadm"
    if not kubeadm.exists():
        kubeadm.parent.mkdir()
        kubeadm.write_text(
            '#!/bin/sh\nFAKE_KUBEADM_RECORD=%s exec %s %s "$@"\n'
            % (shlex.quote(str(record)), shlex.quote(sys.executable), shlex.quote(str(FAKE_KUBEADM)))
        )
        kubeadm.chmod(0o755)
    before = len(record.read_text().splitlines()) if record.exists() else 0
    # Each role's command set on its own hosts only: the workers' join credentials are made with the
    # leading control plane's setting.
    host_vars = {host: {"control_plane_kubeadm_command": str(kubeadm)} for host in CONTROL_PLANES}
    host_vars.update({host: {"worker_kubeadm_command": str(kubeadm)} for host, _unused in workers})
    inventory = runner.write_inventory(local_inventory(HOSTS, workers, {**HA, **(settings or {})}, host_vars))
    result = runner.playbook(
        PLAYBOOK,
        inventory,
        extra_vars={
            "__control_plane_config_dir": "%s/{{ inventory_hostname }}/etc/kubernetes" % root,
            "__worker_config_dir": "%s/{{ inventory_hostname }}/etc/kubernetes" % root,
            "control_plane_audit_log_dir": "%s/{{ inventory_hostname }}/var/log/kubernetes/audit" % root,
        },
        extra_env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
    )
    (runner.tmp_path / "last-run.json").write_text(result.stdout)
    assert (result.returncode == 0) == succeed, result.stdout + result.stderr
    calls = [json.loads(line) for line in record.read_text().splitlines()[before:]] if record.exists() else []
    return Run(result, calls)


def calls_of(run, *command):
    """The recorded calls whose arguments start with ``command``."""
    return [call for call in run.calls if call["argv"][: len(command)] == list(command)]


def option(call, name):
    return call["argv"][call["argv"].index(name) + 1]


def joins(run, root):
    """Host -> the JoinConfiguration kubeadm join was handed there (the role removes the file afterwards)."""
    by_host = {}
    for call in calls_of(run, "join"):
        config = pathlib.Path(option(call, "--config"))
        host = config.relative_to(root).parts[0]
        assert config == kube_dir(root, host) / "kubeadm-join.yaml"
        assert call["config_mode"] == "0600"
        (doc,) = [d for d in yaml.safe_load_all(call["config"]) if d]
        assert (doc["apiVersion"], doc["kind"]) == ("kubeadm.k8s.io/v1beta4", "JoinConfiguration")
        by_host[host] = doc
    return by_host


def tokens_created(run):
    return [call["argv"][2] for call in calls_of(run, "token", "create")]


def certificate_keys_uploaded(run):
    return [option(call, "--certificate-key") for call in calls_of(run, "init", "phase", "upload-certs")]


def kube_vip_kubeconfig(text):
    (pod,) = [d for d in yaml.safe_load_all(text) if d]
    return pod["spec"]["volumes"][0]["hostPath"]["path"]


def assert_joined(root, run, control_planes, workers, leader):
    """Hosts joined with the credentials made on the leader for their batch, and are members now."""
    docs = joins(run, root)
    assert sorted(docs) == sorted(control_planes + workers)
    cp_token, worker_token = tokens_created(run)
    (certificate_key,) = certificate_keys_uploaded(run)
    for host in control_planes + workers:
        discovery = docs[host]["discovery"]["bootstrapToken"]
        assert discovery["apiServerEndpoint"] == "192.0.2.10:6443"
        assert discovery["caCertHashes"] == [ca_hash(root, leader)]
        assert discovery["token"] == (cp_token if host in control_planes else worker_token)
        assert re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", discovery["token"])
        # The token and its certificate key are gone with the file once the host has joined.
        assert not (kube_dir(root, host) / "kubeadm-join.yaml").exists()
        assert (kube_dir(root, host) / "kubelet.conf").exists()
    for host in control_planes:
        assert docs[host]["controlPlane"]["certificateKey"] == certificate_key
        assert (kube_dir(root, host) / "admin.conf").exists()
        assert kube_vip_kubeconfig((kube_dir(root, host) / "manifests" / "kube-vip.yaml").read_text()) == str(
            kube_dir(root, host) / "admin.conf"
        )
    assert re.fullmatch(r"[0-9a-f]{64}", certificate_key)
    # Bootstrap tokens (the ones made for the joins, and kubeadm init's own) and the certificate key reach the
    # hosts' files only, never the run's output.
    assert not re.findall(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b", run.output)
    assert certificate_key not in run.output
    for host in workers:
        assert "controlPlane" not in docs[host]
        assert docs[host]["nodeRegistration"]["kubeletExtraArgs"] == [
            {"name": "node-labels", "value": "ome.example.org/pool=test"}
        ]
        assert not (kube_dir(root, host) / "admin.conf").exists()


def test_existing_cluster_joins_the_new_control_planes_through_the_member(runner):
    root = hosts(runner, member="cp1.example.org")
    run = converge(runner, root)
    assert run.shown("Show what this run does to the control plane")[1:] == [
        "Members already: cp1.example.org",
        "Leading host: cp1.example.org",
        "Joining as control planes: cp2.example.org, cp3.example.org",
    ]
    assert calls_of(run, "init") == calls_of(run, "init", "phase", "upload-certs")
    # One token and one certificate key for the control planes, one token for the workers, each made
    # once on the leading control plane; cp2 and cp3 join one at a time, then the worker.
    assert [call["argv"][:2] for call in run.calls] == [
        ["token", "create"],
        ["init", "phase"],
        ["join", "--config"],
        ["join", "--config"],
        ["token", "create"],
        ["join", "--config"],
    ]
    assert all(option(call, "--ttl") == "15m" for call in calls_of(run, "token", "create"))
    assert_joined(root, run, ["cp2.example.org", "cp3.example.org"], ["w1.example.org"], "cp1.example.org")
    # The member is left alone, except that its kube-vip keeps using admin.conf.
    assert not (kube_dir(root, "cp1.example.org") / "kubeadm-join.yaml").exists()
    assert kube_vip_kubeconfig((kube_dir(root, "cp1.example.org") / "manifests" / "kube-vip.yaml").read_text()) == str(
        kube_dir(root, "cp1.example.org") / "admin.conf"
    )


def test_replaced_first_host_joins_instead_of_starting_a_second_cluster(runner):
    root = hosts(runner, member="cp2.example.org")
    run = converge(runner, root)
    assert "Leading host: cp2.example.org" in run.shown("Show what this run does to the control plane")
    assert calls_of(run, "init") == calls_of(run, "init", "phase", "upload-certs")
    assert_joined(root, run, ["cp1.example.org", "cp3.example.org"], ["w1.example.org"], "cp2.example.org")
    # The cluster configuration is kept on the leading host.
    assert (kube_dir(root, "cp2.example.org") / "kubeadm-config.yaml").exists()
    assert not (kube_dir(root, "cp1.example.org") / "kubeadm-config.yaml").exists()


def test_new_cluster_initialises_on_the_first_host(runner):
    root = hosts(runner)
    run = converge(runner, root)
    shown = run.shown("Show what this run does to the control plane")
    assert shown[1:3] == ["Members already: none (new cluster)", "Leading host: cp1.example.org"]
    (init,) = [call for call in calls_of(run, "init") if "phase" not in call["argv"]]
    assert run.calls[0] == init
    config = kube_dir(root, "cp1.example.org") / "kubeadm-config.yaml"
    assert init["argv"] == ["init", "--config", str(config), "--skip-token-print"]
    assert init["config_mode"] == "0600"
    kinds = {doc["kind"] for doc in yaml.safe_load_all(init["config"]) if doc}
    assert {"InitConfiguration", "ClusterConfiguration"} <= kinds
    # kube-vip is there before init, with the bootstrap credentials, and uses admin.conf after it.
    assert kube_vip_kubeconfig(init["manifests"]["kube-vip.yaml"]) == str(
        kube_dir(root, "cp1.example.org") / "super-admin.conf"
    )
    assert_joined(root, run, ["cp2.example.org", "cp3.example.org"], ["w1.example.org"], "cp1.example.org")
    assert kube_vip_kubeconfig((kube_dir(root, "cp1.example.org") / "manifests" / "kube-vip.yaml").read_text()) == str(
        kube_dir(root, "cp1.example.org") / "admin.conf"
    )
    # The admin kubeconfig kubeadm init left is fetched to the controller, for the owner only.
    fetched = runner.tmp_path / "home" / ".kube" / "lochy.conf"
    assert fetched.read_bytes() == (kube_dir(root, "cp1.example.org") / "admin.conf").read_bytes()
    assert fetched.stat().st_mode & 0o777 == 0o600


def test_second_run_changes_nothing(runner):
    """Once every host is a member, a second run calls no kubeadm command and changes no file."""
    root = hosts(runner)
    converge(runner, root)
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    run = converge(runner, root)
    assert run.calls == []
    assert run.shown("Show what this run does to the control plane")[1:] == [
        "Members already: cp1.example.org, cp2.example.org, cp3.example.org",
        "Leading host: cp1.example.org",
        "Joining as control planes: none",
    ]
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before
    assert run.changed() == {host: 0 for host in ALL_HOSTS}


def test_no_host_joins_through_a_control_plane_without_the_cluster_ca(runner):
    root = hosts(runner, member="cp1.example.org")
    (kube_dir(root, "cp1.example.org") / "pki" / "ca.crt").unlink()
    run = converge(runner, root, succeed=False)
    assert "cp1.example.org has no %s" % (kube_dir(root, "cp2.example.org") / "pki" / "ca.crt") in " ".join(
        run.output.split()
    )
    assert calls_of(run, "join") == []


TWO_WORKERS = [*WORKERS, ("w2.example.org", "192.0.2.22")]
TWO_WORKERS_NAMES = [host for host, _unused in TWO_WORKERS]


def test_worker_that_cannot_join_fails_alone_with_what_to_check(runner):
    """w2 cannot reach the API server: it fails with a message naming what to check, its token is gone,
    and w1 joins all the same."""
    root = hosts(runner, member="cp1.example.org", workers=TWO_WORKERS)
    (kube_dir(root, "w2.example.org") / "fail-join").touch()
    run = converge(runner, root, {"worker_join_discovery_timeout": "45s"}, succeed=False, workers=TWO_WORKERS)

    # Both workers ran kubeadm join, each with its own configuration and the variable's discovery timeout.
    docs = joins(run, root)
    assert {"w1.example.org", "w2.example.org"} <= set(docs)
    assert {docs[host]["timeouts"]["discovery"] for host in TWO_WORKERS_NAMES} == {"45s"}

    (stopped,) = run.results("Stop this worker with the reason it could not join").items()
    host, result = stopped
    assert host == "w2.example.org"
    assert result["failed"] is True
    message = result["msg"]
    assert message.startswith(
        "w2.example.org could not join the cluster through 192.0.2.10:6443. kubeadm join said: "
        "error execution phase preflight: couldn't validate the identity of the API Server: "
    )
    # The end of kubeadm's error on one line, without its progress output.
    assert (
        "dial tcp 192.0.2.10:6443: connect: connection refused | "
        "To see the stack trace of this error execute with --v=5 or higher. " in message
    )
    assert "[preflight] Running pre-flight checks" not in message
    assert "[WARNING" not in message
    assert "the other workers go on joining" in message
    assert "TCP port 6443" in message
    assert "its clock is right" in message
    assert message.endswith("Then run playbooks/cluster.yml again.")
    # Neither the join configuration nor the token is in the message.
    assert "--config" not in message and "kubeadm-join.yaml" not in message
    assert docs["w2.example.org"]["discovery"]["bootstrapToken"]["token"] not in message

    # The failure is w2's alone: w1 is a member, and neither keeps its join configuration and token.
    assert run.report["stats"]["w2.example.org"]["failures"] == 1
    assert run.report["stats"]["w1.example.org"]["failures"] == 0
    assert (kube_dir(root, "w1.example.org") / "kubelet.conf").exists()
    assert not (kube_dir(root, "w2.example.org") / "kubelet.conf").exists()
    for host in TWO_WORKERS_NAMES:
        assert not (kube_dir(root, host) / "kubeadm-join.yaml").exists()
    assert not re.findall(r"\b[a-z0-9]{6}\.[a-z0-9]{16}\b", run.output)


def encryption_config(root, host):
    return kube_dir(root, host) / "enc" / "encryption-config.yaml"


def encryption_key(root, host):
    (doc,) = [d for d in yaml.safe_load_all(encryption_config(root, host).read_text()) if d]
    assert (doc["apiVersion"], doc["kind"]) == ("apiserver.config.k8s.io/v1", "EncryptionConfiguration")
    (resource,) = doc["resources"]
    assert resource["resources"] == ["secrets"]
    first, fallback = resource["providers"]
    assert fallback == {"identity": {}}
    ((provider, settings),) = first.items()
    assert provider == "secretbox"
    (key,) = settings["keys"]
    return key["secret"]


# A fixed key for the tests, base64 of 32 bytes (never a real cluster's).
SITE_KEY = base64.b64encode(bytes(range(32))).decode()


def test_new_cluster_gets_one_encryption_key_on_every_control_plane(runner):
    root = hosts(runner)
    run = converge(runner, root)
    keys = {encryption_key(root, host) for host in CONTROL_PLANES}
    assert len(keys) == 1
    (key,) = keys
    assert len(base64.b64decode(key, validate=True)) == 32
    assert key not in run.output
    for host in CONTROL_PLANES:
        assert encryption_config(root, host).stat().st_mode & 0o777 == 0o600
        assert encryption_config(root, host).parent.stat().st_mode & 0o777 == 0o700
        # The audit policy and the log directory every API server mounts.
        (policy,) = [d for d in yaml.safe_load_all((kube_dir(root, host) / "audit" / "policy.yaml").read_text()) if d]
        assert policy["kind"] == "Policy"
        log_dir = root / host / "var" / "log" / "kubernetes" / "audit"
        assert log_dir.is_dir() and log_dir.stat().st_mode & 0o777 == 0o700
    # The workers get neither.
    assert not encryption_config(root, "w1.example.org").exists()


def test_key_is_drawn_once_and_kept(runner):
    root = hosts(runner)
    converge(runner, root)
    first = {host: encryption_config(root, host).read_bytes() for host in CONTROL_PLANES}
    run = converge(runner, root)
    assert {host: encryption_config(root, host).read_bytes() for host in CONTROL_PLANES} == first
    assert run.changed() == {host: 0 for host in ALL_HOSTS}


def test_joining_control_planes_get_the_members_configuration(runner):
    """An existing cluster's file is copied as it is (even with a second key, as during a rotation)."""
    root = hosts(runner, member="cp1.example.org")
    existing = encryption_config(root, "cp1.example.org")
    existing.parent.mkdir(mode=0o700)
    existing.write_text(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        "  - resources: [secrets]\n    providers:\n"
        "      - secretbox:\n          keys:\n"
        "            - {name: key2, secret: %s}\n            - {name: key1, secret: %s}\n"
        "      - identity: {}\n" % (SITE_KEY, base64.b64encode(b"k" * 32).decode())
    )
    existing.chmod(0o600)
    before = existing.read_bytes()
    run = converge(runner, root)
    for host in CONTROL_PLANES:
        assert encryption_config(root, host).read_bytes() == before
    assert SITE_KEY not in run.output


def test_site_key_is_used_for_a_new_cluster(runner):
    root = hosts(runner)
    run = converge(runner, root, {"control_plane_encryption_key": SITE_KEY})
    assert {encryption_key(root, host) for host in CONTROL_PLANES} == {SITE_KEY}
    assert SITE_KEY not in run.output


def test_site_key_never_replaces_the_clusters_key(runner):
    root = hosts(runner)
    converge(runner, root)
    drawn = encryption_key(root, "cp1.example.org")
    run = converge(runner, root, {"control_plane_encryption_key": SITE_KEY}, succeed=False)
    assert "holds no key equal to control_plane_encryption_key" in " ".join(run.output.split())
    assert SITE_KEY not in run.output and drawn not in run.output
    assert {encryption_key(root, host) for host in CONTROL_PLANES} == {drawn}
