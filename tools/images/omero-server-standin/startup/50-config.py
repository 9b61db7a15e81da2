#!/usr/bin/env python
# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply the configuration the way the upstream image documents it (ome/omero-server-docker README,
"Configuration"): every /opt/omero/server/config/*.omero file with `omero load`, in name order, then one
property per CONFIG_<name> environment variable (`_` stands for `.`, `__` for `_`), which wins.
Values are never printed: CONFIG_omero_db_pass carries the database password."""

import glob
import os
import subprocess
import sys

from omero.config import ConfigXml

CONFIG_DIR = "/opt/omero/server/config"


def property_name(variable):
    return variable[len("CONFIG_") :].replace("__", "\0").replace("_", ".").replace("\0", "_")


def main():
    files = sorted(glob.glob(os.path.join(CONFIG_DIR, "*.omero")))
    if files:
        print("50-config: loading %s" % " ".join(files), flush=True)
        subprocess.run(["omero", "load", "--glob", os.path.join(CONFIG_DIR, "*.omero")], check=True)
    names = sorted(v for v in os.environ if v.startswith("CONFIG_") and len(v) > len("CONFIG_"))
    if not names:
        return 0
    config = ConfigXml(os.path.join(os.environ["OMERODIR"], "etc", "grid", "config.xml"))
    try:
        for variable in names:
            config[property_name(variable)] = os.environ[variable]
            print("50-config: set %s from %s" % (property_name(variable), variable), flush=True)
    finally:
        config.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
