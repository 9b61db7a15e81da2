# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  timeout:
    description:
      - How long to wait in total, in seconds, for the service to become ready.
      - Conditions that waiting can fix (connection refused, service still starting) are retried until
        then; conditions it cannot fix (refused credentials, wrong URL) fail at once.
      - C(0) makes exactly one attempt. At most 86400 (one day), like O(interval) and O(attempt_timeout).
    type: float
    default: 300
  interval:
    description:
      - Longest pause between two attempts, in seconds.
      - The first retries come sooner (from 0.05 s, doubling) so a service that is almost up is noticed
        promptly; the pause then stays at this value.
    type: float
    default: 0.5
  attempt_timeout:
    description:
      - Longest time one attempt (connecting and reading the answer) may take, in seconds.
      - Always capped by the time left before O(timeout), but never below 0.5 s.
      - A server that accepts connections but does not answer is asked again after this long.
    type: float
    default: 10
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no diff.
notes:
  - Results have the same keys on success and on failure, so a failed wait can still be inspected with
    C(ignore_errors) or C(failed_when).
"""
