"""Who initialises, who leads and who joins: the control plane role run without kubeadm on local hosts.

Each host gets its own kubeadm directory in a tmp dir, so membership (admin.conf) and the cluster CA can
differ per host; every step that needs kubeadm is skipped and reported, everything else runs for real.
"""

import base64
import hashlib
import pathlib
import subprocess

import pytest
import yaml
from cluster_helpers import local_inventory

pytestmark = pytest.mark.slow

PLAYBOOK = pathlib.Path(__file__).with_name("membership.yml")
HOSTS = [("cp1.example.org", "192.0.2.11"), ("cp2.example.org", "192.0.2.12"), ("cp3.example.org", "192.0.2.13")]
WORKERS = [("w1.example.org", "192.0.2.21")]
HA = {
    "control_plane_vip": "192.0.2.10",
    "control_plane_vip_interface": "eth0",
    "control_plane_kubeadm_run": False,
}


def kube_dir(root, host):
    return root / host / "etc" / "kubernetes"


def make_member(root, host):
    """What kubeadm init would have left on host: admin.conf and the cluster CA.

    Tasks delegated to the leading host still resolve paths with the joining host's variables, and all
    these "hosts" share one file system: every other host's pki directory points at the leader's.
    """
    directory = kube_dir(root, host)
    (directory / "pki").mkdir(parents=True)
    (directory / "admin.conf").write_text("stand-in\n")
    for other, _unused in HOSTS:
        if other != host:
            kube_dir(root, other).mkdir(parents=True)
            (kube_dir(root, other) / "pki").symlink_to(directory / "pki")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=kubernetes",
            "-keyout",
            str(directory / "pki" / "ca.key"),
            "-out",
            str(directory / "pki" / "ca.crt"),
        ],
        check=True,
        capture_output=True,
    )


def ca_hash(root, host):
    der = subprocess.run(
        "openssl x509 -pubkey -noout -in %s | openssl pkey -pubin -outform der"
        % (kube_dir(root, host) / "pki" / "ca.crt"),
        shell=True,
        check=True,
        capture_output=True,
    ).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


def converge(runner, root, settings=None, succeed=True):
    inventory = runner.write_inventory(local_inventory(HOSTS, WORKERS, {**HA, **(settings or {})}))
    result = runner.playbook(
        PLAYBOOK,
        inventory,
        extra_vars={
            "__control_plane_config_dir": "%s/{{ inventory_hostname }}/etc/kubernetes" % root,
            "control_plane_audit_log_dir": "%s/{{ inventory_hostname }}/var/log/kubernetes/audit" % root,
        },
    )
    output = result.stdout + result.stderr
    assert (result.returncode == 0) == succeed, output
    return output


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


def join_config(root, host):
    (doc,) = [d for d in yaml.safe_load_all((kube_dir(root, host) / "kubeadm-join.yaml").read_text()) if d]
    return doc


def kube_vip_kubeconfig(root, host):
    (pod,) = [d for d in yaml.safe_load_all((kube_dir(root, host) / "manifests" / "kube-vip.yaml").read_text()) if d]
    return pod["spec"]["volumes"][0]["hostPath"]["path"]


def test_existing_cluster_joins_the_new_control_planes_through_the_member(runner):
    root = runner.tmp_path / "hosts"
    make_member(root, "cp1.example.org")
    output = converge(runner, root)
    assert "Leading host: cp1.example.org" in output
    assert "Joining as control planes: cp2.example.org, cp3.example.org" in output
    assert "(control_plane_kubeadm_run is false): kubeadm init --config" not in " ".join(output.split())

    docs = [join_config(root, host) for host in ("cp2.example.org", "cp3.example.org")]
    for doc in docs:
        assert doc["kind"] == "JoinConfiguration"
        assert doc["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "192.0.2.10:6443"
        assert doc["discovery"]["bootstrapToken"]["caCertHashes"] == [ca_hash(root, "cp1.example.org")]
        assert len(doc["controlPlane"]["certificateKey"]) == 64
        int(doc["controlPlane"]["certificateKey"], 16)
    # One token and one certificate key for the batch, made once on the leading control plane.
    assert docs[0]["discovery"] == docs[1]["discovery"]
    assert docs[0]["controlPlane"]["certificateKey"] == docs[1]["controlPlane"]["certificateKey"]
    assert "kubeadm init phase upload-certs --upload-certs --certificate-key <key> (on cp1.example.org)" in " ".join(
        output.split()
    )

    # The member is left alone: no join file; kube-vip on the joined hosts uses admin.conf.
    assert not (kube_dir(root, "cp1.example.org") / "kubeadm-join.yaml").exists()
    for host in ("cp2.example.org", "cp3.example.org"):
        assert kube_vip_kubeconfig(root, host) == str(kube_dir(root, host) / "admin.conf")
        mode = (kube_dir(root, host) / "kubeadm-join.yaml").stat().st_mode & 0o777
        assert mode == 0o600


def test_replaced_first_host_joins_instead_of_starting_a_second_cluster(runner):
    root = runner.tmp_path / "hosts"
    make_member(root, "cp2.example.org")
    output = converge(runner, root)
    assert "Leading host: cp2.example.org" in output
    assert "Joining as control planes: cp1.example.org, cp3.example.org" in output
    assert "(control_plane_kubeadm_run is false): kubeadm init --config" not in " ".join(output.split())
    for host in ("cp1.example.org", "cp3.example.org"):
        assert join_config(root, host)["discovery"]["bootstrapToken"]["caCertHashes"] == [
            ca_hash(root, "cp2.example.org")
        ]
    # The cluster configuration is kept on the leading host.
    assert (kube_dir(root, "cp2.example.org") / "kubeadm-config.yaml").exists()
    assert not (kube_dir(root, "cp1.example.org") / "kubeadm-config.yaml").exists()


def test_new_cluster_initialises_on_the_first_host(runner):
    root = runner.tmp_path / "hosts"
    root.mkdir()
    output = converge(runner, root)
    assert "Members already: none (new cluster)" in output
    assert "Leading host: cp1.example.org" in output
    assert (
        "NOT EXERCISED on cp1.example.org (control_plane_kubeadm_run is false): kubeadm init --config %s"
        % (kube_dir(root, "cp1.example.org") / "kubeadm-config.yaml")
    ) in " ".join(output.split())
    # kube-vip is written before init with the bootstrap credentials.
    assert kube_vip_kubeconfig(root, "cp1.example.org") == str(kube_dir(root, "cp1.example.org") / "super-admin.conf")
    # Without kubeadm init there is no CA to hash: the join files carry a placeholder, and it is reported.
    assert "CA public key hash (no" in " ".join(output.split())
    assert join_config(root, "cp2.example.org")["discovery"]["bootstrapToken"]["caCertHashes"] == ["sha256:" + "0" * 64]


def test_second_run_changes_nothing(runner):
    """A host whose join configuration was written counts as joined: the second run joins nobody."""
    root = runner.tmp_path / "hosts"
    make_member(root, "cp1.example.org")
    converge(runner, root)
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    output = converge(runner, root)
    assert "Joining as control planes: none" in output
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before
    recap = [line for line in output.splitlines() if line.startswith("cp")]
    assert recap and all("changed=0" in line for line in recap), recap


def test_new_cluster_gets_one_encryption_key_on_every_control_plane(runner):
    root = runner.tmp_path / "hosts"
    root.mkdir()
    output = converge(runner, root)
    keys = {encryption_key(root, host) for host, _unused in HOSTS}
    assert len(keys) == 1
    (key,) = keys
    assert len(base64.b64decode(key, validate=True)) == 32
    assert key not in output
    for host, _unused in HOSTS:
        assert encryption_config(root, host).stat().st_mode & 0o777 == 0o600
        assert encryption_config(root, host).parent.stat().st_mode & 0o777 == 0o700
        # The audit policy and the log directory every API server mounts.
        (policy,) = [d for d in yaml.safe_load_all((kube_dir(root, host) / "audit" / "policy.yaml").read_text()) if d]
        assert policy["kind"] == "Policy"
        log_dir = root / host / "var" / "log" / "kubernetes" / "audit"
        assert log_dir.is_dir() and log_dir.stat().st_mode & 0o777 == 0o700


def test_key_is_drawn_once_and_kept(runner):
    root = runner.tmp_path / "hosts"
    root.mkdir()
    converge(runner, root)
    first = {host: encryption_config(root, host).read_bytes() for host, _unused in HOSTS}
    output = converge(runner, root)
    assert {host: encryption_config(root, host).read_bytes() for host, _unused in HOSTS} == first
    recap = [line for line in output.splitlines() if line.startswith("cp")]
    assert recap and all("changed=0" in line for line in recap), recap


def test_joining_control_planes_get_the_members_configuration(runner):
    """An existing cluster's file is copied as it is (even with a second key, as during a rotation)."""
    root = runner.tmp_path / "hosts"
    make_member(root, "cp1.example.org")
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
    output = converge(runner, root)
    for host in ("cp1.example.org", "cp2.example.org", "cp3.example.org"):
        assert encryption_config(root, host).read_bytes() == before
    assert SITE_KEY not in output


def test_site_key_is_used_for_a_new_cluster(runner):
    root = runner.tmp_path / "hosts"
    root.mkdir()
    output = converge(runner, root, {"control_plane_encryption_key": SITE_KEY})
    assert {encryption_key(root, host) for host, _unused in HOSTS} == {SITE_KEY}
    assert SITE_KEY not in output


def test_site_key_never_replaces_the_clusters_key(runner):
    root = runner.tmp_path / "hosts"
    root.mkdir()
    converge(runner, root)
    drawn = encryption_key(root, "cp1.example.org")
    output = converge(runner, root, {"control_plane_encryption_key": SITE_KEY}, succeed=False)
    assert "holds no key equal to control_plane_encryption_key" in " ".join(output.split())
    assert SITE_KEY not in output and drawn not in output
    assert {encryption_key(root, host) for host, _unused in HOSTS} == {drawn}
