# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OMERO.server stand-in's services (tools/images/omero-server-standin/standin/omero_standin.py), served
on a free ssl port for the tests, without the image.

The image's `serve` listens on the fixed ports 4063-4066; this runner hosts the same servants
(`build_servants`: router, ServiceFactory, ISession, IAdmin, submit) on the port it is given. Run it with
the OMERO venv's Python (zeroc-ice 3.6 and omero-py):

    /opt/ome-k8s-tests/omero-venv/bin/python omero_standin.py --port 14064 --certfile cert.pem --keyfile key.pem

The root password comes from the environment (ROOTPASS), as in the image. The pytest side
(`StandinServer`) lives at the bottom and runs under the controller's Python.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STANDIN_DIR = Path(__file__).resolve().parents[3] / "tools" / "images" / "omero-server-standin" / "standin"


# --------------------------------------------------------------------------------------------------------
# Server side (OMERO venv Python, zeroc-ice 3.6)
# --------------------------------------------------------------------------------------------------------


def serve(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    args = parser.parse_args(argv)

    import Ice

    sys.path.insert(0, str(STANDIN_DIR))
    import omero_standin

    omero_standin.setup_logging(to_file=False)
    init = Ice.InitializationData()
    init.properties = Ice.createProperties()
    for key, value in {
        "Ice.Plugin.IceSSL": "IceSSL:createIceSSL",
        "IceSSL.CertFile": os.path.abspath(args.certfile),
        "IceSSL.KeyFile": os.path.abspath(args.keyfile),
        "IceSSL.VerifyPeer": "0",
        "Ice.Warn.Connections": "0",
        "StandinTest.Endpoints": "ssl -h 127.0.0.1 -p %d" % args.port,
    }.items():
        init.properties.setProperty(key, value)
    communicator = Ice.initialize(init)
    adapter = communicator.createObjectAdapter("StandinTest")
    omero_standin.build_servants(communicator, adapter, os.environ["ROOTPASS"])
    adapter.activate()
    print("READY", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: communicator.shutdown())
    while not communicator.isShutdown():
        time.sleep(0.2)
    communicator.destroy()
    return 0


# --------------------------------------------------------------------------------------------------------
# pytest side (controller Python; the fixture is in tests/integration/images/test_omero_server_standin.py)
# --------------------------------------------------------------------------------------------------------


class StandinServer:
    """One stand-in process on `port` (ssl); `root_password` is what it got as ROOTPASS."""

    def __init__(self, python, workdir, certfile, keyfile, port):
        self.python, self.workdir = str(python), Path(workdir)
        self.certfile, self.keyfile, self.port = certfile, keyfile, port
        self.root_password = os.urandom(12).hex()
        self.log_path = self.workdir / "standin.log"
        self.process = None

    def start(self, timeout=30):
        # OMERODIR without etc/grid/config.xml: the stand-in's IConfig answers no properties.
        env = dict(os.environ, ROOTPASS=self.root_password, OMERODIR=str(self.workdir))
        cmd = [self.python, __file__, "--port", str(self.port)]
        cmd += ["--certfile", str(self.certfile), "--keyfile", str(self.keyfile)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.stdout.readline().strip() == b"READY":
                return self
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the OMERO.server stand-in did not start:\n%s" % self.log_text())

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(20)
        self.process.stdout.close()

    def log_text(self):
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


if __name__ == "__main__":
    sys.exit(serve())
