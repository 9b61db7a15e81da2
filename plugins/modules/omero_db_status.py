#!/usr/bin/python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: omero_db_status
short_description: Wait for the OMERO PostgreSQL database and report the state of its schema
version_added: 0.1.0
description:
  - Connects to the OMERO database until it answers, then reads the C(dbpatch) table that OMERO keeps
    its schema version in, and compares the current schema with O(expected_version) and
    O(expected_patch).
  - The current schema is the finished C(dbpatch) row with the highest id; rows whose C(finished) is
    empty (an upgrade that is running or failed) do not count, and are reported by RV(in_progress).
  - Connection refused, a timeout, a host name not in DNS yet, too many clients and "the database
    system is starting up" are retried until O(timeout). A refused password, an unknown role or
    database, a pg_hba.conf rejection and TLS failures fail at once. The password never appears in a
    message.
  - Options are checked before any connection is tried.
  - RV(ready) says whether the database answered; RV(state) then holds the state of the schema.
author:
  - OME team (@ome)
extends_documentation_fragment:
  - ome.k8s.readiness
options:
  login_host:
    description:
      - Host name or address of the PostgreSQL server, or the directory of its Unix socket.
    type: str
    default: localhost
    aliases: [host]
  port:
    description: TCP port of the PostgreSQL server (1-65535).
    type: int
    default: 5432
    aliases: [login_port]
  login_user:
    description: The role to connect as.
    type: str
    default: postgres
    aliases: [login]
  login_password:
    description: The password of O(login_user).
    type: str
  db:
    description: Name of the OMERO database.
    type: str
    required: true
    aliases: [login_db]
  ssl_mode:
    description: How to use TLS, as libpq's C(sslmode).
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - PEM file of the CA certificates that signed the server's certificate, for O(ssl_mode=verify-ca)
        and O(ssl_mode=verify-full).
    type: path
    aliases: [ssl_rootcert]
  expected_version:
    description:
      - The schema version the OMERO server to be deployed expects, as OMERO writes it
        (C(OMERO) followed by the major and minor version).
    type: str
    default: OMERO5.4
  expected_patch:
    description: The schema patch the OMERO server to be deployed expects.
    type: int
    default: 0
requirements:
  - psycopg2 (or psycopg 3) on the host that runs the module
notes:
  - Server error messages are recognised in English. With another C(lc_messages) on the server, an
    unrecognised connection error is retried until O(timeout) rather than failing at once.
seealso:
  - module: community.postgresql.postgresql_ping
  - module: ome.k8s.redmine_ready
"""

EXAMPLES = r"""
- name: Wait for the OMERO database and read its schema version
  ome.k8s.omero_db_status:
    login_host: omero-db.omero.svc
    login_user: omero
    login_password: "{{ omero_server_db_password }}"
    db: omero
    timeout: 600
  register: __omero_server_db_status

- name: Stop before a schema upgrade that has to be done by hand
  ansible.builtin.assert:
    that: __omero_server_db_status.state in ['uninitialised', 'current']
    fail_msg: >-
      The OMERO database holds schema {{ __omero_server_db_status.current_version }}
      patch {{ __omero_server_db_status.current_patch }} ({{ __omero_server_db_status.state }}).
"""

RETURN = r"""
ready:
  description: Whether the database answered before the timeout.
  returned: always
  type: bool
  sample: true
state:
  description:
    - When the database answered, the state of the OMERO schema, V(uninitialised) (no C(dbpatch) table,
      or no finished row in it), V(current) (as expected), V(upgrade_needed) (older than expected) or
      V(newer_than_expected).
    - Otherwise V(not_ready) (timed out) or V(misconfigured) (failed at once).
  returned: always
  type: str
  sample: current
attempts:
  description: How many times a connection was tried.
  returned: always
  type: int
  sample: 2
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 0.42
last_error:
  description: Why the last failed attempt failed, or null.
  returned: always
  type: str
  sample: 'connecting to omero@db:5432/omero: connection to server at "db", port 5432 failed: Connection refused'
current_version:
  description: Schema version of the latest finished C(dbpatch) row; null when uninitialised.
  returned: success
  type: str
  sample: OMERO5.4
current_patch:
  description: Schema patch of the latest finished C(dbpatch) row; null when uninitialised.
  returned: success
  type: int
  sample: 0
previous_version:
  description: The version that row upgraded from; null when uninitialised.
  returned: success
  type: str
  sample: OMERO5.3
previous_patch:
  description: The patch that row upgraded from; null when uninitialised.
  returned: success
  type: int
  sample: 0
in_progress:
  description: Whether a C(dbpatch) row newer than the current one is not finished (an upgrade running or failed).
  returned: success
  type: bool
  sample: false
server_version:
  description: The PostgreSQL server version (C(server_version) setting).
  returned: success
  type: str
  sample: "15.18"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ome.k8s.plugins.module_utils import postgres
from ansible_collections.ome.k8s.plugins.module_utils.omero_schema import (
    UNINITIALISED,
    compare,
    parse_version,
)
from ansible_collections.ome.k8s.plugins.module_utils.readiness import (
    check_timing,
    readiness_argument_spec,
    wait_and_exit,
)

LATEST_SQL = (
    "SELECT id, currentversion, currentpatch, previousversion, previouspatch FROM dbpatch"
    " WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1"
)
UNFINISHED_SQL = "SELECT count(*) FROM dbpatch WHERE finished IS NULL AND id > %s"


def read_schema(conn, expected_version, expected_patch, password=None):
    """Facts about the OMERO schema in an open connection."""
    rows = postgres.query(conn, "SHOW server_version", where="reading the server version", password=password)
    server_version = rows[0][0] if rows else None
    rows = postgres.query(
        conn, "SELECT to_regclass('dbpatch') IS NOT NULL", where="looking for dbpatch", password=password
    )
    facts = dict(
        state=UNINITIALISED,
        current_version=None,
        current_patch=None,
        previous_version=None,
        previous_patch=None,
        in_progress=False,
        server_version=server_version,
    )
    if not rows[0][0]:
        return facts
    latest = postgres.query(conn, LATEST_SQL, where="reading dbpatch", password=password)
    last_id = latest[0][0] if latest else -1
    unfinished = postgres.query(conn, UNFINISHED_SQL, (last_id,), where="reading dbpatch", password=password)
    facts["in_progress"] = bool(unfinished[0][0])
    if not latest:
        return facts
    _id, version, patch, previous_version, previous_patch = latest[0]
    facts.update(
        current_version=version,
        current_patch=patch,
        previous_version=previous_version,
        previous_patch=previous_patch,
        state=compare(version, patch, expected_version, expected_patch),
    )
    return facts


class DbStatusProbe:
    def __init__(self, params):
        self.params = params

    def __call__(self, budget):
        password = self.params.get("login_password")
        conn = postgres.connect(self.params, budget)
        try:
            return read_schema(conn, self.params["expected_version"], self.params["expected_patch"], password)
        finally:
            conn.close()


def check_params(params):
    problem = check_timing(params) or postgres.check_connection_params(params)
    if problem:
        return problem
    if parse_version(params["expected_version"]) is None:
        return "expected_version must look like OMERO5.4, got %r" % params["expected_version"]
    if params["expected_patch"] < 0:
        return "expected_patch must be zero or more, got %s" % params["expected_patch"]
    return None


def main():
    argument_spec = postgres.postgres_argument_spec()
    argument_spec.update(readiness_argument_spec())
    argument_spec.update(
        expected_version=dict(type="str", default="OMERO5.4"),
        expected_patch=dict(type="int", default=0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    if postgres.DRIVER is None:
        module.fail_json(msg=missing_required_lib("psycopg2"), exception=postgres.IMPORT_ERROR)

    problem = check_params(module.params)
    if problem:
        module.fail_json(msg="invalid options: %s" % problem)

    wait_and_exit(module, DbStatusProbe(module.params), "OMERO database")


if __name__ == "__main__":
    main()
