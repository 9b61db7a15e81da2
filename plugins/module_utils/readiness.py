# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one poll loop behind every readiness module of ome.k8s.

A probe is a callable taking the seconds it may spend on one attempt. It returns a dict of facts when
the service is ready, raises NotReady for a condition that time may fix (connection refused, server
still starting), and raises Misconfigured for one it never will (bad credentials, wrong URL); the loop
retries the first until the deadline and stops at once on the second.
"""

from __future__ import annotations

import math
import time

READY = "ready"
NOT_READY = "not_ready"
MISCONFIGURED = "misconfigured"

# The first retries come quickly, because a service that is "almost up" usually is; later ones back off
# up to the caller's interval so a long wait does not hammer a server that is still starting.
FIRST_DELAY = 0.05
BACKOFF = 2.0
# One attempt never gets less than this, even at the very end of the deadline, so that the last attempt
# can still succeed instead of timing out before it connects.
MIN_ATTEMPT_TIMEOUT = 0.5
# One attempt never gets more than this unless the caller says otherwise, so that a server that accepts
# connections but never answers is asked again instead of holding the whole deadline.
DEFAULT_ATTEMPT_TIMEOUT = 10.0
# The longest any option may ask for (one day): a larger value is a mistake, and a deadline that never
# comes (inf, 1e300) would hold the play for ever.
MAX_SECONDS = 86400.0


class ProbeError(Exception):
    """Base of the two outcomes a probe may raise."""


class NotReady(ProbeError):
    """The service is not ready yet; waiting may fix it."""


class Misconfigured(ProbeError):
    """Waiting will not help: the message says what the operator must fix."""


class WaitResult:
    def __init__(self, state, attempts, elapsed, last_error=None, facts=None):
        self.state = state
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_error = last_error
        self.facts = facts or {}

    @property
    def ready(self):
        return self.state == READY

    def as_dict(self):
        # A probe's facts may refine `state` (omero_db_status reports the schema state there).
        result = dict(
            ready=self.ready,
            state=self.state,
            attempts=self.attempts,
            elapsed=round(self.elapsed, 3),
            last_error=self.last_error,
        )
        result.update(self.facts)
        return result


def delays(interval, first=FIRST_DELAY, factor=BACKOFF):
    """Yield the pause before each retry: first, first*factor, ... capped at interval."""
    delay = min(first, interval)
    while True:
        yield delay
        delay = min(delay * factor, interval)


def wait(probe, timeout, interval, *, attempt_timeout=None, clock=None, sleep=None):
    """Poll `probe` until it is ready, misconfigured, or `timeout` seconds have passed.

    `attempt_timeout` bounds one attempt (default DEFAULT_ATTEMPT_TIMEOUT); it is always capped by the
    time left, never below MIN_ATTEMPT_TIMEOUT. Returns a WaitResult whatever the outcome.
    `clock` and `sleep` default to time.monotonic and time.sleep, looked up at call time so that tests
    can patch them.
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    start = clock()
    deadline = start + timeout
    attempts = 0
    last_error = None
    pauses = delays(interval)
    while True:
        attempts += 1
        left = deadline - clock()
        budget = max(MIN_ATTEMPT_TIMEOUT, min(left, attempt_timeout or DEFAULT_ATTEMPT_TIMEOUT))
        try:
            facts = probe(budget)
        except Misconfigured as exc:
            return WaitResult(MISCONFIGURED, attempts, clock() - start, str(exc))
        except NotReady as exc:
            last_error = str(exc)
        else:
            return WaitResult(READY, attempts, clock() - start, last_error, facts)
        left = deadline - clock()
        if left <= 0:
            return WaitResult(NOT_READY, attempts, clock() - start, last_error)
        sleep(min(next(pauses), left))


def readiness_argument_spec():
    """Options every readiness module shares (documented in the ome.k8s.readiness doc fragment)."""
    return dict(
        timeout=dict(type="float", default=300.0),
        interval=dict(type="float", default=0.5),
        attempt_timeout=dict(type="float", default=DEFAULT_ATTEMPT_TIMEOUT),
    )


def check_timing(params):
    """Return an error message for bad timing options, or None."""
    for name in ("timeout", "interval", "attempt_timeout"):
        value = params.get(name)
        # nan compares false with everything, so it would pass the range checks below.
        if value is not None and not (math.isfinite(value) and value <= MAX_SECONDS):
            return "%s must be a number of seconds up to %d, got %s" % (name, MAX_SECONDS, value)
    if params["timeout"] < 0:
        return "timeout must be zero or more seconds, got %s" % params["timeout"]
    if params["interval"] <= 0:
        return "interval must be more than zero seconds, got %s" % params["interval"]
    if params.get("attempt_timeout") is not None and params["attempt_timeout"] <= 0:
        return "attempt_timeout must be more than zero seconds, got %s" % params["attempt_timeout"]
    return None


def exit_with(module, result, what=None):
    """Turn a WaitResult into exit_json/fail_json with the same keys either way.

    `what` names the service in the failure message ("Redmine not ready after ...").
    """
    data = result.as_dict()
    if result.ready:
        module.exit_json(changed=False, **data)
    prefix = "%s " % what if what else ""
    if result.state == MISCONFIGURED:
        module.fail_json(msg="%smisconfigured: %s" % (prefix, result.last_error), **data)
    module.fail_json(
        msg="%snot ready after %.1f s (%d attempts): %s" % (prefix, result.elapsed, result.attempts, result.last_error),
        **data,
    )


def wait_and_exit(module, probe, what=None, *, clock=None, sleep=None):
    """Run `wait()` with the module's timeout/interval/attempt_timeout, then `exit_with()`."""
    params = module.params
    result = wait(
        probe,
        params["timeout"],
        params["interval"],
        attempt_timeout=params.get("attempt_timeout"),
        clock=clock,
        sleep=sleep,
    )
    exit_with(module, result, what)
