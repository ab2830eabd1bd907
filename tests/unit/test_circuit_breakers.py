"""Circuit breakers (PyBreakerCircuitBreakers, GuardedMailbox): state transitions on a clock the test moves, which
errors count, one trial call when half-open, calls not serialised, and a model-based property over random runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.mailbox import InMemoryMailbox
from adapters.pybreaker.circuit_breakers import PyBreakerCircuitBreakers
from application.guarded_mailbox import GuardedMailbox
from application.ports.circuit_breaker import CircuitState
from domain.errors import (
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    ReauthRequired,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)
from domain.mail import EmailAddress, OutgoingMessage

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def make(fail_max: int = 3, reset: float = 30.0) -> tuple[PyBreakerCircuitBreakers, InMemoryClock]:
    clock = InMemoryClock(START)
    return PyBreakerCircuitBreakers(clock, fail_max=fail_max, reset_timeout_seconds=reset), clock


def failing(exc: BaseException) -> Callable[[], None]:
    def run() -> None:
        raise exc

    return run


class Calls:
    """A guarded function that records whether it ran."""

    def __init__(self) -> None:
        self.count = 0

    def ok(self) -> str:
        self.count += 1
        return "ok"

    def down(self) -> None:
        self.count += 1
        raise ServiceUnavailable("Gmail is unavailable right now; try again later.", service="gmail")


def test_closed_circuit_opens_after_fail_max_consecutive_failures_and_then_fails_fast() -> None:
    breakers, _ = make(fail_max=3, reset=30)
    calls = Calls()
    assert breakers.call("gmail", calls.ok) == "ok"
    for _ in range(2):
        with pytest.raises(ServiceUnavailable, match="Gmail is unavailable"):
            breakers.call("gmail", calls.down)
        assert breakers.state("gmail") is CircuitState.CLOSED
    # The call that trips the circuit still reports its own error (what really happened) ...
    with pytest.raises(ServiceUnavailable, match="Gmail is unavailable"):
        breakers.call("gmail", calls.down)
    assert breakers.state("gmail") is CircuitState.OPEN
    # ... and from then on calls fail at once, without reaching Gmail, with a message and a retry hint.
    before = calls.count
    with pytest.raises(ServiceUnavailable) as refused:
        breakers.call("gmail", calls.ok)
    assert calls.count == before
    assert refused.value.retry_after == 30
    assert refused.value.service == "gmail"
    assert refused.value.message.startswith("Gmail is not answering reliably")
    assert "try again in 30 seconds" in refused.value.message
    [stats] = breakers.stats()
    assert (stats.state, stats.failures, stats.successes, stats.rejections) == (CircuitState.OPEN, 3, 1, 1)
    assert stats.opened_at == START and stats.retry_after_seconds == 30 and stats.state_changes == 1


def test_open_circuit_half_opens_after_the_reset_timeout_and_a_successful_trial_closes_it() -> None:
    breakers, clock = make(fail_max=1, reset=30)
    with pytest.raises(ServiceUnavailable):
        breakers.call("gmail", Calls().down)
    clock.advance(seconds=29)
    with pytest.raises(ServiceUnavailable) as refused:
        breakers.call("gmail", Calls().ok)
    assert refused.value.retry_after == 1 and "try again in 1 second." in refused.value.message
    clock.advance(seconds=1)
    assert breakers.state("gmail") is CircuitState.HALF_OPEN
    calls = Calls()
    assert breakers.call("gmail", calls.ok) == "ok" and calls.count == 1  # the trial went through
    assert breakers.state("gmail") is CircuitState.CLOSED
    assert breakers.call("gmail", calls.ok) == "ok"
    [stats] = breakers.stats()
    assert stats.state_changes == 3  # closed -> open -> half-open -> closed
    assert stats.consecutive_failures == 0 and stats.retry_after_seconds is None


def test_a_failed_trial_opens_the_circuit_again_for_a_full_cool_down() -> None:
    breakers, clock = make(fail_max=2, reset=10)
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            breakers.call("gmail", Calls().down)
    clock.advance(seconds=10)
    with pytest.raises(UpstreamError):  # the trial's own error
        breakers.call("gmail", failing(UpstreamError("Gmail failed (HTTP 500).", service="gmail")))
    assert breakers.state("gmail") is CircuitState.OPEN
    [stats] = breakers.stats()
    assert stats.opened_at == clock.now()  # the cool-down starts again from the failed trial
    clock.advance(seconds=9)
    with pytest.raises(ServiceUnavailable, match="try again in 1 second"):
        breakers.call("gmail", Calls().ok)
    clock.advance(seconds=1)
    assert breakers.call("gmail", Calls().ok) == "ok"
    assert breakers.state("gmail") is CircuitState.CLOSED


@pytest.mark.parametrize(
    "error",
    [
        NotFound("No message with id 123 in this mailbox."),
        ValidationFailed("The query is not valid."),
        ReauthRequired("Reconnect the account."),
        QuotaExceeded("This account used its Gmail allowance."),
        PermissionDenied("Not allowed."),
        KeyError("our own bug"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_answers_about_one_request_or_account_never_open_the_circuit(error: Exception) -> None:
    breakers, _ = make(fail_max=2)
    for _ in range(50):  # a user hammering a bad id must not take Gmail away from everyone
        with pytest.raises(type(error)):
            breakers.call("gmail", failing(error))
    assert breakers.state("gmail") is CircuitState.CLOSED
    [stats] = breakers.stats()
    assert (stats.failures, stats.ignored_errors, stats.rejections) == (0, 50, 0)


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailable("down", service="gmail"),
        UpstreamError("HTTP 500", service="gmail"),
        TimeoutError("timed out"),
        ConnectionResetError("reset by peer"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_outages_timeouts_and_dropped_connections_count(error: Exception) -> None:
    breakers, _ = make(fail_max=2)
    for _ in range(2):
        with pytest.raises(type(error)):
            breakers.call("gmail", failing(error))
    assert breakers.state("gmail") is CircuitState.OPEN


def test_only_consecutive_failures_count() -> None:
    breakers, _ = make(fail_max=3)
    for _ in range(10):  # the service keeps answering in between: never open
        for _ in range(2):
            with pytest.raises(ServiceUnavailable):
                breakers.call("gmail", Calls().down)
        with pytest.raises(NotFound):  # an answer (even "not found") proves the service is up
            breakers.call("gmail", failing(NotFound("gone")))
    assert breakers.state("gmail") is CircuitState.CLOSED


def test_circuits_are_per_service() -> None:
    breakers, _ = make(fail_max=1)
    with pytest.raises(ServiceUnavailable):
        breakers.call("gmail", Calls().down)
    assert breakers.state("gmail") is CircuitState.OPEN
    assert breakers.call("slack", Calls().ok) == "ok"
    assert breakers.state("slack") is CircuitState.CLOSED
    with pytest.raises(ServiceUnavailable, match="Gmail is unavailable"):
        breakers.call("slack", Calls().down)
    with pytest.raises(ServiceUnavailable, match=r"^Slack is not answering"):
        breakers.call("slack", Calls().ok)
    assert [s.service for s in breakers.stats()] == ["gmail", "slack"]


def test_half_open_lets_exactly_one_trial_through_at_a_time() -> None:
    breakers, clock = make(fail_max=1, reset=5)
    with pytest.raises(ServiceUnavailable):
        breakers.call("gmail", Calls().down)
    clock.advance(seconds=5)
    inside, release = threading.Event(), threading.Event()
    results: list[str] = []

    def slow_trial() -> str:
        inside.set()
        assert release.wait(5)
        return "trial"

    trial = threading.Thread(target=lambda: results.append(breakers.call("gmail", slow_trial)))
    trial.start()
    assert inside.wait(5)
    calls = Calls()
    with pytest.raises(ServiceUnavailable, match="try again in 1 second"):
        breakers.call("gmail", calls.ok)  # a second caller while the trial is out
    assert calls.count == 0
    release.set()
    trial.join(5)
    assert results == ["trial"]
    assert breakers.state("gmail") is CircuitState.CLOSED
    assert breakers.call("gmail", calls.ok) == "ok"


def test_calls_run_concurrently_not_one_at_a_time() -> None:
    """pybreaker's own call() holds a lock around the guarded function; the adapter must not."""
    breakers, _ = make()
    barrier = threading.Barrier(3, timeout=5)
    errors: list[BaseException] = []

    def together() -> None:
        barrier.wait()  # only passes when all three calls are inside at once

    def run() -> None:
        try:
            breakers.call("gmail", together)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert breakers.stats()[0].successes == 3


def test_a_late_failure_does_not_extend_an_open_circuit() -> None:
    breakers, clock = make(fail_max=1, reset=30)
    started, finish = threading.Event(), threading.Event()

    def slow_failure() -> None:
        started.set()
        assert finish.wait(5)
        raise ServiceUnavailable("down", service="gmail")

    def call_late() -> None:
        with pytest.raises(ServiceUnavailable):
            breakers.call("gmail", slow_failure)

    late = threading.Thread(target=call_late)
    late.start()
    assert started.wait(5)
    with pytest.raises(ServiceUnavailable):
        breakers.call("gmail", Calls().down)  # opens now
    clock.advance(seconds=20)
    finish.set()
    late.join(5)
    [stats] = breakers.stats()
    assert stats.opened_at == START and stats.failures == 2
    clock.advance(seconds=10)
    assert breakers.call("gmail", Calls().ok) == "ok"


# ---------------------------------------------------------------- a model of the rules, against random runs

OUTCOMES = st.sampled_from(["ok", "down", "not_found"])


@given(
    fail_max=st.integers(1, 4),
    reset=st.integers(1, 60),
    steps=st.lists(st.tuples(OUTCOMES, st.integers(0, 40)), min_size=1, max_size=40),
)
def test_property_the_circuit_follows_the_closed_open_half_open_rules(
    fail_max: int, reset: int, steps: list[tuple[str, int]]
) -> None:
    breakers, clock = make(fail_max=fail_max, reset=reset)
    state, consecutive, opened = "closed", 0, START
    for outcome, wait in steps:
        clock.advance(seconds=wait)
        now = clock.now()
        ran = Calls()
        fn: Callable[[], object] = {
            "ok": ran.ok,
            "down": ran.down,
            "not_found": lambda ran=ran: (ran.ok(), failing(NotFound("no such id"))())[1],
        }[outcome]
        expect_reject = state == "open" and (now - opened).total_seconds() < reset
        try:
            breakers.call("gmail", fn)
            raised: type[BaseException] | None = None
        except (ServiceUnavailable, NotFound) as exc:
            raised = type(exc)
        if expect_reject:
            assert ran.count == 0 and raised is ServiceUnavailable
            continue
        assert ran.count == 1
        trial = state == "open"
        if outcome == "down":
            consecutive += 1
            if trial or consecutive >= fail_max:
                state, opened, consecutive = "open", now, 0
        else:
            state, consecutive = "closed", 0
        expected = CircuitState.CLOSED if state == "closed" else CircuitState.OPEN
        if expected is CircuitState.OPEN and (clock.now() - opened).total_seconds() >= reset:
            expected = CircuitState.HALF_OPEN
        assert breakers.state("gmail") is expected


# ---------------------------------------------------------------- GuardedMailbox


def outgoing(subject: str) -> OutgoingMessage:
    return OutgoingMessage(to=(EmailAddress(address="bob@example.com"),), subject=subject, text_body="Hi")


class FlakyMailbox(InMemoryMailbox):
    """The in-memory mailbox with an outage switch."""

    down = False

    def list_labels(self):  # type: ignore[no-untyped-def]
        if self.down:
            raise ServiceUnavailable("Gmail is unavailable right now; try again later.", service="gmail")
        return super().list_labels()

    def send(self, message):  # type: ignore[no-untyped-def]
        if self.down:
            raise ServiceUnavailable("Gmail is unavailable right now; try again later.", service="gmail")
        return super().send(message)


def test_guarded_mailbox_never_opens_on_bad_ids_but_does_on_outages_and_then_refuses_to_send() -> None:
    breakers, clock = make(fail_max=3, reset=30)
    inner = FlakyMailbox()
    box = GuardedMailbox(inner, breakers, service="gmail")
    for n in range(20):
        with pytest.raises(NotFound):
            box.get_message(f"no-such-id-{n}")
    assert breakers.state("gmail") is CircuitState.CLOSED
    assert box.send(outgoing("before")).subject == "before"
    inner.down = True
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="Gmail is unavailable"):
            box.list_labels()
    inner.down = False  # Gmail is back, but the circuit does not know yet
    with pytest.raises(ServiceUnavailable, match="paused calls") as refused:
        box.send(outgoing("during"))
    assert refused.value.retry_after == 30
    assert [m.subject for m in inner.sent] == ["before"]  # nothing reached the mailbox
    clock.advance(seconds=30)
    assert box.send(outgoing("after")).subject == "after"
    assert [m.subject for m in inner.sent] == ["before", "after"]


def test_guarded_mailbox_implements_every_method_of_the_port() -> None:
    from application.ports.mailbox import Mailbox

    public = {name for name in vars(Mailbox) if not name.startswith("_")}
    assert public <= set(vars(GuardedMailbox)), public - set(vars(GuardedMailbox))
