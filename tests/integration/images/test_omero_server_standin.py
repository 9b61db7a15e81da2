# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The training accounts Job's script against the OMERO.server stand-in's servants, with omero-py's real
BlitzGateway: apply, re-run without changes, a permission change (Chmod2), and the created users' logins."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from servers import REPO, free_port
from servers.omero_standin import StandinServer

pytestmark = pytest.mark.integration

SCRIPT = REPO / "roles" / "omero_training" / "files" / "omero_training_accounts.py"
USERS = ["user-01", "user-02", "user-03"]

LOGIN = """
import sys, omero, omero.clients
client = omero.client("127.0.0.1", int(sys.argv[1]))
try:
    session = client.createSession(sys.argv[2], sys.stdin.read())
    ec = session.getAdminService().getEventContext()
    print("%s %s %s" % (ec.userName, ec.groupName, ec.isAdmin))
except Exception as exc:
    print("refused %s" % type(exc).__name__)
finally:
    client.closeSession()
"""


@pytest.fixture
def standin(omero_python, ice_certificate, tmp_path_factory):
    cert, key = ice_certificate
    server = StandinServer(omero_python, tmp_path_factory.mktemp("standin"), cert, key, free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def job(standin, omero_python, tmp_path):
    """`run(spec) -> summary`: the script's `apply` as the Job runs it, with generated passwords."""
    passwords = tmp_path / "passwords"
    passwords.mkdir()
    for name in USERS:
        (passwords / name).write_text(os.urandom(9).hex())
    (tmp_path / "root-password").write_text(standin.root_password)

    def run(spec):
        (tmp_path / "accounts.json").write_text(json.dumps(spec))
        command = [str(omero_python), str(SCRIPT), "apply", "--spec", str(tmp_path / "accounts.json")]
        command += ["--passwords-dir", str(passwords), "--root-password-file", str(tmp_path / "root-password")]
        command += ["--host", "127.0.0.1", "--port", str(standin.port)]
        env = dict(os.environ, HOME=str(tmp_path), OMERO_USERDIR=str(tmp_path / "omero"))
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert done.returncode == 0, "%s\n%s" % (done.stderr[-2000:], standin.log_text())
        return json.loads(done.stdout)

    run.passwords = passwords
    return run


def login(python, port, user, password):
    done = subprocess.run(
        [str(python), "-c", LOGIN, str(port), user],
        input=password,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def spec(shared="read-write", extra_group=False):
    groups = [{"name": "workshop", "permissions": "read-annotate"}, {"name": "workshop-shared", "permissions": shared}]
    member_of = ["workshop", "workshop-shared"]
    if extra_group:
        groups.append({"name": "extra", "permissions": "private"})
        member_of.append("extra")
    return {"groups": groups, "users": [{"name": n, "groups": member_of} for n in USERS], "sample_data": None}


def test_apply_then_rerun_changes_nothing(job, standin, omero_python):
    first = job(spec())
    assert first["changed"] is True
    assert [a["action"] for a in first["actions"]] == ["create_group"] * 2 + ["create_user"] * len(USERS)

    assert job(spec()) == {"actions": [], "changed": False, "dry_run": False}

    password = (job.passwords / "user-02").read_text()
    assert login(omero_python, standin.port, "user-02", password) == "user-02 workshop False"
    assert login(omero_python, standin.port, "user-02", password + "x") == "refused PermissionDeniedException"


def test_permission_change_and_new_group_then_nothing(job):
    job(spec())
    changed = job(spec(shared="read-only", extra_group=True))
    assert changed["actions"] == [
        {"action": "set_group_permissions", "group": "workshop-shared", "from": "rwrw--", "permissions": "rwr---"},
        {"action": "create_group", "group": "extra", "permissions": "rw----"},
        *({"action": "add_user_to_groups", "user": n, "groups": ["extra"]} for n in USERS),
    ]
    assert job(spec(shared="read-only", extra_group=True))["changed"] is False
