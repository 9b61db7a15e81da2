# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the service, C(http://) or C(https://), with its path prefix if it is served under one
        (for example V(https://redmine.example.org/redmine)).
      - Checked before any network traffic; a URL without scheme or host fails at once.
      - A host name that does not resolve is retried until O(timeout), because DNS for a new ingress host
        name is often populated after the deployment; the name is reported in RV(last_error).
    type: str
    required: true
  validate_certs:
    description:
      - Verify the TLS certificate of an C(https://) URL.
      - A certificate that does not verify fails at once (waiting will not fix it); give the CA with
        O(ca_path), or set this to V(false) for a self-signed certificate you trust.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates to trust for an C(https://) URL, instead of the system ones.
    type: path
"""
