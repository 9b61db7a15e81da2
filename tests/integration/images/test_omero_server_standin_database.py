# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OMERO.server stand-in's start-up database step against a real PostgreSQL: it initialises an empty
database, upgrades an older schema as the upstream image's `omego db upgrade` would (the path `make e2e`
takes behind the pre-upgrade backup), and refuses a newer one."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
from servers.omero_standin import STANDIN_DIR
from servers.postgres import OMERO_PASSWORD, OMERO_ROLE

pytestmark = pytest.mark.integration

_names = itertools.count()


@pytest.fixture
def database_step(postgres_server, tmp_path):
    """`run(template) -> (CompletedProcess, rows)`: the step on a copy of one of the schema databases."""

    def run(template):
        name = "standin_%d" % next(_names)
        postgres_server.psql("CREATE DATABASE %s TEMPLATE %s OWNER %s;" % (name, template, OMERO_ROLE))
        env = dict(
            os.environ,
            OMERODIR=str(tmp_path / "OMERO.server"),
            CONFIG_omero_db_host="127.0.0.1",
            CONFIG_omero_db_port=str(postgres_server.port),
            CONFIG_omero_db_name=name,
            CONFIG_omero_db_user=OMERO_ROLE,
            CONFIG_omero_db_pass=OMERO_PASSWORD,
        )
        done = subprocess.run(
            [sys.executable, str(STANDIN_DIR / "omero_standin.py"), "database"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        rows = postgres_server.psql(
            "\\pset tuples_only on\n\\pset format unaligned\n"
            "SELECT currentversion, currentpatch, previousversion, previouspatch FROM dbpatch"
            " WHERE finished IS NOT NULL ORDER BY id;",
            db=name,
        )
        return done, [tuple(line.split("|")) for line in rows.split()]

    return run


def test_empty_database_is_initialised(database_step):
    done, rows = database_step("omero_empty")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows == [("OMERO5.4", "0", "OMERO5.4", "0")]


def test_older_schema_is_upgraded_with_one_row(database_step):
    done, rows = database_step("omero_older")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows == [("OMERO5.3", "0", "OMERO5.2", "0"), ("OMERO5.4", "0", "OMERO5.3", "0")]
    assert "upgrading the database schema from OMERO5.3 patch 0 to OMERO5.4 patch 0" in done.stdout


def test_current_schema_is_left_alone(database_step):
    done, rows = database_step("omero_current")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows == [("OMERO4.4", "0", "OMERO4.4", "0"), ("OMERO5.4", "0", "OMERO5.3", "0")]


@pytest.mark.parametrize("template", ["omero_newer", "omero_newer_patch"])
def test_newer_schema_stops_the_start(database_step, template):
    done, rows = database_step(template)
    assert done.returncode != 0
    assert "this server needs OMERO5.4 patch 0; not starting" in done.stderr
    assert len(rows) == 2
