# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ome.k8s.manifests, run by ansible-playbook on small templates: includes, conditions, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLAYBOOK = """
- name: Render manifests
  hosts: localhost
  gather_facts: false
  vars:
    app_name: demo
    with_extra: false
  tasks:
    - name: Build the objects
      ansible.builtin.set_fact:
        objects: "{{ query('ome.k8s.manifests', template_name | default('objects.yaml.j2')) }}"

    - name: Write them where the test reads them
      ansible.builtin.copy:
        content: "{{ objects | to_json }}"
        dest: "{{ playbook_dir }}/objects.json"
        mode: "0644"
"""

TEMPLATES = {
    "objects.yaml.j2": (
        # trim_blocks eats the newline after each tag, hence the empty lines; with with_extra false the middle
        # document is empty
        "{% include 'configmap.yaml.j2' %}\n\n---\n{% if with_extra | bool %}\n{% include 'extra.yaml.j2' %}\n\n"
        "{% endif %}\n---\n{% include 'service.yaml.j2' %}\n"
    ),
    "configmap.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ app_name }}'}\n"
    "data: {port: '{{ 4064 }}'}\n",
    "extra.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ app_name }}-extra\n",
    "service.yaml.j2": "apiVersion: v1\nkind: Service\nmetadata: {name: '{{ app_name }}'}\n"
    "spec: {ports: [{port: 80}]}\n",
    "list.yaml.j2": "- a\n- b\n",
    "broken.yaml.j2": "apiVersion: v1\nkind: [unclosed\n",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("manifests")
    (root / "templates").mkdir()
    for name, text in TEMPLATES.items():
        (root / "templates" / name).write_text(text, encoding="utf-8")
    (root / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    return root


def _run(project, **extra_vars):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", "play.yml",
         "-e", json.dumps({"ansible_python_interpreter": sys.executable, **extra_vars})],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _objects(result, project):
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((project / "objects.json").read_text(encoding="utf-8"))


def test_included_templates_become_objects_in_order(project):
    objects = _objects(_run(project), project)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [("ConfigMap", "demo"), ("Service", "demo")]
    # YAML types come from the document, not from Jinja: the quoted port stays a string, the list stays a list
    assert objects[0]["data"]["port"] == "4064"
    assert objects[1]["spec"]["ports"] == [{"port": 80}]


def test_condition_adds_an_object_and_empty_documents_are_dropped(project):
    objects = _objects(_run(project, with_extra=True, app_name="other"), project)
    assert [o["metadata"]["name"] for o in objects] == ["other", "other-extra", "other"]


def test_missing_template_is_named(project):
    result = _run(project, template_name="nowhere.yaml.j2")
    assert result.returncode != 0
    assert "no template 'nowhere.yaml.j2'" in result.stdout + result.stderr


def test_document_that_is_not_an_object_is_refused(project):
    result = _run(project, template_name="list.yaml.j2")
    assert result.returncode != 0
    assert "document 1 of list.yaml.j2 is a list, not an object" in result.stdout + result.stderr


def test_invalid_yaml_is_reported_with_the_template_name(project):
    result = _run(project, template_name="broken.yaml.j2")
    assert result.returncode != 0
    assert "broken.yaml.j2 did not render to valid YAML" in result.stdout + result.stderr
