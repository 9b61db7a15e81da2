# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Ice server that answers like OMERO.server's Glacier2 router, for the readiness tests.

Run it with the OMERO venv's Python (it needs zeroc-ice 3.6 and omero-py's generated Slice classes):

    /opt/ome-k8s-tests/omero-venv/bin/python ice_glacier2.py --tcp-port 14063 --ssl-port 14064 \
        --certfile cert.pem --keyfile key.pem --user guest:guest --version 5.6.14-ice36 \
        --phase verifier-down:3 --phase initializing:2 --events events.jsonl

It serves the Glacier2 router object OMERO.Glacier2/router (createSession, getCategoryForClient,
getSessionTimeout, getACMTimeout, refreshSession, destroySession and Ice::Router's getClientProxy,
getServerProxy, addProxies). Routed calls come to the same object adapter, so a session proxy returned
by createSession reaches an omero.api.ServiceFactory servant here, whose getConfigService() answers
getVersion and getConfigValue("omero.version"); enough of IAdmin and ISession is there for
OMERO.web's login too. Refusals are the ones OMERO really gives:

* wrong credentials: Glacier2.PermissionDeniedException("Password check failed for '<user>': [...]");
* --phase verifier-down: Glacier2 up, OMERO.blitz not: PermissionDeniedException("internal server error");
* --phase manager-down: CannotCreateSessionException("internal server error");
* --phase initializing: omero.WrappedCreateSessionException(concurrency=true, "Server not fully initialized").

Phases run in order for the given seconds (no seconds: for ever), counted from the first login
attempt; then logins succeed. Events (listening,
login, session-created, session-destroyed) are appended as JSON lines to --events. The pytest side
(`IceGlacier2Server`, fixtures) lives at the bottom and runs under the controller's Python.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

PHASES = ("verifier-down", "manager-down", "initializing")


# --------------------------------------------------------------------------------------------------------
# Server side (OMERO venv Python, zeroc-ice 3.6)
# --------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tcp-port", type=int, default=0, help="0: no tcp endpoint")
    parser.add_argument("--ssl-port", type=int, default=0, help="0: no ssl endpoint")
    parser.add_argument("--wss-port", type=int, default=0, help="0: no wss endpoint")
    parser.add_argument("--certfile", help="PEM certificate for ssl/wss")
    parser.add_argument("--keyfile", help="PEM key for ssl/wss")
    parser.add_argument("--user", action="append", default=[], help="user:password accepted (repeatable)")
    parser.add_argument("--version", default="5.6.14-ice36", help="what getVersion answers")
    parser.add_argument("--phase", action="append", default=[], help="KIND[:SECONDS], KIND in %s" % (PHASES,))
    parser.add_argument("--events", help="file to append JSON-line events to")
    args = parser.parse_args(argv)
    args.users = dict(item.split(":", 1) for item in (args.user or ["guest:guest"]))
    phases = []
    for item in args.phase:
        kind, _unused, seconds = item.partition(":")
        if kind not in PHASES:
            parser.error("unknown phase %r" % kind)
        phases.append((kind, float(seconds) if seconds else None))
    args.phases = phases
    if not (args.tcp_port or args.ssl_port or args.wss_port):
        parser.error("give at least one of --tcp-port, --ssl-port, --wss-port")
    if (args.ssl_port or args.wss_port) and not (args.certfile and args.keyfile):
        parser.error("ssl and wss endpoints need --certfile and --keyfile")
    return args


class Events:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, event, **data):
        if not self.path:
            return
        data["event"] = event
        data["time"] = time.time()
        with self.lock, open(self.path, "a") as stream:
            stream.write(json.dumps(data) + "\n")


def serve(args):
    """Run the server until SIGTERM; the Ice imports stay inside so pytest can import this file."""
    import Glacier2
    import Ice
    import omero
    import omero.clients  # loads every generated Slice module (omero.api, omero.sys, omero.model)
    import omero.rtypes

    events = Events(args.events)
    first_login = []
    sessions = {}  # session uuid -> (connection key, user)
    lock = threading.Lock()

    def current_phase():
        # Phases count from the first login, not from start-up, so that a slow client still sees them.
        with lock:
            if not first_login:
                first_login.append(time.monotonic())
        elapsed = time.monotonic() - first_login[0]
        for kind, seconds in args.phases:
            if seconds is None or elapsed < seconds:
                return kind
            elapsed -= seconds
        return None

    def connection_key(current):
        try:
            return current.con.toString()
        except Exception:
            return None

    class ConfigI(omero.api.IConfig):
        # IConfig is ["amd"] in OMERO's Slice: Python servants implement the *_async forms.
        def getVersion_async(self, cb, current=None):
            cb.ice_response(args.version)

        def getConfigValue_async(self, cb, key, current=None):
            cb.ice_response(args.version if key == "omero.version" else "")

        def getConfigValues_async(self, cb, key_regex, current=None):
            cb.ice_response({"omero.version": args.version})

        def getClientConfigValues_async(self, cb, current=None):
            cb.ice_response({})

        def getClientConfigDefaults_async(self, cb, current=None):
            cb.ice_response({})

    class AdminI(omero.api.IAdmin):
        def __init__(self, factory):
            self.factory = factory

        def getEventContext_async(self, cb, current=None):
            cb.ice_response(self.factory.event_context())

        def getSecurityRoles_async(self, cb, current=None):
            roles = omero.sys.Roles()
            roles.rootId, roles.rootName, roles.systemGroupId, roles.systemGroupName = 0, "root", 0, "system"
            roles.userGroupId, roles.userGroupName, roles.guestId, roles.guestName = 1, "user", 1, "guest"
            roles.guestGroupId, roles.guestGroupName = 2, "guest"
            cb.ice_response(roles)

    class SessionServiceI(omero.api.ISession):
        def __init__(self, factory):
            self.factory = factory

        def getSession_async(self, cb, session_uuid, current=None):
            session = omero.model.SessionI(1, True)
            session.uuid = omero.rtypes.rstring(self.factory.uuid)
            session.timeToIdle = omero.rtypes.rlong(600000)
            session.timeToLive = omero.rtypes.rlong(0)
            session.userAgent = omero.rtypes.rstring("test")
            cb.ice_response(session)

        def closeSession_async(self, cb, session, current=None):
            self.factory.close("closeSession")
            cb.ice_response(0)

    class ServiceFactoryI(omero.api.ServiceFactory):
        def __init__(self, user, user_id, session_uuid, adapter):
            self.user = user
            self.user_id = user_id
            self.uuid = session_uuid
            self.adapter = adapter
            self.services = {}
            self.closed = False
            self.identity = None

        def event_context(self):
            context = omero.sys.EventContext()
            context.sessionId, context.sessionUuid = 1, self.uuid
            context.userId, context.userName = self.user_id, self.user
            context.groupId, context.groupName = 1, "user"
            context.isAdmin, context.isReadOnly = self.user == "root", False
            context.eventId, context.eventType = -1, "User"
            context.memberOfGroups, context.leaderOfGroups = [1], []
            context.adminPrivileges = []
            context.shareId = -1
            context.groupPermissions = omero.model.PermissionsI("rw----")
            return context

        def _service(self, name, servant, proxy_class, current):
            if name not in self.services:
                identity = Ice.Identity(name=str(uuid.uuid4()), category=self.uuid)
                self.services[name] = proxy_class.uncheckedCast(current.adapter.add(servant, identity))
            return self.services[name]

        def getConfigService(self, current=None):
            return self._service("config", ConfigI(), omero.api.IConfigPrx, current)

        def getAdminService(self, current=None):
            return self._service("admin", AdminI(self), omero.api.IAdminPrx, current)

        def getSessionService(self, current=None):
            return self._service("session", SessionServiceI(self), omero.api.ISessionPrx, current)

        def setCallback(self, callback, current=None):
            pass

        def detachOnDestroy(self, current=None):
            pass

        def closeOnDestroy(self, current=None):
            pass

        def setSecurityPassword(self, password, current=None):
            pass

        def keepAlive(self, proxy, current=None):
            return True

        def keepAllAlive(self, proxies, current=None):
            return 0

        def activeServices(self, current=None):
            return []

        def destroy(self, current=None):
            self.close("destroy")

        def close(self, how):
            with lock:
                if self.closed:
                    return
                self.closed = True
                sessions.pop(self.uuid, None)
            for proxy in self.services.values():
                with contextlib.suppress(Ice.NotRegisteredException):
                    self.adapter.remove(proxy.ice_getIdentity())
            events("session-destroyed", user=self.user, how=how)

    factories = {}

    class RouterI(Glacier2.Router):
        category = "client-" + str(uuid.uuid4())

        def getClientProxy(self, current=None):
            # None: "route through the router's own endpoints", i.e. this adapter.
            return None

        def getServerProxy(self, current=None):
            return current.adapter.createProxy(Ice.Identity(name="server", category=self.category))

        def addProxies(self, proxies, current=None):
            return []

        def getCategoryForClient(self, current=None):
            return self.category

        def getSessionTimeout(self, current=None):
            return 600

        def getACMTimeout(self, current=None):
            return 0

        def refreshSession_async(self, cb, current=None):
            cb.ice_response()

        def createSessionFromSecureConnection_async(self, cb, current=None):
            cb.ice_exception(Glacier2.PermissionDeniedException("no configured ssl permissions verifier"))

        def createSession_async(self, cb, user, password, current=None):
            try:
                cb.ice_response(self._create(user, password, current))
            except Ice.UserException as exc:
                cb.ice_exception(exc)

        def _create(self, user, password, current):
            phase = current_phase()
            if phase == "verifier-down":
                events("login", user=user, ok=False, why=phase)
                raise Glacier2.PermissionDeniedException("internal server error")
            with lock:
                joined = sessions.get(user) if user == password else None
            if joined is not None:
                # OMERO lets a client join a live session by passing its uuid as user and password.
                user = joined[1]
            elif args.users.get(user) != password:
                events("login", user=user, ok=False, why="password")
                known = "id=%d" % (2 + sorted(args.users).index(user)) if user in args.users else ""
                raise Glacier2.PermissionDeniedException("Password check failed for '%s': [%s]" % (user, known))
            if phase == "manager-down":
                events("login", user=user, ok=False, why=phase)
                raise Glacier2.CannotCreateSessionException("internal server error")
            if phase == "initializing":
                events("login", user=user, ok=False, why=phase)
                raise omero.WrappedCreateSessionException(
                    "Server not fully initialized", True, 1000, "ApiUsageException"
                )
            session_uuid = str(uuid.uuid4())
            factory = ServiceFactoryI(user, 2 + sorted(args.users).index(user), session_uuid, current.adapter)
            identity = Ice.Identity(name=session_uuid, category=str(uuid.uuid4()))
            factory.identity = identity
            proxy = current.adapter.add(factory, identity)
            with lock:
                sessions[session_uuid] = (connection_key(current), user)
                factories[session_uuid] = factory
            events("login", user=user, ok=True)
            events("session-created", user=user)
            return Glacier2.SessionPrx.uncheckedCast(proxy)

        def destroySession(self, current=None):
            key = connection_key(current)
            with lock:
                mine = [sid for sid, (con, _unused) in sessions.items() if con == key]
            if not mine:
                raise Glacier2.SessionNotExistException()
            for sid in mine:
                factory = factories.pop(sid, None)
                if factory is not None:
                    factory.close("destroySession")
                    with contextlib.suppress(Ice.NotRegisteredException):
                        current.adapter.remove(factory.identity)

    init = Ice.InitializationData()
    init.properties = Ice.createProperties()
    properties = init.properties
    endpoints = []
    if args.tcp_port:
        endpoints.append("tcp -h %s -p %d" % (args.host, args.tcp_port))
    if args.ssl_port:
        endpoints.append("ssl -h %s -p %d" % (args.host, args.ssl_port))
    if args.wss_port:
        endpoints.append("wss -h %s -p %d" % (args.host, args.wss_port))
    if args.ssl_port or args.wss_port:
        properties.setProperty("Ice.Plugin.IceSSL", "IceSSL:createIceSSL")
        properties.setProperty("IceSSL.CertFile", os.path.abspath(args.certfile))
        properties.setProperty("IceSSL.KeyFile", os.path.abspath(args.keyfile))
        properties.setProperty("IceSSL.VerifyPeer", "0")
    properties.setProperty("Glacier2Test.Endpoints", ":".join(endpoints))
    properties.setProperty("Ice.Warn.Connections", "0")
    properties.setProperty("Ice.ThreadPool.Server.SizeMax", "8")
    communicator = Ice.initialize(init)
    adapter = communicator.createObjectAdapter("Glacier2Test")
    adapter.add(RouterI(), Ice.Identity(name="router", category="OMERO.Glacier2"))
    adapter.activate()
    events("listening", endpoints=endpoints, pid=os.getpid())
    print("READY", flush=True)

    def stop(signum, frame):
        communicator.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    communicator.waitForShutdown()
    communicator.destroy()
    return 0


# --------------------------------------------------------------------------------------------------------
# pytest side (controller Python): start and stop the server above as a subprocess
# --------------------------------------------------------------------------------------------------------


class IceGlacier2Server:
    """One fake Glacier2 process; `start()` waits until it prints READY."""

    def __init__(
        self,
        python,
        workdir,
        *,
        tcp_port=0,
        ssl_port=0,
        wss_port=0,
        certfile=None,
        keyfile=None,
        users=("guest:guest",),
        version="5.6.14-ice36",
        phases=(),
    ):
        self.python = str(python)
        self.workdir = Path(workdir)
        self.tcp_port, self.ssl_port, self.wss_port = tcp_port, ssl_port, wss_port
        self.certfile, self.keyfile = certfile, keyfile
        self.users = list(users)
        self.version = version
        self.phases = list(phases)
        self.events_path = self.workdir / "events.jsonl"
        self.log_path = self.workdir / "server.log"
        self.process = None

    def command(self):
        cmd = [self.python, str(Path(__file__).resolve()), "--events", str(self.events_path), "--version", self.version]
        for flag, port in (("--tcp-port", self.tcp_port), ("--ssl-port", self.ssl_port), ("--wss-port", self.wss_port)):
            if port:
                cmd += [flag, str(port)]
        if self.certfile:
            cmd += ["--certfile", str(self.certfile), "--keyfile", str(self.keyfile)]
        for user in self.users:
            cmd += ["--user", user]
        for phase in self.phases:
            cmd += ["--phase", phase]
        return cmd

    def start(self, timeout=30):
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
        self.process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=log, cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.strip() == b"READY":
                return self
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("fake Glacier2 did not start: %s\n%s" % (line, self.log_text()))

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()

    def kill(self):
        """SIGKILL, as a crash would: no session is closed, connections drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def events(self, kind=None):
        try:
            lines = self.events_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        items = [json.loads(line) for line in lines if line.strip()]
        return [item for item in items if kind is None or item["event"] == kind]


if __name__ == "__main__":
    sys.exit(serve(parse_args()))
