#!/bin/bash
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# var/ is a volume that outlives a container restart; the pid file of the previous container's gunicorn
# would name a process id that may now belong to another process, and `omero web start` would refuse.
set -eu
rm -f "$OMERODIR/var/django.pid"
