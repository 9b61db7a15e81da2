# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One site-wide StorageClass setting, per-role overrides, and names checked as Kubernetes names."""

from __future__ import annotations

INVENTORY = "inventories/lochy"


def storage_classes(out):
    """Object name of each PersistentVolumeClaim or volumeClaimTemplate -> its storageClassName (or None)."""
    found = {}
    for pvc in out.by_kind("PersistentVolumeClaim"):
        found[pvc["metadata"]["name"]] = pvc["spec"].get("storageClassName")
    for sts in out.by_kind("StatefulSet"):
        for template in sts["spec"].get("volumeClaimTemplates", []):
            found[sts["metadata"]["name"] + "/" + template["metadata"]["name"]] = template["spec"].get(
                "storageClassName"
            )
    return found


def test_one_setting_changes_every_volume(render):
    out = render("playbooks/apps.yml", inventory=INVENTORY, extra_vars={"ome_k8s_storage_class": "fast-ssd"})
    classes = storage_classes(out)
    assert len(classes) >= 8
    assert set(classes.values()) == {"fast-ssd"}, classes


def test_a_role_setting_overrides_the_site_wide_one(render):
    out = render(
        "playbooks/apps.yml",
        inventory=INVENTORY,
        extra_vars={"ome_k8s_storage_class": "fast-ssd", "redmine_storage_class": "bulk"},
    )
    classes = storage_classes(out)
    redmine = {name: value for name, value in classes.items() if name.startswith("redmine")}
    assert redmine and set(redmine.values()) == {"bulk"}, classes
    assert {value for name, value in classes.items() if not name.startswith("redmine")} == {"fast-ssd"}


def test_default_is_the_clusters_default_class(render):
    out = render("playbooks/apps.yml", inventory=INVENTORY)
    assert set(storage_classes(out).values()) == {None}


def test_an_invalid_site_wide_name_is_refused_naming_the_variable_set(render_fail):
    output = render_fail("playbooks/omero.yml", inventory=INVENTORY, extra_vars={"ome_k8s_storage_class": "Fast_SSD!"})
    assert "ome_k8s_storage_class (Fast_SSD!) must be a StorageClass name" in output
    assert "omero_server_storage_class (Fast_SSD!)" not in output


def test_an_invalid_override_is_refused_naming_it(render_fail):
    output = render_fail("playbooks/redmine.yml", inventory=INVENTORY, extra_vars={"redmine_storage_class": "Bulk"})
    assert "redmine_storage_class (Bulk) must be a StorageClass name" in output
