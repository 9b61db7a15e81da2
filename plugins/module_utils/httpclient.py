# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A small HTTP client for readiness probes, over ansible.module_utils.urls (open_url's Request).

The client builds its TLS context once and hands it to every request: open_url builds a new one per
call, loading the system CA bundle each time, which costs 10-250 ms of CPU per attempt on a busy host
and delays noticing a server that has come up.

Every failure is classified for the poll loop in readiness.py:

* NotReady (waiting may fix it): connection refused or reset, timeouts, a name that does not resolve
  (DNS for a new ingress host name is often populated after the deployment starts, so the name is
  retried and reported in the message), a TLS handshake cut short, HTTP 5xx, 408 and 429.
* Misconfigured (waiting will not fix it): a TLS certificate that does not verify (the message names
  validate_certs and ca_path), plain HTTP spoken to a TLS port or the reverse, HTTP 404 on an endpoint
  that must exist (wrong URL or path prefix), any other status the caller did not expect, a body that
  is not the JSON the caller asked for.

Statuses the caller lists in `expect` are returned as a Response for the caller to interpret (for
example 401 and 403 for an API that reports refused credentials that way).
"""

from __future__ import annotations

import json
import socket
import ssl
from collections import namedtuple
from http.client import HTTPException, RemoteDisconnected
from http.cookiejar import CookieJar
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, SSLValidationError, make_context

from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady

# Statuses that say "try again later" even though they are not 5xx.
RETRY_STATUSES = frozenset((408, 425, 429))
# The part of a body quoted in messages; enough to recognise an error page, short enough for a log line.
BODY_EXCERPT = 200


def url_argument_spec():
    """The `url` and TLS options shared by the HTTP readiness modules (doc fragment ome.k8s.url)."""
    return dict(
        url=dict(type="str", required=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
    )


def check_url(url, option="url"):
    """Return an error message when `url` is not an absolute http(s) URL with a host, else None.

    Called before any network traffic so that a typo fails at once with a message naming the option.
    """
    if not url:
        return "%s must not be empty" % option
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return "%s %r is not a valid URL: %s" % (option, url, exc)
    if parts.scheme not in ("http", "https"):
        return "%s %r must start with http:// or https://" % (option, url)
    if not parts.hostname:
        return "%s %r has no host name" % (option, url)
    if port is not None and not 0 < port < 65536:
        return "%s %r has port %s, outside 1-65535" % (option, url, port)
    if parts.fragment:
        return "%s %r must not contain a #fragment" % (option, url)
    # A space or control character is never sent as such: the request would fail on every attempt.
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "%s %r contains a space or control character (encode it, e.g. %%20)" % (option, url)
    return None


def join_url(base, path):
    """Append `path` (relative, e.g. "login" or "users/current.json") to `base`, keeping its prefix.

    `https://host/redmine` and `https://host/redmine/` both give `https://host/redmine/login`.
    """
    if not base.endswith("/"):
        base += "/"
    return urljoin(base, path.lstrip("/"))


def host_port(url):
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return "%s:%s" % (parts.hostname, port)


class Response(namedtuple("ResponseFields", "method url status reason headers body")):
    """What came back: method, url, status, reason, headers (case-insensitive get) and body bytes."""

    __slots__ = ()

    @property
    def text(self):
        charset = "utf-8"
        content_type = self.header("Content-Type") or ""
        for param in content_type.split(";")[1:]:
            key, _sep, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        return self.body.decode(charset, errors="replace")

    def header(self, name, default=None):
        if self.headers is None:
            return default
        return self.headers.get(name, default)

    def excerpt(self):
        text = " ".join(self.text.split())
        return text[:BODY_EXCERPT] + ("..." if len(text) > BODY_EXCERPT else "")

    def json(self):
        """The body decoded as JSON; Misconfigured if it is not JSON (wrong endpoint, proxy page)."""
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise Misconfigured(
                "%s %s: expected JSON, got %s (%s): %s"
                % (self.method, self.url, self.header("Content-Type") or "no content type", exc, self.excerpt())
            ) from None

    def describe(self):
        return "%s %s: HTTP %s %s" % (self.method, self.url, self.status, self.reason or "")


class HttpClient:
    """GET/POST with per-attempt timeouts, one cookie jar across calls, and classified errors."""

    def __init__(
        self, validate_certs=True, ca_path=None, *, headers=None, cookies=None, follow_redirects="safe", use_proxy=True
    ):
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.headers = dict(headers or {})
        self.cookies = cookies if cookies is not None else CookieJar()
        self.follow_redirects = follow_redirects
        self.use_proxy = use_proxy
        self._context = None

    def ssl_context(self):
        """The TLS context every request uses, made on first use; Misconfigured if ca_path is unusable."""
        if self._context is None:
            try:
                self._context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise Misconfigured("ca_path %s cannot be used as CA certificates: %s" % (self.ca_path, exc)) from None
        return self._context

    def cookie(self, name):
        """The value of the cookie `name` in the jar (any domain), or None."""
        for item in self.cookies:
            if item.name == name:
                return item.value
        return None

    def get(self, url, timeout, **kwargs):
        return self.request("GET", url, timeout, **kwargs)

    def post(self, url, timeout, **kwargs):
        return self.request("POST", url, timeout, **kwargs)

    def request(
        self, method, url, timeout, *, data=None, json_data=None, headers=None, expect=None, follow_redirects=None
    ):
        """Send one request and return a Response whose status is in `expect` (default: any 2xx).

        Raises NotReady or Misconfigured as the module docstring describes. `timeout` bounds the
        connection and each read, in seconds.
        """
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        if json_data is not None:
            data = json.dumps(json_data)
            all_headers.setdefault("Content-Type", "application/json")
        if isinstance(data, str):
            data = data.encode("utf-8")
        context = self.ssl_context()
        try:
            raw = Request().open(
                method,
                url,
                data=data,
                headers=all_headers,
                timeout=timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_path,
                cookies=self.cookies,
                follow_redirects=follow_redirects or self.follow_redirects,
                use_proxy=self.use_proxy,
                http_agent="ome.k8s-readiness",
                context=context,
            )
            with raw:
                response = Response(method, url, raw.status, raw.reason, raw.headers, raw.read())
        except HTTPError as exc:
            try:
                body = exc.read() or b""
            except (OSError, HTTPException, AttributeError):
                body = b""
            response = Response(method, url, exc.code, exc.reason, exc.headers, body)
        except Exception as exc:  # classified below; anything unknown is re-raised
            raise classify_transport_error(method, url, exc) from None
        return check_status(response, expect)


def check_status(response, expect=None):
    """Return `response` if its status is expected, else raise the classified error."""
    status = response.status
    if expect is None:
        if 200 <= status < 300:
            return response
    elif status in expect:
        return response
    if status >= 500 or status in RETRY_STATUSES:
        raise NotReady("%s: %s" % (response.describe(), response.excerpt()))
    if status == 404:
        raise Misconfigured("%s; check the URL and its path prefix" % response.describe())
    raise Misconfigured("%s (unexpected): %s" % (response.describe(), response.excerpt()))


def _reason_chain(exc):
    """The exception and the reasons/causes under it (URLError.reason, __cause__, __context__)."""
    seen = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        reason = getattr(exc, "reason", None)
        exc = reason if isinstance(reason, BaseException) else exc.__cause__ or exc.__context__
    return seen


def classify_transport_error(method, url, exc):
    """Map a failure below HTTP (socket, DNS, TLS) to NotReady or Misconfigured."""
    where = "%s %s" % (method, url)
    host = urlsplit(url).hostname
    for err in _reason_chain(exc):
        if isinstance(err, ssl.SSLCertVerificationError):
            return Misconfigured(
                "%s: the TLS certificate of %s could not be verified (%s); give the CA that signed it "
                "with ca_path, or set validate_certs to false if the certificate is self-signed on purpose"
                % (where, host_port(url), err.verify_message or err.reason or err)
            )
        if isinstance(err, SSLValidationError):
            return Misconfigured(
                "%s: the TLS certificate of %s could not be verified (%s); set ca_path or validate_certs"
                % (where, host_port(url), err)
            )
        if isinstance(err, ssl.SSLError):
            text = str(err)
            if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
                return Misconfigured(
                    "%s: %s does not speak TLS (%s); use http:// for this URL or the TLS port"
                    % (where, host_port(url), text)
                )
            return NotReady("%s: TLS handshake with %s failed: %s" % (where, host_port(url), text))
        if isinstance(err, socket.gaierror):
            return NotReady(
                "%s: cannot resolve host name %r (%s); retrying in case DNS is not populated yet"
                % (where, host, err.strerror or err)
            )
        if isinstance(err, ConnectionRefusedError):
            return NotReady("%s: connection refused by %s" % (where, host_port(url)))
        # RemoteDisconnected is also a ConnectionResetError; it says more.
        if isinstance(err, RemoteDisconnected):
            return NotReady("%s: %s closed the connection without answering" % (where, host_port(url)))
        if isinstance(err, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            return NotReady("%s: connection to %s closed: %s" % (where, host_port(url), err))
        if isinstance(err, (socket.timeout, TimeoutError)):
            return NotReady("%s: timed out talking to %s" % (where, host_port(url)))
        if isinstance(err, HTTPException):
            return NotReady("%s: bad HTTP answer from %s: %r" % (where, host_port(url), err))
        if isinstance(err, OSError) and not isinstance(err, URLError):
            # EHOSTUNREACH, ENETUNREACH and friends: the network or the host may come up.
            return NotReady("%s: cannot reach %s: %s" % (where, host_port(url), err))
    if isinstance(exc, UrlsConnectionError):
        return NotReady("%s: %s" % (where, exc))
    if isinstance(exc, URLError):
        reason = exc.reason
        if isinstance(reason, str) and "unknown url type" in reason:
            return Misconfigured("%s: %s" % (where, reason))
        return NotReady("%s: %s" % (where, reason))
    if isinstance(exc, ValueError):
        return Misconfigured("%s: %s" % (where, exc))
    return exc
