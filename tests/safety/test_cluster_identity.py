# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube_api's identity entry point: only the inventory's cluster passes, and a refusal changes nothing."""

from __future__ import annotations

from runner import run

PLAYBOOK = "tests/safety/playbooks/identity.yml"


def test_the_inventorys_cluster_passes(tmp_path, kube_api):
    api, config = kube_api(tmp_path, cluster_name="lochy")
    out = run(PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(config), "ome_k8s_cluster_name": "lochy"})
    assert out.rc == 0, out.failures()
    assert out.ran("Go on after the check")
    assert ("GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config") in api.requests
    assert api.writes == []


def test_another_cluster_is_refused_before_any_change(tmp_path, kube_api):
    api, config = kube_api(tmp_path, cluster_name="other")
    out = run(PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(config), "ome_k8s_cluster_name": "lochy"})
    assert out.rc != 0
    [message] = out.failures()
    assert "reaches the cluster named other" in message
    assert "inventory is for lochy (ome_k8s_cluster_name)" in message
    assert not out.ran("Go on after the check")
    assert api.writes == []


def test_a_cluster_without_kubeadm_config_is_refused_with_the_override_named(tmp_path, kube_api):
    api, config = kube_api(tmp_path, cluster_name=None)
    out = run(PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(config), "ome_k8s_cluster_name": "lochy"})
    assert out.rc != 0
    [message] = out.failures()
    assert "no kube-system ConfigMap kubeadm-config" in message
    assert "ome_k8s_cluster_uid" in message
    assert api.writes == []


def test_a_cluster_not_built_by_kubeadm_is_named_by_its_kube_system_uid(tmp_path, kube_api):
    api, config = kube_api(tmp_path, cluster_name=None, kube_system_uid="1234")
    good = run(PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(config), "ome_k8s_cluster_uid": "1234"})
    assert good.rc == 0, good.failures()
    assert good.ran("Go on after the check")
    bad = run(PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(config), "ome_k8s_cluster_uid": "9999"})
    assert bad.rc != 0
    assert "with kube-system UID 1234" in bad.failures()[0]
    assert "(ome_k8s_cluster_uid)" in bad.failures()[0]
    assert api.writes == []


def test_without_a_cluster_name_nothing_is_contacted(tmp_path, kube_api):
    api, config = kube_api(tmp_path)
    out = run(PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(config)})
    assert out.rc != 0
    assert "set ome_k8s_cluster_name" in out.failures()[0]
    assert api.requests == []


def test_an_unreachable_api_is_refused(tmp_path, dead_kubeconfig):
    out = run(
        PLAYBOOK, tmp_path, extra_vars={"ome_k8s_kubeconfig": str(dead_kubeconfig), "ome_k8s_cluster_name": "lochy"}
    )
    assert out.rc != 0
    message = out.failures()[-1]
    assert f"the kubeconfig {dead_kubeconfig} (ome_k8s_kubeconfig) could not be used" in message
    # The reason the API could not be reached, as the module gave it.
    assert "refused" in message.lower()
    assert not out.ran("Go on after the check")


def test_render_mode_contacts_no_cluster(tmp_path, kube_api):
    api, config = kube_api(tmp_path, cluster_name="other")
    out = run(
        PLAYBOOK,
        tmp_path,
        extra_vars={
            "ome_k8s_kubeconfig": str(config),
            "ome_k8s_cluster_name": "lochy",
            "ome_k8s_render_dir": str(tmp_path / "r"),
        },
    )
    assert out.rc == 0, out.failures()
    assert out.ran("Go on after the check")
    assert api.requests == []
