"""Outages are logged twice (start, end) whatever happens in between, and counted; backoff grows with jitter."""

from __future__ import annotations

import logging
import random

import pytest

from application.dependency_health import Backoff, Outages


def test_an_outage_is_logged_when_it_starts_and_ends_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outages = Outages(monotonic=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="mailagent.dependencies"):
        assert outages.failed("redis", ConnectionError("refused")) is True
        for _ in range(20):
            now[0] += 1.5
            assert outages.failed("redis", ConnectionError("refused")) is False
        assert outages.down() == ("redis",) and outages.is_down("redis")
        outages.recovered("redis")
        outages.recovered("redis")  # nothing to end
        now[0] += 1
        outages.failed("redis", "late")  # a connection that noticed late: the same outage, quietly reopened
        outages.recovered("redis")  # and quietly closed
        now[0] += 10
        outages.failed("redis", "timeout")
        outages.failed("database", "shutdown")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    assert "redis is unreachable (ConnectionError: refused)" in lines[0] and "outage 1" in lines[0]
    assert lines[1] == "redis is reachable again after 30.0 s"
    assert "outage 2" in lines[2] and lines[3].startswith("database is unreachable (shutdown)")
    assert outages.counts() == {"redis": 2, "database": 1}
    redis_state = next(s for s in outages.states() if s.service == "redis")
    assert redis_state.down and redis_state.failures == 23 and redis_state.outages == 2


def test_backoff_doubles_up_to_its_cap_with_jitter_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(base_seconds=0.5, cap_seconds=10, rng=random.Random(7))
    waits = [backoff.next_wait() for _ in range(10)]
    bounds = [min(10.0, 0.5 * 2**n) for n in range(10)]
    assert all(bound / 2 <= wait <= bound for wait, bound in zip(waits, bounds, strict=True))
    assert len(set(waits)) == len(waits)  # jittered: no two processes come back in lockstep
    backoff.reset()
    assert backoff.next_wait() <= 0.5
