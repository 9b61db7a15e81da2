#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: omero_web_ready
short_description: Wait until OMERO.web answers, and optionally until it can log in to OMERO.server
version_added: 1.0.0
description:
  - Polls OMERO.web's JSON API until it answers - C(GET <url>/api/), the newest API version's base, and its
    server list - or until O(timeout) passes.
  - With O(username) and O(password), also logs in through OMERO.web (CSRF token, then C(POST) to the
    API's login URL), which proves OMERO.web can reach its OMERO.server. OMERO.web's
    C(Server is not responding) answer is retried; refused credentials and a client/server version
    mismatch fail at once.
  - The API returns absolute URLs built from the request OMERO.web saw; behind an ingress that terminates
    TLS those say C(http://). The module keeps only their paths and sends every request to the scheme,
    host and path prefix of O(url), so a password never leaves over a different connection.
  - Pure HTTP; needs no OMERO library on the host that runs it.
author:
  - OME team (@ome)
extends_documentation_fragment:
  - ome.k8s.url
  - ome.k8s.readiness
options:
  url:
    description:
      - Base URL of OMERO.web, with its path prefix if it is served under one (for example
        V(https://omero.example.org) or V(https://example.org/omero)); the API is at C(<url>/api/).
  expected_servers:
    description:
      - OMERO.servers that OMERO.web's C(omero.web.server_list) must contain; a missing one fails at once
        with the list OMERO.web really has.
      - Each entry is a server name (the third element of a C(server_list) entry), a host, or C(host:port).
      - Every entry must match at least one listed server; servers not named here are allowed.
    type: list
    elements: str
  username:
    description:
      - OMERO user to log in as through OMERO.web. Given with O(password), the module also checks that
        OMERO.web can reach OMERO.server; without both, only the web tier is checked.
      - A dedicated account with no special rights is enough; OMERO.web does not need an administrator.
    type: str
  password:
    description:
      - Password of O(username).
    type: str
  server_id:
    description:
      - Which entry of OMERO.web's server list to log in to, numbered from 1 as the API numbers them.
    type: int
    default: 1
notes:
  - A successful login leaves an OMERO session that OMERO.server closes after its session timeout.
seealso:
  - module: ome.k8s.omero_server_ready
  - name: OMERO.web JSON API
    description: The versions, servers, token and login endpoints used here.
    link: https://omero.readthedocs.io/en/stable/developers/json-api.html
"""

EXAMPLES = r"""
- name: Wait for the OMERO.web pods to answer
  ome.k8s.omero_web_ready:
    url: https://omero.example.org
    timeout: 300

- name: Wait until OMERO.web can log in to the OMERO.server it is configured for
  ome.k8s.omero_web_ready:
    url: https://omero.example.org
    expected_servers:
      - omero-server.omero.svc.cluster.local:4064
    username: "{{ omero_web_check_user }}"
    password: "{{ omero_web_check_password }}"
    timeout: 600
  no_log: true
"""

RETURN = r"""
ready:
  description: Whether OMERO.web (and, with credentials, the login) answered before the deadline.
  returned: always
  type: bool
  sample: true
state:
  description: V(ready), V(not_ready) (still failing at the deadline) or V(misconfigured) (failed at once).
  returned: always
  type: str
  sample: ready
attempts:
  description: Number of attempts made.
  returned: always
  type: int
  sample: 2
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 1.25
last_error:
  description: Why the last failed attempt failed (null when the first attempt succeeded).
  returned: always
  type: str
  sample: "OMERO.web is up but cannot reach OMERO.server omero-server:4064: Server is not responding, ..."
api_versions:
  description: The JSON API versions OMERO.web offers.
  returned: success
  type: list
  elements: str
  sample: ["0"]
servers:
  description: OMERO.web's server list as its API returns it.
  returned: success
  type: list
  elements: dict
  sample: [{"id": 1, "host": "omero-server", "port": 4064, "server": "omero"}]
backend_checked:
  description: Whether a login through OMERO.web to OMERO.server was made (credentials were given).
  returned: success
  type: bool
  sample: true
event_context:
  description: What OMERO.server said about the logged-in user (session keys removed).
  returned: success and credentials were given
  type: dict
  sample: {"userName": "monitor", "userId": 52, "groupName": "system", "isAdmin": false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ome.k8s.plugins.module_utils.httpclient import check_url, url_argument_spec
from ansible_collections.ome.k8s.plugins.module_utils.omero_web import check_options, probe_web
from ansible_collections.ome.k8s.plugins.module_utils.readiness import (
    check_timing,
    readiness_argument_spec,
    wait_and_exit,
)


def argument_spec():
    spec = readiness_argument_spec()
    spec.update(url_argument_spec())
    spec.update(
        expected_servers=dict(type="list", elements="str"),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        server_id=dict(type="int", default=1),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("username", "password")],
        supports_check_mode=True,
    )
    params = module.params
    error = check_timing(params) or check_url(params["url"]) or check_options(params)
    if error:
        module.fail_json(msg=error)

    def probe(budget):
        return probe_web(
            params["url"],
            budget,
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
            expected_servers=params["expected_servers"],
            username=params["username"],
            password=params["password"],
            server_id=params["server_id"],
        )

    wait_and_exit(module, probe, what="OMERO.web")


if __name__ == "__main__":
    main()
