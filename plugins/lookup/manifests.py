# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: manifests
short_description: Render a template of Kubernetes manifests into a list of objects
version_added: 0.1.0
author:
  - OME team (@ome)
description:
  - Renders each Jinja2 template named in the terms, found like the C(ansible.builtin.template) lookup finds its
    files (the role's C(templates) directory first), splits the result into YAML documents and returns every
    non-empty document as one object.
  - Templates may C({% include %}) other templates from the same search path, so a role can keep one file per
    object and list them, with their conditions, in one index template.
  - Unlike C(ansible.builtin.template), the variables are not copied for each template. In a play that carries
    large facts (such as the objects recorded in render mode), that copy is what made rendering slow.
  - Variables are read only; the template cannot change them, and C(template_path) and the other
    C(template_*) variables of the template module are not defined.
options:
  _terms:
    description: Template files, relative to a C(templates) directory of the search path, or absolute.
    required: true
    type: list
    elements: str
notes:
  - Use C(query) (or C(lookup) with C(wantlist=true)) to get the objects as a list.
seealso:
  - plugin: ansible.builtin.template
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Build the objects of a role from its index template
  ansible.builtin.set_fact:
    __myrole_objects: "{{ query('ome.k8s.manifests', 'objects.yaml.j2') }}"
"""

RETURN = r"""
_list:
  description: The objects, in document order; empty documents (for example a conditional block that produced
    nothing) are left out.
  type: list
  elements: dict
"""

import os

import yaml
from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.template import trust_as_template


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        objects = []
        for term in terms:
            path = self.find_file_in_search_path(variables, "templates", term)
            if not path:
                raise AnsibleError(f"ome.k8s.manifests: no template {term!r} in the role's or playbook's templates")
            # Same search path for {% include %} as ansible.builtin.template: the template's own directory, then
            # each search path entry's templates directory and the entry itself.
            searchpath = [os.path.dirname(path)]
            for entry in variables.get("ansible_search_path", []):
                searchpath.extend((os.path.join(entry, "templates"), entry))
            # The template adds no variables of its own, so the play's variables are used as they are, not copied.
            templar = self._templar.copy_with_new_env(available_variables=variables, searchpath=searchpath)
            source = trust_as_template(self._loader.get_text_file_contents(path))
            text = templar.template(source, escape_backslashes=False)
            try:
                documents = list(yaml.safe_load_all(str(text)))
            except yaml.YAMLError as exc:
                raise AnsibleError(f"ome.k8s.manifests: {term} did not render to valid YAML: {exc}") from exc
            for number, document in enumerate(documents, start=1):
                if document is None:
                    continue
                if not isinstance(document, dict):
                    kind = type(document).__name__
                    raise AnsibleError(f"ome.k8s.manifests: document {number} of {term} is a {kind}, not an object")
                objects.append(document)
        return objects
