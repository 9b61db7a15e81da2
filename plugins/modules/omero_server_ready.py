#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: omero_server_ready
short_description: Wait until OMERO.server accepts logins through Glacier2
version_added: 1.0.0
description:
  - Logs in to OMERO.server through its Glacier2 router with omero-py, reads the server version from the
    configuration service, and closes the session again; repeats until that works or O(timeout) passes.
  - Connection refused or lost, connect timeouts, host names that do not resolve, and the answers OMERO
    gives while it starts (Glacier2 C(internal server error) refusals, C(Server not fully initialized)) are
    retried.
  - Refused credentials, TLS or protocol mismatches (wrong port or transport) and a version that does not
    match O(expected_version) fail at once, because waiting will not fix them.
  - Runs where Ansible runs the module, so that host needs omero-py and zeroc-ice 3.6; point
    C(ansible_python_interpreter) at a Python environment that has them.
author:
  - OME team (@ome)
extends_documentation_fragment:
  - ome.k8s.readiness
options:
  host:
    description:
      - Host name or IP address of OMERO.server's Glacier2 router (for example the Kubernetes Service name).
    type: str
    required: true
  port:
    description:
      - Glacier2 port.
      - Defaults to OMERO's port for O(transport) - V(4063) for V(tcp), V(4064) for V(ssl), V(4066) for V(wss).
    type: int
  transport:
    description:
      - Ice transport of the Glacier2 endpoint.
      - V(ssl) encrypts without verifying the server certificate, as OMERO clients do.
    type: str
    choices: [ssl, tcp, wss]
    default: ssl
  username:
    description:
      - OMERO user to log in as.
      - The default is OMERO's guest account, the same login OMERO.web uses to decide whether the server is up.
    type: str
    default: guest
  password:
    description:
      - Password of O(username).
    type: str
    default: guest
  expected_version:
    description:
      - Regular expression the server's C(omero.version) must match (Python C(re.search), so anchor it
        with C(^) to match from the start), for example V(^5\\.6\\.).
      - A mismatch fails at once.
    type: str
requirements:
  - omero-py with zeroc-ice 3.6 on the host that runs the module
notes:
  - Each attempt opens a new OMERO session and closes it before the next; nothing on the server changes.
seealso:
  - module: ome.k8s.omero_web_ready
  - name: OMERO.server ports
    description: Glacier2 listens on 4063 (tcp), 4064 (ssl) and 4066 (wss) by default.
    link: https://omero.readthedocs.io/en/stable/sysadmins/server-security.html
"""

EXAMPLES = r"""
- name: Wait for OMERO.server to accept the guest login
  ome.k8s.omero_server_ready:
    host: omero-server.omero.svc.cluster.local
    timeout: 600

- name: Wait for OMERO.server 5.6 over plain TCP with a real account
  ome.k8s.omero_server_ready:
    host: 127.0.0.1
    transport: tcp
    username: root
    password: "{{ omero_server_root_password }}"
    expected_version: '^5\.6\.'
  vars:
    ansible_python_interpreter: /opt/omero-venv/bin/python
"""

RETURN = r"""
ready:
  description: Whether the login succeeded before the deadline.
  returned: always
  type: bool
  sample: true
state:
  description: V(ready), V(not_ready) (still failing at the deadline) or V(misconfigured) (failed at once).
  returned: always
  type: str
  sample: ready
attempts:
  description: Number of login attempts made.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 12.5
last_error:
  description: Why the last failed attempt failed (null when the first attempt succeeded).
  returned: always
  type: str
  sample: "ssl://omero:4064: Ice.ConnectionRefusedException: ..."
version:
  description: The server's C(omero.version).
  returned: success
  type: str
  sample: 5.6.14-ice36
endpoint:
  description: The Glacier2 endpoint that answered, as transport://host:port.
  returned: success
  type: str
  sample: ssl://omero-server:4064
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ome.k8s.plugins.module_utils import omero as omero_utils
from ansible_collections.ome.k8s.plugins.module_utils.readiness import (
    check_timing,
    readiness_argument_spec,
    wait_and_exit,
)


def argument_spec():
    spec = readiness_argument_spec()
    spec.update(
        host=dict(type="str", required=True),
        port=dict(type="int"),
        transport=dict(type="str", choices=list(omero_utils.TRANSPORTS), default="ssl"),
        username=dict(type="str", default="guest"),
        password=dict(type="str", default="guest", no_log=True),
        expected_version=dict(type="str"),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    error = check_timing(params) or omero_utils.check_options(params)
    if error:
        module.fail_json(msg=error)

    clients, import_error = omero_utils.import_omero()
    if clients is None:
        module.fail_json(msg=missing_required_lib("omero-py (with zeroc-ice 3.6)"), exception=import_error)

    host = params["host"].strip()
    transport = params["transport"]
    port = omero_utils.effective_port(transport, params["port"])

    def probe(budget):
        return omero_utils.probe_server(
            clients,
            budget,
            host=host,
            port=port,
            transport=transport,
            username=params["username"],
            password=params["password"],
            expected_version=params["expected_version"],
        )

    wait_and_exit(module, probe, what="OMERO.server")


if __name__ == "__main__":
    main()
