# Copyright: (c) 2026, OME team
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The poll loop on a fake clock: backoff, deadline, per-attempt budget, classification, exit."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.ome.k8s.plugins.module_utils import readiness
from ansible_collections.ome.k8s.plugins.module_utils.readiness import Misconfigured, NotReady


class FakeClock:
    """time.monotonic/time.sleep pair; a probe may also spend time through `spend`."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class Probe:
    """Raises the given outcomes in order, then returns facts; records the budget of every attempt."""

    def __init__(self, clock, outcomes, facts=None, cost=0.0):
        self.clock = clock
        self.outcomes = list(outcomes)
        self.facts = facts if facts is not None else {"answer": 42}
        self.cost = cost
        self.budgets = []

    def __call__(self, budget):
        self.budgets.append(budget)
        self.clock.now += self.cost
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if outcome is not None:
                raise outcome
        return self.facts


def test_delays_start_small_double_and_cap_at_interval():
    assert list(itertools.islice(readiness.delays(0.5), 6)) == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]
    assert list(itertools.islice(readiness.delays(0.01), 3)) == [0.01, 0.01, 0.01]


def test_ready_at_once():
    clock = FakeClock()
    probe = Probe(clock, [])
    result = readiness.wait(probe, 10, 0.5, clock=clock, sleep=clock.sleep)
    assert result.ready
    assert result.as_dict() == dict(ready=True, state="ready", attempts=1, elapsed=0.0, last_error=None, answer=42)
    assert clock.sleeps == []


def test_not_ready_then_ready_keeps_last_error():
    clock = FakeClock()
    probe = Probe(clock, [NotReady("refused"), NotReady("starting up")])
    result = readiness.wait(probe, 10, 0.5, clock=clock, sleep=clock.sleep)
    assert result.state == "ready"
    assert result.attempts == 3
    assert result.last_error == "starting up"
    assert clock.sleeps == [0.05, 0.1]
    assert result.elapsed == pytest.approx(0.15)


def test_not_ready_until_the_deadline():
    clock = FakeClock()
    probe = Probe(clock, [NotReady("refused %d" % n) for n in range(1000)])
    result = readiness.wait(probe, 3, 0.5, clock=clock, sleep=clock.sleep)
    assert result.state == "not_ready"
    assert not result.ready
    assert result.elapsed == pytest.approx(3.0)
    assert result.last_error == "refused %d" % (result.attempts - 1)
    # 0.05+0.1+0.2+0.4 = 0.75 s, then every 0.5 s until 3 s: 4 + 5 pauses, 10 attempts.
    assert result.attempts == 10
    assert max(clock.sleeps) == 0.5
    assert result.facts == {}


def test_misconfigured_stops_at_once():
    clock = FakeClock()
    probe = Probe(clock, [NotReady("refused"), Misconfigured("bad password")])
    result = readiness.wait(probe, 300, 0.5, clock=clock, sleep=clock.sleep)
    assert result.state == "misconfigured"
    assert result.attempts == 2
    assert result.last_error == "bad password"
    assert len(clock.sleeps) == 1


def test_zero_timeout_makes_exactly_one_attempt():
    clock = FakeClock()
    probe = Probe(clock, [NotReady("refused"), None])
    result = readiness.wait(probe, 0, 0.5, clock=clock, sleep=clock.sleep)
    assert result.state == "not_ready"
    assert result.attempts == 1
    assert probe.budgets == [readiness.MIN_ATTEMPT_TIMEOUT]


def test_attempt_budget_is_capped_by_time_left_and_attempt_timeout():
    clock = FakeClock()
    probe = Probe(clock, [NotReady("slow")] * 100, cost=2.0)
    readiness.wait(probe, 7, 0.5, attempt_timeout=3, clock=clock, sleep=clock.sleep)
    # Each attempt costs 2 s; attempts start at 0, 2.05, 4.15 and 6.35 s: budget min(time left, 3).
    assert probe.budgets == pytest.approx([3, 3, 2.85, 0.65])


def test_attempt_budget_never_below_the_minimum():
    clock = FakeClock()
    probe = Probe(clock, [NotReady("slow")] * 100, cost=0.9)
    readiness.wait(probe, 1, 0.5, attempt_timeout=3, clock=clock, sleep=clock.sleep)
    assert probe.budgets == pytest.approx([1, readiness.MIN_ATTEMPT_TIMEOUT])


def test_default_attempt_timeout():
    clock = FakeClock()
    probe = Probe(clock, [])
    readiness.wait(probe, 300, 0.5, clock=clock, sleep=clock.sleep)
    assert probe.budgets == [readiness.DEFAULT_ATTEMPT_TIMEOUT]


def test_patched_time_module_is_used(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(readiness.time, "monotonic", clock)
    monkeypatch.setattr(readiness.time, "sleep", clock.sleep)
    result = readiness.wait(Probe(clock, [NotReady("x")] * 100), 2, 0.5)
    assert result.state == "not_ready"
    assert result.elapsed == pytest.approx(2.0)


def test_probe_facts_may_refine_state():
    result = readiness.WaitResult("ready", 1, 0.1234, facts={"state": "upgrade_needed", "current_version": "x"})
    data = result.as_dict()
    assert data["ready"] is True
    assert data["state"] == "upgrade_needed"
    assert data["elapsed"] == 0.123


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(timeout=10, interval=1, attempt_timeout=5), None),
        (dict(timeout=0, interval=1, attempt_timeout=5), None),
        (dict(timeout=-1, interval=1, attempt_timeout=5), "timeout must be zero or more seconds, got -1"),
        (dict(timeout=10, interval=0, attempt_timeout=5), "interval must be more than zero seconds, got 0"),
        (dict(timeout=10, interval=1, attempt_timeout=0), "attempt_timeout must be more than zero seconds"),
        (dict(timeout=10, interval=1), None),
        (dict(timeout=86400, interval=86400, attempt_timeout=86400), None),
        (dict(timeout=float("nan"), interval=1), "timeout must be a number of seconds up to 86400, got nan"),
        (dict(timeout=float("inf"), interval=1), "timeout must be a number of seconds up to 86400, got inf"),
        (dict(timeout=1e300, interval=1), "timeout must be a number of seconds up to 86400, got 1e+300"),
        (dict(timeout=86401, interval=1), "timeout must be a number of seconds up to 86400"),
        (dict(timeout=10, interval=float("nan")), "interval must be a number of seconds up to 86400, got nan"),
        (dict(timeout=10, interval=1, attempt_timeout=float("inf")), "attempt_timeout must be a number"),
    ],
)
def test_check_timing(params, message):
    if message is None:
        assert readiness.check_timing(params) is None
    else:
        assert message in readiness.check_timing(params)


def test_argument_spec_matches_the_doc_fragment():
    from ansible.module_utils.common.yaml import yaml_load

    from ansible_collections.ome.k8s.plugins.doc_fragments.readiness import ModuleDocFragment

    documented = yaml_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = readiness.readiness_argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"]
        assert float(documented[name]["default"]) == option["default"]


class Exited(Exception):
    pass


class FakeModule:
    def __init__(self, params=None):
        self.params = params or {}

    def exit_json(self, **kwargs):
        raise Exited("exit", kwargs)

    def fail_json(self, **kwargs):
        raise Exited("fail", kwargs)


@pytest.mark.parametrize(
    ("result", "kind", "msg"),
    [
        (readiness.WaitResult("ready", 1, 0.1, facts={"x": 1}), "exit", None),
        (readiness.WaitResult("misconfigured", 1, 0.1, "bad key"), "fail", "Redmine misconfigured: bad key"),
        (
            readiness.WaitResult("not_ready", 7, 3.04, "refused"),
            "fail",
            "Redmine not ready after 3.0 s (7 attempts): refused",
        ),
    ],
)
def test_exit_with_same_keys_either_way(result, kind, msg):
    with pytest.raises(Exited) as caught:
        readiness.exit_with(FakeModule(), result, "Redmine")
    got_kind, data = caught.value.args
    assert got_kind == kind
    assert {"ready", "state", "attempts", "elapsed", "last_error"} <= set(data)
    if kind == "exit":
        assert data["changed"] is False
        assert data["x"] == 1
    else:
        assert data["msg"] == msg


def test_wait_and_exit_reads_the_module_params():
    clock = FakeClock()
    module = FakeModule(dict(timeout=1, interval=0.25, attempt_timeout=0.75))
    probe = Probe(clock, [NotReady("refused")] * 100)
    with pytest.raises(Exited) as caught:
        readiness.wait_and_exit(module, probe, "X", clock=clock, sleep=clock.sleep)
    kind, data = caught.value.args
    assert kind == "fail"
    assert data["msg"].startswith("X not ready after 1.0 s")
    assert probe.budgets[0] == 0.75
    assert max(clock.sleeps) == 0.25
