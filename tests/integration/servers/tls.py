"""TLS for the integration tests: a self-signed certificate made with openssl, nginx terminating TLS."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from . import free_port, port_open, stop_process, wait_until

NGINX_CONF = """
daemon off;
worker_processes 1;
pid %(base)s/nginx.pid;
error_log %(base)s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(base)s/tmp/body;
    proxy_temp_path %(base)s/tmp/proxy;
    fastcgi_temp_path %(base)s/tmp/fastcgi;
    uwsgi_temp_path %(base)s/tmp/uwsgi;
    scgi_temp_path %(base)s/tmp/scgi;
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name localhost;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        location / {
            proxy_pass http://127.0.0.1:%(upstream)d;
            proxy_buffering off;
%(headers)s
        }
    }
}
"""


def make_self_signed(base, name, with_loopback_ip=True):
    """Write a self-signed certificate for `name` (and 127.0.0.1); return (cert path, key path)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; run tools/test-deps.sh as root")
    base = Path(base)
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=%s" % name,
            "-addext",
            "subjectAltName=DNS:%s%s" % (name, ",IP:127.0.0.1" if with_loopback_ip else ""),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


# What a well-configured TLS front end tells its upstream.
FORWARD_ORIGINAL = {"Host": "$http_host", "X-Forwarded-Proto": "https"}


class NginxTlsProxy:
    """nginx (Debian's) listening with TLS on a free loopback port, proxying to `upstream` over HTTP.

    `headers` are the proxy_set_header lines sent upstream (default: the original host and scheme).
    """

    def __init__(self, base, upstream, cert, key, *, port=None, headers=None):
        self.base = Path(base)
        self.port = port or free_port()
        self.upstream = upstream
        self.cert = cert
        self.key = key
        self.headers = FORWARD_ORIGINAL if headers is None else headers
        self.process = None
        self.url = "https://127.0.0.1:%d" % self.port
        self.conf = self.base / "nginx.conf"

    def write_conf(self):
        (self.base / "tmp").mkdir(parents=True, exist_ok=True)
        (self.base / "tmp").chmod(0o777)
        self.conf.write_text(
            NGINX_CONF
            % dict(
                base=self.base,
                port=self.port,
                cert=self.cert,
                key=self.key,
                upstream=self.upstream,
                headers="\n".join("            proxy_set_header %s %s;" % item for item in self.headers.items()),
            )
        )

    def start(self, wait=True):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            pytest.skip("nginx is not installed; run tools/test-deps.sh as root")
        self.write_conf()
        self.process = subprocess.Popen(
            [nginx, "-c", str(self.conf), "-p", str(self.base), "-e", str(self.base / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if wait:
            wait_until(lambda: port_open(self.port), 30, "nginx to listen on %d" % self.port, interval=0.02)
        return self

    def stop(self):
        stop_process(self.process)
