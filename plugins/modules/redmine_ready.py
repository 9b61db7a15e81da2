#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: redmine_ready
short_description: Wait until Redmine serves its pages and, with a key, accepts its REST API
version_added: 0.1.0
description:
  - Polls a Redmine URL until its login page answers with Redmine's markup.
  - With O(api_key), also requires C(users/current.json) to accept the key through the
    C(X-Redmine-API-Key) header, and returns the login of the key's user.
  - Connection refused, timeouts, a host name that does not resolve yet and HTTP 5xx are retried until
    O(timeout). A refused key, a switched-off REST API, a wrong path prefix (HTTP 404), a page that is not
    Redmine's and a TLS certificate that does not verify fail at once.
  - Options are checked before any network traffic.
author:
  - OME team (@ome)
extends_documentation_fragment:
  - ome.k8s.url
  - ome.k8s.readiness
options:
  api_key:
    description:
      - A Redmine API key (My account, API access key) to check the REST API with.
      - Without it only the web pages are checked.
    type: str
seealso:
  - module: ansible.builtin.uri
  - module: ome.k8s.omero_db_status
  - name: Redmine REST API
    description: How Redmine authenticates REST requests and where the API is switched on.
    link: https://www.redmine.org/projects/redmine/wiki/Rest_api
"""

EXAMPLES = r"""
- name: Wait for Redmine to serve its pages
  ome.k8s.redmine_ready:
    url: https://redmine.example.org
    timeout: 600

- name: Wait for the Redmine REST API to accept the admin key
  ome.k8s.redmine_ready:
    url: https://redmine.example.org/redmine
    api_key: "{{ redmine_admin_api_key }}"
    ca_path: /etc/ssl/certs/ome-ca.pem
  register: __redmine_ready

- name: Show who the key belongs to
  ansible.builtin.debug:
    msg: "The REST API answers for {{ __redmine_ready.redmine_user.login }}"
"""

RETURN = r"""
ready:
  description: Whether Redmine answered as required before the timeout.
  returned: always
  type: bool
  sample: true
state:
  description: V(ready), V(not_ready) (timed out) or V(misconfigured) (failed at once).
  returned: always
  type: str
  sample: ready
attempts:
  description: How many times Redmine was asked.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 1.234
last_error:
  description: Why the last failed attempt failed, or null.
  returned: always
  type: str
  sample: "GET https://redmine.example.org/login: connection refused by redmine.example.org:443"
rest_api:
  description: Whether the REST API accepted O(api_key); null when no key was given.
  returned: success
  type: bool
  sample: true
redmine_user:
  description: The user the key belongs to (id, login, admin); null when no key was given.
  returned: success
  type: dict
  sample: {"id": 1, "login": "admin", "admin": true}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ome.k8s.plugins.module_utils.httpclient import (
    HttpClient,
    check_url,
    join_url,
    url_argument_spec,
)
from ansible_collections.ome.k8s.plugins.module_utils.readiness import (
    Misconfigured,
    check_timing,
    readiness_argument_spec,
    wait_and_exit,
)

# Redmine's layout names itself in a meta tag whatever the site title; the login form has a fixed id.
REDMINE_MARKERS = ('<meta name="description" content="Redmine"', 'id="login-form"')
API_KEY_HEADER = "X-Redmine-API-Key"


def looks_like_redmine(text):
    return any(marker in text for marker in REDMINE_MARKERS)


def user_facts(data):
    """The harmless part of users/current.json (never the api_key it also contains)."""
    user = data.get("user") if isinstance(data, dict) else None
    if not isinstance(user, dict) or "login" not in user:
        raise Misconfigured("users/current.json answered without a user: %r" % sorted(data or {}))
    return {"id": user.get("id"), "login": user.get("login"), "admin": bool(user.get("admin"))}


class RedmineProbe:
    def __init__(self, url, api_key=None, client=None):
        self.url = url
        self.api_key = api_key
        self.client = client or HttpClient()

    def __call__(self, budget):
        login_url = join_url(self.url, "login")
        page = self.client.get(login_url, budget)
        if not looks_like_redmine(page.text):
            raise Misconfigured(
                "GET %s answered HTTP %s but not with Redmine's login page: %s; check the URL and its path prefix"
                % (login_url, page.status, page.excerpt())
            )
        if not self.api_key:
            return {"rest_api": None, "redmine_user": None}
        api_url = join_url(self.url, "users/current.json")
        answer = self.client.get(
            api_url,
            budget,
            headers={API_KEY_HEADER: self.api_key, "Accept": "application/json"},
            expect=(200, 401, 403),
        )
        if answer.status == 401:
            raise Misconfigured(
                "GET %s: HTTP 401, Redmine refused the API key; check api_key (My account, API access key)" % api_url
            )
        if answer.status == 403:
            raise Misconfigured(
                "GET %s: HTTP 403, the Redmine REST API is disabled; enable it under Administration, Settings, "
                "API, 'Enable REST web service' (setting rest_api_enabled)" % api_url
            )
        return {"rest_api": True, "redmine_user": user_facts(answer.json())}


def main():
    argument_spec = url_argument_spec()
    argument_spec.update(readiness_argument_spec())
    argument_spec.update(api_key=dict(type="str", no_log=True))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    problem = check_timing(params) or check_url(params["url"])
    if problem:
        module.fail_json(msg="invalid options: %s" % problem)

    client = HttpClient(validate_certs=params["validate_certs"], ca_path=params["ca_path"])
    wait_and_exit(module, RedmineProbe(params["url"], params["api_key"], client), "Redmine")


if __name__ == "__main__":
    main()
