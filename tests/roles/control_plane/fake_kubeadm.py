# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake kubeadm for the role tests, set as control_plane_kubeadm_command / worker_kubeadm_command.

Each call appends one JSON line to $FAKE_KUBEADM_RECORD: its arguments, the configuration file it was
handed (text and mode; the roles remove a join configuration once the host has joined) and the static pod
manifests already in that directory (kube-vip, which must be there before init). It then leaves what the
roles read after the real command, in the directory of that configuration file (a test host's kubeadm
directory):
- init: the cluster CA (pki/ca.crt, ca.key; a real certificate, the roles hash its public key),
  admin.conf, super-admin.conf and kubelet.conf;
- join: kubelet.conf, and admin.conf for a control plane (a JoinConfiguration with controlPlane). The CA
  of a joining control plane comes from the leader's, shared by the test through its pki directory.
  With a file named fail-join in that directory, join leaves nothing and fails as kubeadm does when the
  host cannot reach the API server (exit 1, kubeadm's error on stderr).
init prints the join command with a bootstrap token unless --skip-token-print, as kubeadm does; token
create and init phase upload-certs print what kubeadm prints; anything else fails, so that a
command the tests do not expect shows up as a failed run.
"""

import json
import os
import pathlib
import re
import secrets
import subprocess
import sys

import yaml


def option(args, name):
    return args[args.index(name) + 1] if name in args else None


def kubeconfig(directory, user):
    return (
        "# fake kubeconfig left by the test kubeadm\napiVersion: v1\nkind: Config\n"
        "clusters: [{name: fake, cluster: {server: 'https://fake.invalid:6443'}}]\n"
        "users: [{name: %s, user: {}}]\n"
        "contexts: [{name: fake, context: {cluster: fake, user: %s}}]\ncurrent-context: fake\n"
        "# directory: %s\n" % (user, user, directory)
    )


def write(path, text):
    path.write_text(text)
    path.chmod(0o600)


def init(directory):
    pki = directory / "pki"
    pki.mkdir(exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kubernetes",
         "-keyout", str(pki / "ca.key"), "-out", str(pki / "ca.crt")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    write(directory / "admin.conf", kubeconfig(directory, "kubernetes-admin"))
    write(directory / "super-admin.conf", kubeconfig(directory, "kubernetes-super-admin"))
    write(directory / "kubelet.conf", kubeconfig(directory, "kubelet"))


def join(directory, config_text):
    if (directory / "fail-join").exists():
        endpoint = yaml.safe_load(config_text)["discovery"]["bootstrapToken"]["apiServerEndpoint"]
        print("[preflight] Running pre-flight checks")
        # As kubeadm 1.37 on a cgroup v1 host with containerd 1.6: preflight warnings before the error.
        for warning in (
            "ContainerRuntimeVersion]: You must update your container runtime",
            "SystemVerification]: cgroups v1 support is deprecated",
        ):
            print("\t[WARNING %s" % warning, file=sys.stderr)
        print(
            "error execution phase preflight: couldn't validate the identity of the API Server: "
            'Get "https://%s/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": '
            "dial tcp %s: connect: connection refused" % (endpoint, endpoint),
            file=sys.stderr,
        )
        print("To see the stack trace of this error execute with --v=5 or higher", file=sys.stderr)
        return 1
    write(directory / "kubelet.conf", kubeconfig(directory, "kubelet"))
    if re.search(r"^controlPlane:", config_text, re.MULTILINE):
        write(directory / "admin.conf", kubeconfig(directory, "kubernetes-admin"))
    return 0


def main(args):
    config = option(args, "--config")
    config_path = pathlib.Path(config) if config else None
    entry = {"argv": args, "config": None, "config_mode": None, "manifests": None}
    if config_path and config_path.is_file():
        entry["config"] = config_path.read_text()
        entry["config_mode"] = "%04o" % (config_path.stat().st_mode & 0o777)
        manifests = config_path.parent / "manifests"
        if manifests.is_dir():
            entry["manifests"] = {path.name: path.read_text() for path in sorted(manifests.iterdir())}
    with open(os.environ["FAKE_KUBEADM_RECORD"], "a") as record:
        record.write(json.dumps(entry) + "\n")

    if args[:1] in (["init"], ["join"]) and "phase" not in args and entry["config"] is None:
        print("fake kubeadm: no configuration file %s" % config, file=sys.stderr)
        return 1
    if args[:1] == ["init"] and "phase" not in args:
        init(config_path.parent)
        if "--skip-token-print" not in args:
            token = "%s.%s" % (secrets.token_hex(3), secrets.token_hex(8))
            print("kubeadm join fake.invalid:6443 --token %s --discovery-token-ca-cert-hash sha256:0" % token)
    elif args[:1] == ["join"]:
        return join(config_path.parent, entry["config"])
    elif args[:2] == ["token", "create"]:
        print(args[2])
    elif args[:4] == ["init", "phase", "upload-certs", "--upload-certs"]:
        print("[upload-certs] Using certificate key:\n%s" % option(args, "--certificate-key"))
    else:
        print("fake kubeadm: unexpected command %s" % args, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
