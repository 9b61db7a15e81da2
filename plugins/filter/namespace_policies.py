# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NetworkPolicies every application namespace starts from: deny all traffic, then allow DNS.

Each component then allows what it needs with a policy of its own (its role's networkpolicy templates).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# CoreDNS pods, as kubeadm labels them.
DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def namespace_policies(namespace, labels=None):
    """[default-deny, allow-dns] NetworkPolicies of ``namespace``, labelled ``labels``."""
    if not isinstance(namespace, str) or not namespace:
        raise AnsibleFilterError("namespace_policies needs a namespace name, got %r" % (namespace,))
    labels = dict(labels or {})

    def policy(name, spec):
        metadata = {"name": name, "namespace": namespace, "labels": labels}
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata, "spec": spec}

    return [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [DNS_PEER],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]


class FilterModule:
    def filters(self):
        return {"namespace_policies": namespace_policies}
