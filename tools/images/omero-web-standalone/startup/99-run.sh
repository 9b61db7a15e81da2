#!/bin/bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# OMERO.web in the foreground: `omero web start` collects the static files into omero.web.static_root, then
# runs gunicorn on omero.web.application_server.host/port.
set -eu
exec omero web start --foreground
