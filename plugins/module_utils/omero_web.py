# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""OMERO.web JSON API probe for ome.k8s.omero_web_ready (pure HTTP, no omero-py).

The probe walks the API the way a client does: GET <url>/api/ lists the API versions and their base
URLs; the newest base lists url:servers, url:token and url:login; the servers list is compared with what
the caller expects; with credentials, a CSRF token is fetched and a login POSTed, which makes OMERO.web
open a session on its OMERO.server. OMERO.web answers a failed login with HTTP 403 and a JSON message;
"Server is not responding" is what it says when it cannot reach OMERO.server (retried), anything else
(refused credentials, client/server version mismatch, an unknown server id) fails at once.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

from ansible_collections.ome.k8s.plugins.module_utils.httpclient import HttpClient, join_url
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

# OMERO.web's wording when its guest login to OMERO.server fails (webgateway LoginView).
SERVER_DOWN_PATTERN = re.compile(r"server is not responding", re.IGNORECASE)
# Keys of the login's eventContext that would let someone reuse the session: never returned.
SECRET_CONTEXT_KEYS = ("sessionId", "sessionUuid")
MIN_REQUEST_TIMEOUT = 0.5
HOST_PORT = re.compile(r"^(?P<host>.+):(?P<port>\d+)$")


def check_options(params):
    """Return an error message for bad option values, or None."""
    if params.get("server_id") is not None and params["server_id"] < 1:
        return "server_id must be 1 or more (OMERO.web numbers its servers from 1), got %s" % params["server_id"]
    if bool(params.get("username")) != bool(params.get("password")):
        return "username and password must be given together (or neither, to check the web tier only)"
    for entry in params.get("expected_servers") or []:
        if not entry or not str(entry).strip():
            return "expected_servers must not contain empty entries"
        match = HOST_PORT.match(entry)
        if match and not 0 < int(match.group("port")) < 65536:
            return "expected_servers entry %r has a port outside 1-65535" % entry
    return None


def rebase(found, base_url):
    """Point a URL that OMERO.web returned at the scheme, host and prefix the caller gave.

    OMERO.web builds absolute URLs from the request it saw, which behind an ingress that terminates
    TLS is http://; following those would send the password in clear or to an unreachable name. Only
    the path and query are taken from `found`. When the caller's URL has a path prefix that OMERO.web
    does not know about (an ingress stripping it), the prefix is put back.
    """
    target = urlsplit(found)
    base = urlsplit(base_url)
    prefix = base.path.rstrip("/")
    path = target.path or "/"
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        path = prefix + path
    return urlunsplit((base.scheme, base.netloc, path, target.query, ""))


def version_key(version):
    parts = re.findall(r"\d+", str(version))
    return tuple(int(part) for part in parts)


def describe_servers(servers):
    if not servers:
        return "no servers"
    return ", ".join(
        "%s%s:%s" % ("%s=" % server["server"] if server.get("server") else "", server.get("host"), server.get("port"))
        for server in servers
    )


def server_matches(entry, server):
    """True when an expected_servers entry names this server: its name, its host, or host:port."""
    entry = entry.strip()
    match = HOST_PORT.match(entry)
    if match:
        host = match.group("host").strip("[]")
        return str(server.get("host")) == host and str(server.get("port")) == match.group("port")
    return entry in (server.get("server"), server.get("host"))


def check_expected_servers(expected, servers):
    """Raise Misconfigured naming what OMERO.web really lists when an expected server is missing."""
    if not expected:
        return
    missing = [entry for entry in expected if not any(server_matches(entry, server) for server in servers)]
    if missing:
        raise Misconfigured(
            "OMERO.web does not list the expected server(s) %s; its omero.web.server_list has: %s"
            % (", ".join(missing), describe_servers(servers))
        )


def classify_login_failure(message, server):
    """NotReady when OMERO.web says it cannot reach OMERO.server, else Misconfigured."""
    where = "OMERO.server %s:%s" % (server.get("host"), server.get("port")) if server else "OMERO.server"
    if SERVER_DOWN_PATTERN.search(message or ""):
        return NotReady("OMERO.web is up but cannot reach %s: %s" % (where, message))
    return Misconfigured("OMERO.web refused the login to %s: %s" % (where, message or "no reason given"))


class Deadline:
    """Shares one attempt's budget between the requests it makes."""

    def __init__(self, budget, clock=time.monotonic):
        self.clock = clock
        self.end = clock() + budget

    def left(self):
        return max(MIN_REQUEST_TIMEOUT, self.end - self.clock())


def _data(response, what):
    body = response.json()
    if not isinstance(body, dict) or "data" not in body:
        raise Misconfigured(
            "%s: no 'data' in the answer, is this OMERO.web's JSON API? %s" % (what, response.excerpt())
        )
    return body["data"]


def discover(client, url, deadline):
    """GET <url>/api/ and the newest version's base; return (versions, base dict)."""
    api_url = join_url(url, "api/")
    versions = _data(client.get(api_url, deadline.left()), "GET %s" % api_url)
    if not isinstance(versions, list) or not versions:
        raise Misconfigured("GET %s: OMERO.web lists no API versions" % api_url)
    newest = max(versions, key=lambda item: version_key(item.get("version")))
    if "url:base" not in newest:
        raise Misconfigured("GET %s: API version %s has no url:base" % (api_url, newest.get("version")))
    base_url = rebase(newest["url:base"], url)
    base = client.get(base_url, deadline.left()).json()
    for key in ("url:servers", "url:token", "url:login"):
        if key not in base:
            raise Misconfigured("GET %s: no %s in the API base; is this OMERO.web?" % (base_url, key))
    return [str(item.get("version")) for item in versions], base


def login(client, url, base, deadline, *, server_id, username, password, server):
    """Fetch a CSRF token, POST the login; return the eventContext (without session keys)."""
    token_url = rebase(base["url:token"], url)
    token = _data(client.get(token_url, deadline.left()), "GET %s" % token_url)
    login_url = rebase(base["url:login"], url)
    response = client.post(
        login_url,
        deadline.left(),
        data=urlencode((("server", server_id), ("username", username), ("password", password))),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": str(token),
            # Django's CSRF check wants a same-origin Referer on https.
            "Referer": login_url,
        },
        expect=(200, 403),
    )
    if response.status == 403:
        try:
            message = response.json().get("message")
        except (Misconfigured, AttributeError):
            raise Misconfigured(
                "POST %s: HTTP 403 that is not OMERO.web's login answer (CSRF or proxy refusal?): %s"
                % (login_url, response.excerpt())
            ) from None
        raise classify_login_failure(message, server)
    body = response.json()
    if not isinstance(body, dict) or not body.get("success"):
        raise Misconfigured("POST %s: unexpected login answer: %s" % (login_url, response.excerpt()))
    context = body.get("eventContext") or {}
    return {key: value for key, value in context.items() if key not in SECRET_CONTEXT_KEYS}


def probe_web(
    url,
    budget,
    *,
    validate_certs=True,
    ca_path=None,
    expected_servers=None,
    username=None,
    password=None,
    server_id=1,
    clock=time.monotonic,
    client=None,
):
    """One attempt: return facts when OMERO.web (and, with credentials, its server) is ready."""
    deadline = Deadline(budget, clock)
    if client is None:
        client = HttpClient(validate_certs=validate_certs, ca_path=ca_path)
    versions, base = discover(client, url, deadline)
    servers_url = rebase(base["url:servers"], url)
    servers = _data(client.get(servers_url, deadline.left()), "GET %s" % servers_url)
    if not isinstance(servers, list):
        raise Misconfigured("GET %s: the server list is not a list: %r" % (servers_url, servers))
    check_expected_servers(expected_servers, servers)
    facts = dict(api_versions=versions, servers=servers, backend_checked=False)
    if not username:
        return facts
    server = next((item for item in servers if item.get("id") == server_id), None)
    if server is None:
        listed = ", ".join("%s: %s" % (item.get("id"), describe_servers([item])) for item in servers)
        raise Misconfigured("server_id %s is not in OMERO.web's server list (%s)" % (server_id, listed or "empty"))
    facts["event_context"] = login(
        client, url, base, deadline, server_id=server_id, username=username, password=password, server=server
    )
    facts["backend_checked"] = True
    return facts
