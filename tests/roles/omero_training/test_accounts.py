# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the training account provisioning script (no OMERO needed)."""

from __future__ import annotations

import importlib.util
import io
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "roles" / "omero_training" / "files" / "omero_training_accounts.py"
_spec = importlib.util.spec_from_file_location("omero_training_accounts", SCRIPT)
accounts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(accounts)

GROUPS = [{"name": "training", "permissions": "read-annotate"}]


def spec(**kwargs):
    base = {"users": 3, "groups": GROUPS}
    base.update(kwargs)
    return base


# --- input validation ------------------------------------------------------ #
def test_count_expands_to_numbered_accounts():
    result = accounts.normalize_spec(spec(users=3))
    assert [u["name"] for u in result["users"]] == ["user-01", "user-02", "user-03"]
    assert all(u["groups"] == ["training"] for u in result["users"])


def test_count_above_99_widens_numbers():
    names = accounts.user_names_from_count(100)
    assert names[0] == "user-001" and names[-1] == "user-100"


def test_custom_prefix():
    result = accounts.normalize_spec(spec(users=2, user_prefix="ws2026-"))
    assert [u["name"] for u in result["users"]] == ["ws2026-01", "ws2026-02"]


def test_explicit_list_with_details():
    result = accounts.normalize_spec(
        {
            "users": ["alice", {"name": "bob", "first_name": "Bob", "groups": ["b", "training"]}],
            "groups": ["training", {"name": "b", "permissions": "read-write"}],
        }
    )
    assert result["users"][0] == {
        "name": "alice",
        "first_name": "alice",
        "last_name": "Training",
        "groups": ["training"],
    }
    assert result["users"][1]["groups"] == ["b", "training"]
    assert result["groups"] == [
        {"name": "training", "permissions": "read-annotate"},
        {"name": "b", "permissions": "read-write"},
    ]


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([], "the list is empty"),
        (0, "at least 1"),
        (-4, "at least 1"),
        (1000, "at most 999"),
        (True, "expected a count or a list"),
        ("12", "expected a count or a list"),
        (None, "expected a count or a list"),
    ],
)
def test_bad_user_counts_and_lists(users, message):
    with pytest.raises(accounts.SpecError, match=message):
        accounts.normalize_spec(spec(users=users))


def test_missing_users_key():
    with pytest.raises(accounts.SpecError, match="users: missing"):
        accounts.normalize_spec({"groups": GROUPS})


@pytest.mark.parametrize("users", [["alice", "bob", "alice"], ["alice", "ALICE"], ["a", {"name": "a"}]])
def test_duplicate_users(users):
    with pytest.raises(accounts.SpecError, match="duplicate names"):
        accounts.normalize_spec(spec(users=users))


@pytest.mark.parametrize("name", ["", "1abc", "has space", "a/b", "ünï", "x" * 64, "user@x"])
def test_invalid_user_names(name):
    with pytest.raises(accounts.SpecError, match="is invalid"):
        accounts.normalize_spec(spec(users=[name]))
    with pytest.raises(accounts.SpecError, match="is invalid"):
        accounts.normalize_spec(spec(users=[{"name": name}]))


@pytest.mark.parametrize("entry", [12, None, ["a"]])
def test_user_entries_must_be_names_or_mappings(entry):
    with pytest.raises(accounts.SpecError, match=r"users\[0\]: expected a name or a mapping"):
        accounts.normalize_spec(spec(users=[entry]))


@pytest.mark.parametrize("name", ["root", "guest", "Root"])
def test_reserved_user_names(name):
    with pytest.raises(accounts.SpecError, match="reserved by OMERO"):
        accounts.normalize_spec(spec(users=[name]))


@pytest.mark.parametrize("name", ["system", "user", "guest"])
def test_reserved_group_names(name):
    with pytest.raises(accounts.SpecError, match="reserved by OMERO"):
        accounts.normalize_spec(spec(groups=[name]))


@pytest.mark.parametrize("level", ["public", "rwrw--", "Read-Only", "", None])
def test_unknown_permission_level(level):
    with pytest.raises(accounts.SpecError, match="unknown permission level"):
        accounts.normalize_spec(spec(groups=[{"name": "g", "permissions": level}]))


@pytest.mark.parametrize("level", sorted(accounts.PERMISSIONS))
def test_every_documented_level_is_accepted(level):
    result = accounts.normalize_spec(spec(groups=[{"name": "g", "permissions": level}]))
    assert result["groups"][0]["permissions"] == level


def test_duplicate_groups():
    with pytest.raises(accounts.SpecError, match="duplicate names training"):
        accounts.normalize_spec(spec(groups=["training", "training"]))


def test_no_groups():
    with pytest.raises(accounts.SpecError, match="at least one group"):
        accounts.normalize_spec(spec(groups=[]))


def test_user_in_undeclared_group():
    with pytest.raises(accounts.SpecError, match=r"user 'alice': groups nope are not declared"):
        accounts.normalize_spec(spec(users=[{"name": "alice", "groups": ["nope"]}]))


def test_unknown_keys_are_rejected():
    with pytest.raises(accounts.SpecError, match="unknown keys passwd"):
        accounts.normalize_spec(spec(users=[{"name": "alice", "passwd": "x"}]))
    with pytest.raises(accounts.SpecError, match="unknown spec keys colour"):
        accounts.normalize_spec(spec(colour="red"))


def test_sample_data_defaults():
    result = accounts.normalize_spec(spec(sample_data={"path": "/data/sample"}))
    assert result["sample_data"] == {"path": "/data/sample", "dataset": "Sample data"}
    with pytest.raises(accounts.SpecError, match="sample_data"):
        accounts.normalize_spec(spec(sample_data={"dataset": "x"}))


# --- diff of desired vs existing --------------------------------------------- #
def desired(users=2):
    return accounts.normalize_spec(
        spec(
            users=users,
            groups=[
                {"name": "training", "permissions": "read-annotate"},
                {"name": "shared", "permissions": "read-write"},
            ],
            default_groups=["training", "shared"],
        )
    )


def test_plan_on_empty_server_creates_everything():
    actions = accounts.plan(desired(), {"groups": {"system": "rw----", "user": "rwr---"}, "users": {"root": []}})
    assert actions == [
        {"action": "create_group", "group": "training", "permissions": "rwra--"},
        {"action": "create_group", "group": "shared", "permissions": "rwrw--"},
        {
            "action": "create_user",
            "user": "user-01",
            "first_name": "user-01",
            "last_name": "Training",
            "groups": ["training", "shared"],
        },
        {
            "action": "create_user",
            "user": "user-02",
            "first_name": "user-02",
            "last_name": "Training",
            "groups": ["training", "shared"],
        },
    ]


def test_plan_when_everything_exists_changes_nothing():
    existing = {
        "groups": {"training": "rwra--", "shared": "rwrw--", "user": "rwr---"},
        "users": {
            "user-01": ["training", "shared", "user"],
            "user-02": ["user", "shared", "training"],
            "someone-else": ["user"],
        },
    }
    assert accounts.plan(desired(), existing) == []


def test_plan_only_creates_missing_users():
    existing = {
        "groups": {"training": "rwra--", "shared": "rwrw--"},
        "users": {"user-01": ["training", "shared", "user"]},
    }
    actions = accounts.plan(desired(3), existing)
    assert [a["action"] for a in actions] == ["create_user", "create_user"]
    assert [a["user"] for a in actions] == ["user-02", "user-03"]


def test_plan_adds_missing_memberships_and_fixes_permissions():
    existing = {
        "groups": {"training": "rwr---", "shared": "rwrw--"},
        "users": {"user-01": ["training", "user"], "user-02": ["training", "shared", "extra"]},
    }
    assert accounts.plan(desired(), existing) == [
        {"action": "set_group_permissions", "group": "training", "from": "rwr---", "permissions": "rwra--"},
        {"action": "add_user_to_groups", "user": "user-01", "groups": ["shared"]},
    ]


def test_read_passwords_names_every_missing_account(tmp_path):
    (tmp_path / "user-01").write_text("s3cret\n")
    (tmp_path / "user-03").write_text("   ")
    with pytest.raises(accounts.SpecError, match="for user-02, user-03"):
        accounts.read_passwords(str(tmp_path), ["user-01", "user-02", "user-03"])
    assert accounts.read_passwords(str(tmp_path), ["user-01"]) == {"user-01": "s3cret"}


# --- command line -------------------------------------------------------------- #
def test_cli_validate_prints_normalised_spec(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(spec(users=2))))
    assert accounts.main(["validate"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [u["name"] for u in out["users"]] == ["user-01", "user-02"]


def test_cli_validate_fails_with_clear_message():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "validate"],
        input=json.dumps(spec(users=["a", "a"])),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "ERROR: invalid training accounts: users: duplicate names a" in done.stderr


def test_cli_apply_without_omero_fails_cleanly(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps(spec(users=1)))
    (tmp_path / "user-01").write_text("pw")
    (tmp_path / "root").write_text("rootpw")
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "apply",
            "--spec",
            str(tmp_path / "spec.json"),
            "--passwords-dir",
            str(tmp_path),
            "--root-password-file",
            str(tmp_path / "root"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if "omero-py is not importable" not in done.stderr:
        pytest.skip("omero-py is installed here; the no-OMERO failure path cannot be exercised")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


# --- the apply flow, with the thin OMERO layer replaced by an in-memory server --- #
class FakeOmero:
    """Stands in for OmeroAdmin: an in-memory server that records what was done to it."""

    instances: list = []
    preset_datasets: set = set()

    def __init__(self, host, port, credential):
        self.server = (host, port)
        self.credential = credential
        self.state = {"groups": {"system": "rw----", "user": "rwr---"}, "users": {"root": ["system", "user"]}}
        self.done = []
        self.datasets = set(FakeOmero.preset_datasets)
        self.closed = False
        FakeOmero.instances.append(self)

    def existing(self):
        return json.loads(json.dumps(self.state))

    def apply(self, action, credentials):
        if action["action"] == "create_user" and action["user"] == "explode":
            raise RuntimeError("ApiUsageException: boom")
        self.done.append(
            (action["action"], action.get("user") or action.get("group"), credentials.get(action.get("user")))
        )
        if action["action"] == "create_group":
            self.state["groups"][action["group"]] = action["permissions"]
        elif action["action"] == "create_user":
            self.state["users"][action["user"]] = [*action["groups"], "user"]

    def user_has_dataset(self, user, dataset):
        return (user, dataset) in self.datasets

    def import_for_user(self, user, sample, server):
        self.done.append(("import", user["name"], sample["path"]))
        self.datasets.add((user["name"], sample["dataset"]))

    def close(self):
        self.closed = True


@pytest.fixture
def fake_omero(monkeypatch, tmp_path):
    FakeOmero.instances = []
    FakeOmero.preset_datasets = set()
    monkeypatch.setattr(accounts, "OmeroAdmin", FakeOmero)
    for name in ("user-01", "user-02"):
        (tmp_path / name).write_text("pw-" + name)
    return tmp_path


def test_apply_creates_then_changes_nothing(fake_omero):
    desired = accounts.normalize_spec(spec(users=2))
    first = accounts.run_apply(desired, str(fake_omero), ("omero-server", 4064), "rootpw")
    server = FakeOmero.instances[0]
    assert first["changed"] is True
    assert server.done == [
        ("create_group", "training", None),
        ("create_user", "user-01", "pw-user-01"),
        ("create_user", "user-02", "pw-user-02"),
    ]
    assert server.closed and server.credential == "rootpw" and server.server == ("omero-server", 4064)

    # Same list against the resulting state: nothing to do.
    again = accounts.plan(desired, server.existing())
    assert again == []


def test_apply_dry_run_touches_nothing(fake_omero):
    result = accounts.run_apply(
        accounts.normalize_spec(spec(users=2)), str(fake_omero), ("h", 4064), "pw", dry_run=True
    )
    assert result["dry_run"] is True
    assert [a["action"] for a in result["actions"]] == ["create_group", "create_user", "create_user"]
    assert FakeOmero.instances[0].done == []


def test_apply_imports_sample_data_once_per_account(fake_omero):
    desired = accounts.normalize_spec(spec(users=2, sample_data={"path": "/sample/x"}))
    accounts.run_apply(desired, str(fake_omero), ("h", 4064), "pw")
    assert [d for d in FakeOmero.instances[0].done if d[0] == "import"] == [
        ("import", "user-01", "/sample/x"),
        ("import", "user-02", "/sample/x"),
    ]
    # An account that already owns the dataset is skipped on the next run.
    FakeOmero.preset_datasets = {("user-01", "Sample data")}
    result = accounts.run_apply(desired, str(fake_omero), ("h", 4064), "pw")
    assert [d for d in FakeOmero.instances[1].done if d[0] == "import"] == [("import", "user-02", "/sample/x")]
    assert [a for a in result["actions"] if a["action"] == "import_sample"] == [
        {"action": "import_sample", "user": "user-02", "dataset": "Sample data"}
    ]


def test_apply_failure_names_the_action(fake_omero):
    (fake_omero / "explode").write_text("pw")
    with pytest.raises(accounts.OmeroError, match="create_user for explode failed: ApiUsageException: boom"):
        accounts.run_apply(accounts.normalize_spec(spec(users=["explode"])), str(fake_omero), ("h", 4064), "pw")
    assert FakeOmero.instances[0].closed


def test_apply_needs_every_password_before_connecting(fake_omero):
    with pytest.raises(accounts.SpecError, match=r"no password in .* for user-03"):
        accounts.run_apply(accounts.normalize_spec(spec(users=3)), str(fake_omero), ("h", 4064), "pw")
    assert FakeOmero.instances == []
