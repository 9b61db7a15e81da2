# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.ome.k8s.plugins.filter.settings_named import settings_named


def test_component_names_become_the_users():
    messages = ["omero_web_hostname must be a host name (got X).", "omero_web_replicas (0) must be positive."]
    assert settings_named(messages, {"omero_web_hostname": "omero_hostname"}) == [
        "omero_hostname must be a host name (got X).",
        "omero_web_replicas (0) must be positive.",
    ]


def test_whole_words_only():
    names = {"omero_web_name": "omero_instance", "omero_web_name_suffix": "x"}
    assert settings_named(["omero_web_name_prefix and omero_web_name_suffix and omero_web_name."], names) == [
        "omero_web_name_prefix and x and omero_instance."
    ]


def test_no_names_leaves_the_messages():
    assert settings_named(["a b"], {}) == ["a b"]
