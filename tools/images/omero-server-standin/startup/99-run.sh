#!/bin/bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Stand-in: serves the Glacier2 login on 4063/4064 in the foreground (not OMERO.server).
set -eu
exec python /opt/omero/server/standin/omero_standin.py serve
