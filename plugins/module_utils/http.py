# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deprecated name of ome.k8s's HTTP helper: import from module_utils.httpclient instead.

A module_utils file named http.py makes ansible-test's pylint confuse it with the standard library's
http package (it reports the standard module's imports against this file), so the helper lives in
httpclient.py. This file only keeps existing imports working until they are switched, then goes away.
"""

from __future__ import annotations

from ansible_collections.ome.k8s.plugins.module_utils.httpclient import (
    BODY_EXCERPT,
    RETRY_STATUSES,
    HttpClient,
    Response,
    check_status,
    check_url,
    classify_transport_error,
    host_port,
    join_url,
    url_argument_spec,
)

__all__ = [
    "BODY_EXCERPT",
    "RETRY_STATUSES",
    "HttpClient",
    "Response",
    "check_status",
    "check_url",
    "classify_transport_error",
    "host_port",
    "join_url",
    "url_argument_spec",
]
