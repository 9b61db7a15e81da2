# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OMERO.server STAND-IN for the ome.k8s test cluster. It is not OMERO.server.

OMERO.server (Java, IceGrid, Glacier2) cannot be built here, so this program answers just enough of its
client protocol for the readiness module ome.k8s.omero_server_ready and the roles around it:

* ``database``: waits for PostgreSQL (the CONFIG_omero_db_* environment variables, as the upstream image
  reads them) and, on a database without OMERO's ``dbpatch`` table, creates that table holding one finished
  row for the schema the release expects, as OMERO records an initialised schema. Nothing else of the
  schema exists. A database holding another schema version stops the start, as OMERO.server refuses one.
* ``serve``: one Ice object adapter on 4063 (tcp) and 4064 (ssl), plus 4065/4066 (ws/wss) when
  omero.client.icetransports names them, hosting a Glacier2 router (``OMERO.Glacier2/router``) and the
  few OMERO services a login uses. The router's client proxy is null, so a client sends its routed
  requests to the router's own endpoint, where the same adapter dispatches them.
* ``status`` and ``stop``: what ``omero admin status`` and ``omero admin stop`` do for the probes and
  the preStop hook.

Logins: ``guest`` with any non-empty password, ``root`` with ROOTPASS, and a live session's key as both
name and password (joinSession). Sessions live in memory only.
"""

import argparse
import contextlib
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid

OMERODIR = os.environ.get("OMERODIR", "/opt/omero/server/OMERO.server")
VAR_DIR = os.path.join(OMERODIR, "var")
LOG_FILE = os.path.join(VAR_DIR, "log", "Blitz-0.log")
PID_FILE = os.path.join(VAR_DIR, "standin.pid")
ROUTER_NAME = "OMERO.Glacier2/router"
PORTS = {"tcp": 4063, "ssl": 4064, "ws": 4065, "wss": 4066}
# OMERO 5.6 keeps schema OMERO5.4, patch 0 (the role's omero_server_db_expected_version/_patch).
SCHEMA_VERSION = os.environ.get("OMERO_STANDIN_SCHEMA_VERSION", "OMERO5.4")
SCHEMA_PATCH = int(os.environ.get("OMERO_STANDIN_SCHEMA_PATCH", "0"))
# Must match the role's expected_version (^5\.6\.18 for tag 5.6.18) and still say what it is.
VERSION = os.environ.get("OMERO_STANDIN_VERSION", "5.6.18-ome.k8s-standin")
DB_TRIES = 50
DB_INTERVAL = 3

log = logging.getLogger("omero.standin")


def setup_logging(to_file):
    handlers = [logging.StreamHandler(sys.stdout)]
    if to_file:
        os.makedirs(os.path.dirname(LOG_FILE), exist_ok=True)
        handlers.append(logging.FileHandler(LOG_FILE))
    logging.basicConfig(
        level=logging.INFO, handlers=handlers, format="%(asctime)s %(levelname)-5s [%(name)s] %(message)s"
    )


def read_config():
    """The properties `omero config` wrote (startup/50-config.py): etc/grid/config.xml's default profile."""
    from omero.config import ConfigXml

    path = os.path.join(OMERODIR, "etc", "grid", "config.xml")
    if not os.path.exists(path):
        return {}
    config = ConfigXml(path, exclusive=False, read_only=True)
    try:
        return dict(config.as_map())
    finally:
        config.close()


# --- database -------------------------------------------------------------------------------------


def db_settings():
    """The connection, from the environment only, with the stand-in's defaults (host `db` as upstream)."""
    env = os.environ
    return dict(
        host=env.get("CONFIG_omero_db_host") or "db",
        port=int(env.get("CONFIG_omero_db_port") or 5432),
        dbname=env.get("CONFIG_omero_db_name") or "omero",
        user=env.get("CONFIG_omero_db_user") or "omero",
        password=env.get("CONFIG_omero_db_pass") or "omero",
    )


def connect_db(settings):
    import psycopg2

    where = "%(user)s@%(host)s:%(port)s/%(dbname)s" % settings
    for attempt in range(1, DB_TRIES + 1):
        try:
            return psycopg2.connect(connect_timeout=10, **settings)
        except psycopg2.OperationalError as exc:
            reason = " ".join(str(exc).split())
            log.info("database %s not reachable (attempt %d of %d): %s", where, attempt, DB_TRIES, reason)
            if attempt == DB_TRIES:
                raise SystemExit("database %s still not reachable; giving up" % where) from None
            time.sleep(DB_INTERVAL)
    raise AssertionError("unreachable")


def ensure_schema():
    settings = db_settings()
    conn = connect_db(settings)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('dbpatch') IS NOT NULL")
            if not cur.fetchone()[0]:
                log.info(
                    "database has no OMERO schema: recording %s patch %d (stand-in: dbpatch table only)",
                    SCHEMA_VERSION,
                    SCHEMA_PATCH,
                )
                cur.execute(
                    "CREATE TABLE dbpatch (id bigserial PRIMARY KEY, permissions bigint NOT NULL DEFAULT -52,"
                    " currentVersion varchar(255) NOT NULL, currentPatch integer NOT NULL,"
                    " previousVersion varchar(255) NOT NULL, previousPatch integer NOT NULL,"
                    " finished timestamp, message varchar(255), external_id bigint)"
                )
                cur.execute(
                    "INSERT INTO dbpatch (currentVersion, currentPatch, previousVersion, previousPatch,"
                    " finished, message) VALUES (%s, %s, %s, %s, now(), %s)",
                    (
                        SCHEMA_VERSION,
                        SCHEMA_PATCH,
                        SCHEMA_VERSION,
                        SCHEMA_PATCH,
                        "Database ready (ome.k8s OMERO.server stand-in)",
                    ),
                )
            cur.execute(
                "SELECT currentVersion, currentPatch FROM dbpatch WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1"
            )
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None or (row[0], row[1]) != (SCHEMA_VERSION, SCHEMA_PATCH):
        found = "no finished dbpatch row" if row is None else "%s patch %s" % row
        raise SystemExit(
            "database schema is %s, this server needs %s patch %d; not starting" % (found, SCHEMA_VERSION, SCHEMA_PATCH)
        )
    log.info("database schema %s patch %d is current", *row)


# --- Ice ------------------------------------------------------------------------------------------


def endpoints(config):
    transports = [t.strip() for t in config.get("omero.client.icetransports", "ssl,tcp").split(",")]
    wanted = [t for t in ("tcp", "ssl", "ws", "wss") if t in transports or t in ("tcp", "ssl")]
    return ":".join("%s -p %d" % (t, PORTS[t]) for t in wanted)


def ice_properties(config):
    props = {
        "Ice.Plugin.IceSSL": "IceSSL:createIceSSL",
        "IceSSL.VerifyPeer": "0",
        "Ice.ThreadPool.Server.SizeMax": "16",
        "Ice.Warn.Connections": "0",
        "OMERO.StandIn.Endpoints": endpoints(config),
    }
    # What `certificates` (omero-certificates) set for Glacier2: key pair, protocols, ciphers.
    prefix = "omero.glacier2."
    for key, value in config.items():
        if key.startswith(prefix + "IceSSL."):
            props[key[len(prefix) :]] = value
    return props


def build_servants(communicator, adapter, root_password):
    import Glacier2
    import Ice
    import omero
    import omero.api

    sessions = {}  # uuid -> user name
    by_connection = {}  # connection description -> uuid
    lock = threading.Lock()

    def connection_key(current):
        return current.con.toString() if current.con else ""

    class ConfigI(omero.api.IConfig):
        def __init__(self, config):
            self._config = config

        def getVersion_async(self, cb, current=None):
            cb.ice_response(VERSION)

        def getConfigValue_async(self, cb, key, current=None):
            if re.search(r"pass|secret|key$", key):
                cb.ice_exception(omero.SecurityViolation(None, None, "stand-in: %s is not readable" % key))
            else:
                cb.ice_response(self._config.get(key, ""))

        def getClientConfigValues_async(self, cb, current=None):
            cb.ice_response({k: v for k, v in self._config.items() if k.startswith("omero.client.")})

        def getClientConfigDefaults_async(self, cb, current=None):
            cb.ice_response({})

    config_identity = Ice.Identity("IConfig", "omero.api")
    adapter.add(ConfigI(read_config()), config_identity)
    config_prx = omero.api.IConfigPrx.uncheckedCast(adapter.createProxy(config_identity))

    class ServiceFactoryI(omero.api.ServiceFactory):
        def __init__(self, session_uuid):
            self._uuid = session_uuid

        def getConfigService(self, current=None):
            return config_prx

        def setCallback(self, callback, current=None):
            pass

        def keepAlive(self, proxy, current=None):
            return True

        def keepAllAlive(self, proxies, current=None):
            return 0

        def closeOnDestroy(self, current=None):
            pass

        def detachOnDestroy(self, current=None):
            pass

        def destroy(self, current=None):
            end_session(self._uuid)

    def end_session(session_uuid):
        with lock:
            user = sessions.pop(session_uuid, None)
            for key in [k for k, v in by_connection.items() if v == session_uuid]:
                del by_connection[key]
        if user is not None:
            with contextlib.suppress(Ice.NotRegisteredException):
                adapter.remove(Ice.Identity(session_uuid, ""))
            log.info("session %s of %s closed", session_uuid[:8], user)

    def check_login(user, password):
        if user == "guest" and password:
            return "guest"
        if user == "root" and root_password and password == root_password:
            return "root"
        with lock:
            if user == password and user in sessions:
                return sessions[user]
        return None

    class RouterI(Glacier2.Router):
        def getClientProxy(self, current=None):
            # Null: the client sends routed requests to the router's own endpoint (this adapter).
            return None

        def getServerProxy(self, current=None):
            # Only used for the client's callback proxies, which the stand-in never calls.
            return adapter.createProxy(Ice.Identity("callbacks", "OMERO.Glacier2"))

        def addProxies(self, proxies, current=None):
            return []

        def getCategoryForClient(self, current=None):
            return "standin-" + uuid.uuid5(uuid.NAMESPACE_OID, connection_key(current)).hex[:12]

        def createSession_async(self, cb, userId, password, current=None):
            user = check_login(userId, password)
            if user is None:
                log.info("login refused for %r", userId)
                cb.ice_exception(
                    Glacier2.PermissionDeniedException(
                        "Password check failed for '%s' (OMERO.server stand-in: only guest, root and session keys)"
                        % userId
                    )
                )
                return
            session_uuid = str(uuid.uuid4())
            identity = Ice.Identity(session_uuid, "")
            adapter.add(ServiceFactoryI(session_uuid), identity)
            with lock:
                sessions[session_uuid] = user
                by_connection[connection_key(current)] = session_uuid
            log.info("session %s created for %s", session_uuid[:8], user)
            cb.ice_response(Glacier2.SessionPrx.uncheckedCast(adapter.createProxy(identity)))

        def createSessionFromSecureConnection_async(self, cb, current=None):
            cb.ice_exception(Glacier2.PermissionDeniedException("not supported by the OMERO.server stand-in"))

        def refreshSession_async(self, cb, current=None):
            cb.ice_response()

        def destroySession(self, current=None):
            with lock:
                session_uuid = by_connection.get(connection_key(current))
            if session_uuid is None:
                raise Glacier2.SessionNotExistException()
            end_session(session_uuid)

        def getSessionTimeout(self, current=None):
            return 600

        def getACMTimeout(self, current=None):
            return 0

    adapter.add(RouterI(), Ice.stringToIdentity(ROUTER_NAME))


def serve():
    import Ice

    config = read_config()
    init = Ice.InitializationData()
    init.properties = Ice.createProperties()
    for key, value in ice_properties(config).items():
        init.properties.setProperty(key, value)
    communicator = Ice.initialize(init)
    try:
        adapter = communicator.createObjectAdapter("OMERO.StandIn")
        build_servants(communicator, adapter, os.environ.get("ROOTPASS", ""))
        adapter.activate()
        with open(PID_FILE, "w") as pid_file:
            pid_file.write("%d\n" % os.getpid())
        signal.signal(signal.SIGTERM, lambda *_: communicator.shutdown())
        signal.signal(signal.SIGINT, lambda *_: communicator.shutdown())
        listening = init.properties.getProperty("OMERO.StandIn.Endpoints")
        log.info("OMERO.server STAND-IN %s listening on %s", VERSION, listening)
        # Ice's waitForShutdown blocks signals from reaching Python; poll instead.
        while not communicator.isShutdown():
            time.sleep(0.5)
        log.info("shutting down")
    finally:
        communicator.destroy()
        if os.path.exists(PID_FILE):
            os.remove(PID_FILE)
    return 0


def status():
    """Exit 0 when the router answers on the local tcp port, as `omero admin status` does when up."""
    import Ice

    init = Ice.InitializationData()
    init.properties = Ice.createProperties()
    init.properties.setProperty("Ice.Override.Timeout", "10000")
    communicator = Ice.initialize(init)
    try:
        communicator.stringToProxy("%s:tcp -h 127.0.0.1 -p %d" % (ROUTER_NAME, PORTS["tcp"])).ice_ping()
    except Ice.Exception as exc:
        print("OMERO.server stand-in is not running (%s)" % type(exc).__name__)
        return 1
    finally:
        communicator.destroy()
    print("OMERO.server stand-in %s is running" % VERSION)
    return 0


def stop():
    """Ask the server to shut down and return at once: it is the container's main process, so the
    container ends with it, and a hook still waiting then would be killed with the container."""
    try:
        with open(PID_FILE) as pid_file:
            pid = int(pid_file.read().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        print("OMERO.server stand-in is not running (no live process in %s)" % PID_FILE)
        return 0
    print("OMERO.server stand-in (pid %d) is stopping" % pid)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="OMERO.server stand-in for ome.k8s tests (not OMERO.server)")
    parser.add_argument("command", choices=["database", "serve", "status", "stop"])
    args = parser.parse_args(argv)
    if args.command in ("status", "stop"):
        return status() if args.command == "status" else stop()
    setup_logging(to_file=True)
    if args.command == "database":
        ensure_schema()
        return 0
    return serve()


if __name__ == "__main__":
    sys.exit(main())
