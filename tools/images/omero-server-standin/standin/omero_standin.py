# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OMERO.server STAND-IN for the ome.k8s test cluster. It is not OMERO.server.

OMERO.server (Java, IceGrid, Glacier2) cannot be built here, so this program answers just enough of its
client protocol for the readiness module ome.k8s.omero_server_ready and the roles around it:

* ``database``: waits for PostgreSQL (the CONFIG_omero_db_* environment variables, as the upstream image
  reads them) and, on a database without OMERO's ``dbpatch`` table, creates that table holding one finished
  row for the schema the release expects, as OMERO records an initialised schema. Nothing else of the
  schema exists. An older schema gets one more finished row, the upgrade the upstream image's start runs
  (`omego db upgrade`); a newer one stops the start, as OMERO.server refuses it.
* ``serve``: one Ice object adapter on 4063 (tcp) and 4064 (ssl), plus 4065/4066 (ws/wss) when
  omero.client.icetransports names them, hosting a Glacier2 router (``OMERO.Glacier2/router``) and the
  few OMERO services a login uses. The router's client proxy is null, so a client sends its routed
  requests to the router's own endpoint, where the same adapter dispatches them.
* ``status`` and ``stop``: what ``omero admin status`` and ``omero admin stop`` do for the probes and
  the preStop hook.

Each session gets the services omero-py's BlitzGateway.connect() and the training role's accounts Job
(roles/omero_training/files/omero_training_accounts.py) call: ISession (getSession, closeSession), IAdmin
(the group and experimenter calls below, on an in-memory account list) and ``submit`` for a Chmod2 that
changes a group's permissions. Nothing else of OMERO (no images, no queries, no imports).

Logins: ``guest`` with any non-empty password, ``root`` with ROOTPASS, an experimenter created through
IAdmin with its password, and a live session's key as both name and password (joinSession). Sessions,
groups, experimenters and passwords live in memory only: a restarted stand-in knows only root and guest
again, and the accounts Job, run again, re-creates the rest.
"""

import argparse
import contextlib
import hashlib
import hmac
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
            row = latest_schema(cur)
            if row is not None and schema_key(*row) < schema_key(SCHEMA_VERSION, SCHEMA_PATCH):
                log.info(
                    "upgrading the database schema from %s patch %d to %s patch %d (stand-in: one dbpatch row)",
                    row[0],
                    row[1],
                    SCHEMA_VERSION,
                    SCHEMA_PATCH,
                )
                cur.execute(
                    "INSERT INTO dbpatch (id, currentVersion, currentPatch, previousVersion, previousPatch, finished,"
                    " message) SELECT max(id) + 1, %s, %s, %s, %s, now(), %s FROM dbpatch",
                    (SCHEMA_VERSION, SCHEMA_PATCH, row[0], row[1], "Database upgraded (ome.k8s OMERO.server stand-in)"),
                )
                row = latest_schema(cur)
    finally:
        conn.close()
    if row is None or (row[0], row[1]) != (SCHEMA_VERSION, SCHEMA_PATCH):
        found = "no finished dbpatch row" if row is None else "%s patch %s" % row
        raise SystemExit(
            "database schema is %s, this server needs %s patch %d; not starting" % (found, SCHEMA_VERSION, SCHEMA_PATCH)
        )
    log.info("database schema %s patch %d is current", *row)


def latest_schema(cur):
    """(version, patch) of the newest finished dbpatch row, or None."""
    cur.execute("SELECT currentVersion, currentPatch FROM dbpatch WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1")
    return cur.fetchone()


def schema_key(version, patch):
    """`OMERO5.4`, 0 -> ((5, 4), 0), so that OMERO5.10 sorts after OMERO5.9."""
    return tuple(int(part) for part in version[len("OMERO") :].split(".")), int(patch)


# --- accounts (in memory) -------------------------------------------------------------------------


class AccountError(Exception):
    """A request the account list refuses; ``kind`` names the omero exception it becomes."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class Accounts:
    """OMERO's groups and experimenters, in memory only (a restart forgets everything created).

    It starts with what a new OMERO database holds: the groups system (id 0), user (1) and guest (2),
    and the experimenters root (0, in system and user) and guest (1, in guest). An experimenter's groups
    are kept in order, the default group first, as OMERO keeps them.
    """

    SYSTEM, USER, GUEST = 0, 1, 2

    def __init__(self):
        self._lock = threading.Lock()
        self.groups = {}  # id -> {"name", "permissions" (e.g. "rwra--"), "ldap"}
        self.users = {}  # id -> {"name", "first_name", "last_name", "ldap", "groups" [ids], "password"}
        for name, permissions in (("system", "rw----"), ("user", "rwr---"), ("guest", "rw----")):
            self.groups[len(self.groups)] = {"name": name, "permissions": permissions, "ldap": False}
        for name, groups in (("root", [self.SYSTEM, self.USER]), ("guest", [self.GUEST])):
            self.users[len(self.users)] = {
                "name": name,
                "first_name": name,
                "last_name": name,
                "ldap": False,
                "groups": groups,
                "password": None,
            }

    @staticmethod
    def _find(table, kind, key):
        for ident, entry in table.items():
            if ident == key or entry["name"] == key:
                return ident
        raise AccountError("ApiUsageException", "No such %s: %s" % (kind, key))

    def group_id(self, key):
        """The id of the group with this id or name."""
        with self._lock:
            return self._find(self.groups, "group", key)

    def user_id(self, key):
        """The id of the experimenter with this id or name."""
        with self._lock:
            return self._find(self.users, "experimenter", key)

    def is_admin(self, user_id):
        return self.SYSTEM in self.users[user_id]["groups"]

    def create_group(self, name, permissions, ldap):
        with self._lock:
            if any(g["name"] == name for g in self.groups.values()):
                raise AccountError("ValidationException", "a group named %s exists" % name)
            ident = max(self.groups) + 1
            self.groups[ident] = {"name": name, "permissions": permissions, "ldap": ldap}
        log.info("group %s (id %d, %s) created", name, ident, permissions)
        return ident

    def set_permissions(self, group_id, permissions):
        with self._lock:
            self.groups[group_id]["permissions"] = permissions
        log.info("group id %d now %s", group_id, permissions)

    def create_user(self, fields, password, group_ids):
        """``fields``: name, first_name, last_name, ldap; ``group_ids``: the default group first."""
        with self._lock:
            if any(u["name"] == fields["name"] for u in self.users.values()):
                raise AccountError("ValidationException", "an experimenter named %s exists" % fields["name"])
            for group_id in group_ids:
                self._find(self.groups, "group", group_id)
            ident = max(self.users) + 1
            self.users[ident] = dict(fields, groups=list(dict.fromkeys(group_ids)), password=self._hash(password))
        log.info("experimenter %s (id %d) created in groups %s", fields["name"], ident, group_ids)
        return ident

    def add_groups(self, user_id, group_ids):
        with self._lock:
            groups = self.users[user_id]["groups"]
            for group_id in group_ids:
                self._find(self.groups, "group", group_id)
                if group_id not in groups:
                    groups.append(group_id)
        log.info("experimenter id %d now in groups %s", user_id, groups)

    def check_password(self, name, password):
        """The experimenter's id when ``password`` is the one it was created with, else None."""
        with self._lock:
            for ident, entry in self.users.items():
                if entry["name"] == name and entry["password"] is not None:
                    salt, digest = entry["password"]
                    if hmac.compare_digest(digest, self._hash(password, salt)[1]):
                        return ident
        return None

    @staticmethod
    def _hash(password, salt=None):
        # Only a salted digest is kept, even in memory, so no dump of the process shows a password.
        if password is None:
            return None
        salt = salt if salt is not None else os.urandom(16)
        return salt, hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 100_000)


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
    import omero.cmd
    import omero.model
    import omero.ObjectFactoryRegistrar
    import omero.sys
    from omero.rtypes import rbool, rlong, rstring, rtime

    # Requests carry omero.model and rtypes objects: decode them as omero-py's classes, as a client does.
    omero.ObjectFactoryRegistrar.registerObjectFactory(communicator, None)
    for factory in omero.rtypes.ObjectFactories.values():
        factory.register(communicator)

    accounts = Accounts()
    sessions = {}  # uuid -> {"user": experimenter id, "started": ms, "identities": [its servants' identities]}
    by_connection = {}  # connection description -> uuid
    lock = threading.Lock()

    def connection_key(current):
        return current.con.toString() if current.con else ""

    def answer(method):
        """An AMD servant method (OMERO's services are declared ``amd``) from a plain one."""

        def dispatch(self, cb, *args):
            try:
                result = method(self, *args[:-1])  # the last one is Ice's current
            except AccountError as exc:
                cb.ice_exception(getattr(omero, exc.kind)(None, None, str(exc)))
            except Exception as exc:  # anything else reaches the client as Ice.UnknownException
                log.exception("%s failed", method.__name__)
                cb.ice_exception(exc)
            else:
                cb.ice_response() if result is None else cb.ice_response(result)

        return dispatch

    # --- omero.model objects from the account list ---

    def group_model(group_id):
        entry = accounts.groups[group_id]
        group = omero.model.ExperimenterGroupI(group_id, True)
        group.setName(rstring(entry["name"]))
        group.setLdap(rbool(entry["ldap"]))
        group.getDetails().setPermissions(omero.model.PermissionsI(entry["permissions"]))
        return group

    def user_model(user_id):
        entry = accounts.users[user_id]
        user = omero.model.ExperimenterI(user_id, True)
        user.setOmeName(rstring(entry["name"]))
        user.setFirstName(rstring(entry["first_name"]))
        user.setLastName(rstring(entry["last_name"]))
        user.setLdap(rbool(entry["ldap"]))
        for group_id in entry["groups"]:
            user.linkExperimenterGroup(group_model(group_id))
        return user

    def value(rtype, default=None):
        return default if rtype is None else rtype.getValue()

    def permissions_of(group):
        permissions = group.getDetails().getPermissions() if group.getDetails() else None
        return str(permissions) if permissions is not None else "rw----"

    def group_ids(groups):
        return [accounts.group_id(value(g.getId()) if g.getId() is not None else value(g.getName())) for g in groups]

    # --- per-session services ---

    class SessionServiceI(omero.api.ISession):
        def __init__(self, session_uuid):
            self._uuid = session_uuid

        @answer
        def getSession_async(self, session_uuid):
            with lock:
                found = sessions.get(session_uuid)
            if found is None:
                raise AccountError("RemovedSessionException", "no session %s" % session_uuid)
            session = omero.model.SessionI()
            session.setUuid(rstring(session_uuid))
            session.setOwner(omero.model.ExperimenterI(found["user"], False))
            session.setStarted(rtime(found["started"]))
            session.setTimeToIdle(rlong(600000))
            session.setTimeToLive(rlong(0))
            return session

        @answer
        def closeSession_async(self, session):
            # Reference count 0: the session ends at once (OMERO counts the clients sharing it).
            end_session(value(session.getUuid()))
            return 0

    class AdminI(omero.api.IAdmin):
        def __init__(self, session_uuid, user_id):
            self._uuid = session_uuid
            self._user = user_id

        def _require_admin(self):
            if not accounts.is_admin(self._user):
                raise AccountError("SecurityViolation", "only an administrator may change accounts")

        @answer
        def getSecurityRoles_async(self):
            return omero.sys.Roles(
                rootId=0,
                rootName="root",
                systemGroupId=Accounts.SYSTEM,
                systemGroupName="system",
                userGroupId=Accounts.USER,
                userGroupName="user",
                guestId=1,
                guestName="guest",
                guestGroupId=Accounts.GUEST,
                guestGroupName="guest",
            )

        @answer
        def getEventContext_async(self):
            user = accounts.users[self._user]
            default = user["groups"][0]
            return omero.sys.EventContext(
                sessionUuid=self._uuid,
                userId=self._user,
                userName=user["name"],
                groupId=default,
                groupName=accounts.groups[default]["name"],
                isAdmin=accounts.is_admin(self._user),
                adminPrivileges=[],
                eventType="User",
                memberOfGroups=list(user["groups"]),
                leaderOfGroups=[],
                groupPermissions=omero.model.PermissionsI(accounts.groups[default]["permissions"]),
            )

        @answer
        def lookupGroups_async(self):
            return [group_model(i) for i in sorted(accounts.groups)]

        @answer
        def lookupGroup_async(self, name):
            return group_model(accounts.group_id(name))

        @answer
        def getGroup_async(self, group_id):
            return group_model(accounts.group_id(group_id))

        @answer
        def lookupExperimenters_async(self):
            return [user_model(i) for i in sorted(accounts.users)]

        @answer
        def lookupExperimenter_async(self, name):
            return user_model(accounts.user_id(name))

        @answer
        def getExperimenter_async(self, user_id):
            return user_model(accounts.user_id(user_id))

        @answer
        def containedGroups_async(self, user_id):
            return [group_model(i) for i in accounts.users[accounts.user_id(user_id)]["groups"]]

        @answer
        def createGroup_async(self, group):
            self._require_admin()
            return accounts.create_group(value(group.getName()), permissions_of(group), value(group.getLdap(), False))

        @answer
        def createExperimenterWithPassword_async(self, user, password, default_group, other_groups):
            self._require_admin()
            fields = {
                "name": value(user.getOmeName()),
                "first_name": value(user.getFirstName(), ""),
                "last_name": value(user.getLastName(), ""),
                "ldap": value(user.getLdap(), False),
            }
            return accounts.create_user(fields, value(password), group_ids([default_group, *other_groups]))

        @answer
        def addGroups_async(self, user, groups):
            self._require_admin()
            accounts.add_groups(accounts.user_id(value(user.getId())), group_ids(groups))

    class HandleI(omero.cmd.Handle):
        """A command that ran to its end before submit returned: the client's first poll finds the answer."""

        def __init__(self, request, response, identity):
            self._request, self._response, self._identity = request, response, identity
            now = int(time.time() * 1000)
            flags = [omero.cmd.State.FAILURE] if isinstance(response, omero.cmd.ERR) else []
            self._status = omero.cmd.Status(flags=flags, steps=1, currentStep=1, startTime=now, stopTime=now)

        def getRequest(self, current=None):
            return self._request

        def getResponse(self, current=None):
            return self._response

        def getStatus(self, current=None):
            return self._status

        def addCallback(self, cb, current=None):
            pass

        def removeCallback(self, cb, current=None):
            pass

        def cancel(self, current=None):
            return False

        def close(self, current=None):
            with contextlib.suppress(Ice.NotRegisteredException):
                adapter.remove(self._identity)

    def chmod(request, user_id):
        """Chmod2 on groups only, the one use the accounts Job has for it (a group's permission level)."""
        targets = dict(request.targetObjects or {})
        group_targets = targets.pop("ExperimenterGroup", [])
        if targets or not group_targets:
            return omero.cmd.ERR("ome.k8s.standin", "unsupported", {"reason": "only ExperimenterGroup targets"})
        if not accounts.is_admin(user_id):
            return omero.cmd.ERR("ome.k8s.standin", "SecurityViolation", {"reason": "administrators only"})
        permissions = str(omero.model.PermissionsI(request.permissions))
        for group_id in group_targets:
            accounts.set_permissions(accounts.group_id(group_id), permissions)
        return omero.cmd.Chmod2Response(includedObjects={"ome.model.meta.ExperimenterGroup": group_targets})

    class ServiceFactoryI(omero.api.ServiceFactory):
        def __init__(self, session_uuid, user_id):
            self._uuid = session_uuid
            self._user = user_id

        def _service(self, name, servant):
            """The session's own servant (its services, its command handles), added at its first use,
            removed with the session."""
            identity = Ice.Identity(name, self._uuid)
            with lock:
                found = sessions.get(self._uuid)
                if found is None:
                    raise omero.RemovedSessionException(None, None, "session closed")
                if identity not in found["identities"]:
                    adapter.add(servant, identity)
                    found["identities"].append(identity)
            return adapter.createProxy(identity)

        def getConfigService(self, current=None):
            return config_prx

        def getSessionService(self, current=None):
            return omero.api.ISessionPrx.uncheckedCast(self._service("ISession", SessionServiceI(self._uuid)))

        def getAdminService(self, current=None):
            return omero.api.IAdminPrx.uncheckedCast(self._service("IAdmin", AdminI(self._uuid, self._user)))

        def submit_async(self, cb, request, current=None):
            if isinstance(request, omero.cmd.Chmod2):
                response = chmod(request, self._user)
            else:
                response = omero.cmd.ERR("ome.k8s.standin", "unsupported", {"request": request.ice_id()})
            name = str(uuid.uuid4())
            try:
                handle = self._service(name, HandleI(request, response, Ice.Identity(name, self._uuid)))
            except omero.RemovedSessionException as exc:
                cb.ice_exception(exc)
            else:
                cb.ice_response(omero.cmd.HandlePrx.uncheckedCast(handle))

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

    def end_session(session_uuid):
        with lock:
            found = sessions.pop(session_uuid, None)
            for key in [k for k, v in by_connection.items() if v == session_uuid]:
                del by_connection[key]
        if found is None:
            return
        for identity in [Ice.Identity(session_uuid, ""), *found["identities"]]:
            with contextlib.suppress(Ice.NotRegisteredException):
                adapter.remove(identity)
        log.info("session %s of %s closed", session_uuid[:8], accounts.users[found["user"]]["name"])

    def check_login(user, password):
        """The experimenter id the name and password log in as, or None."""
        if user == "guest" and password:
            return accounts.user_id("guest")
        if user == "root" and root_password and password == root_password:
            return accounts.user_id("root")
        with lock:
            if user == password and user in sessions:
                return sessions[user]["user"]
        return accounts.check_password(user, password)

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
            user_id = check_login(userId, password)
            if user_id is None:
                log.info("login refused for %r", userId)
                cb.ice_exception(
                    Glacier2.PermissionDeniedException(
                        "Password check failed for '%s' (OMERO.server stand-in: guest, root, the experimenters"
                        " created since it started, session keys)" % userId
                    )
                )
                return
            session_uuid = str(uuid.uuid4())
            identity = Ice.Identity(session_uuid, "")
            adapter.add(ServiceFactoryI(session_uuid, user_id), identity)
            with lock:
                sessions[session_uuid] = {"user": user_id, "started": int(time.time() * 1000), "identities": []}
                by_connection[connection_key(current)] = session_uuid
            log.info("session %s created for %s", session_uuid[:8], accounts.users[user_id]["name"])
            cb.ice_response(Glacier2.SessionPrx.uncheckedCast(adapter.createProxy(identity)))

        def createSessionFromSecureConnection_async(self, cb, current=None):
            cb.ice_exception(Glacier2.PermissionDeniedException("not supported by the OMERO.server stand-in"))

        def refreshSession_async(self, cb, current=None):
            cb.ice_response()

        def destroySession(self, current=None):
            # Glacier2 raises SessionNotExistException for a connection without a session (omero-py's
            # killSession ends the session through ISession first); clients ignore it. Raised here, it
            # reached the client as an Ice.UnknownException that BlitzGateway logs as a warning, so the
            # stand-in returns quietly instead.
            with lock:
                session_uuid = by_connection.get(connection_key(current))
            if session_uuid is not None:
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
        if os.path.exists(PID_FILE):
            os.remove(PID_FILE)
        # In the pod, Ice 3.6's destroy() was seen never to return after a shutdown, so every stop took the
        # pod's whole grace period (300 s). The stand-in keeps nothing that a clean destroy would save: it
        # gets 10 seconds, then SIGALRM's default action ends the process even if destroy holds the GIL.
        signal.alarm(10)
        communicator.destroy()
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
