#!/bin/bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Stand-in: waits for PostgreSQL (CONFIG_omero_db_*) and records an initialised schema in a new database.
set -eu
exec python /opt/omero/server/standin/omero_standin.py database
