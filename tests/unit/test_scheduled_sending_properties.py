"""Properties 69-72 as a state machine over the scheduled-send use cases on in-memory adapters: any interleaving of
scheduling (at any delay), cancelling, passing provider outages, the clock moving and the dispatcher running.

- 69: an email is sent at or after its time, never before, and at most once; once its time (and any retry) has come
  and the dispatcher ran, it is sent;
- 70: its status follows what happened (sent iff the provider took it; failed only after the last attempt);
- 71: a cancelled email is never sent;
- 72: each email that ends sent or failed has exactly one stored `scheduled_email.sent` / `.failed` event for its
  owner, and the relay publishes it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from application.use_cases.scheduled.cancel_scheduled_email import CancelScheduledEmail, CancelScheduledEmailInput
from domain.errors import Conflict, ServiceUnavailable
from domain.events import EventType
from domain.identity import Principal, Scope
from domain.mail import OutgoingMessage
from domain.scheduled_email import ScheduledEmail, ScheduledStatus
from tests.support.properties import for_profile
from tests.unit.test_send_scheduled_email import POLICY, FlakyMailbox, World


class ClockedMailbox(FlakyMailbox):
    """Remembers when (on the test's clock) the provider took each message."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.taken_at: dict[str, list[datetime]] = {}

    def send(self, message: OutgoingMessage):  # type: ignore[no-untyped-def]
        sent = super().send(message)  # raises while failures are queued
        self.taken_at.setdefault(message.message_id or "", []).append(self.world.clock.now())
        return sent


class ScheduledSending(RuleBasedStateMachine):
    emails = Bundle("emails")

    def __init__(self) -> None:
        super().__init__()
        self.w = World()
        self.w.mailbox = ClockedMailbox(self.w)
        self.due: dict[str, datetime] = {}  # email id -> the time it was scheduled for
        self.cancelled: set[str] = set()
        self.ids: dict[str, ScheduledEmail] = {}

    @rule(target=emails, seconds=st.integers(1, 900))
    def schedule(self, seconds: int) -> ScheduledEmail:
        email = self.w.schedule(seconds=seconds)
        self.due[email.id] = email.send_at
        self.ids[email.id] = email
        return email

    @rule(email=emails)
    def cancel(self, email: ScheduledEmail) -> None:
        before = self.w.get(email.id).status
        principal = Principal(self.w.user, frozenset({Scope.MAIL_SEND}))
        try:
            CancelScheduledEmail(self.w.uow(), self.w.clock).execute(CancelScheduledEmailInput(principal, email.id))
        except Conflict:
            assert before is not ScheduledStatus.SCHEDULED, "a waiting email could not be cancelled"
            return
        assert before is ScheduledStatus.SCHEDULED
        self.cancelled.add(email.id)

    @rule(outages=st.integers(1, 2))
    def provider_outage(self, outages: int) -> None:
        self.w.mailbox.failures = [ServiceUnavailable("the provider is down")] * outages

    @rule(seconds=st.integers(1, 600))
    def advance(self, seconds: int) -> None:
        self.w.clock.advance(seconds=seconds)

    @rule()
    def dispatch(self) -> None:
        self.w.dispatch()
        self.w.relay.flush()
        if not self.w.mailbox.failures:  # nothing stood in the way: everything due went out
            now = self.w.clock.now()
            for email_id in self.due:
                row = self.w.get(email_id)
                if row.status is ScheduledStatus.SCHEDULED:
                    assert row.due_at > now, f"{email_id} was due at {row.due_at} and not sent at {now}"

    @invariant()
    def sent_once_on_time_and_status_follows(self) -> None:
        for email_id, due in self.due.items():
            row = self.w.get(email_id)
            taken = self.w.mailbox.taken_at.get(row.message_id, [])
            assert len(taken) <= 1, f"{email_id} was sent {len(taken)} times"
            assert all(at >= due for at in taken), f"{email_id} due at {due} was sent at {taken}"
            assert (row.status is ScheduledStatus.SENT) == (len(taken) == 1), (row.status, taken)
            if email_id in self.cancelled:
                assert row.status is ScheduledStatus.CANCELLED and taken == []
            if row.status is ScheduledStatus.FAILED:
                assert row.attempts == POLICY.max_attempts and row.error

    @invariant()
    def every_outcome_is_announced_once(self) -> None:
        sent = self.w.events(EventType.SCHEDULED_EMAIL_SENT)
        failed = self.w.events(EventType.SCHEDULED_EMAIL_FAILED)
        announced = [e.event.data["scheduled_id"] for e in sent + failed]
        assert len(announced) == len(set(announced)), "an outcome was announced twice"
        final = {
            email_id
            for email_id in self.due
            if self.w.get(email_id).status in (ScheduledStatus.SENT, ScheduledStatus.FAILED)
        }
        assert set(announced) == final
        published = {
            e.event.data["scheduled_id"]
            for e in self.w.published
            if e.event.type in (EventType.SCHEDULED_EMAIL_SENT, EventType.SCHEDULED_EMAIL_FAILED)
        }
        assert published <= final

    def teardown(self) -> None:
        if not hasattr(self, "w"):
            return
        # In the end, with the provider back and time gone by, every email not cancelled is sent exactly once.
        self.w.mailbox.failures = []
        for _ in range(POLICY.max_attempts + 1):
            self.w.clock.advance(seconds=3600)
            self.w.dispatch()
        self.w.relay.flush()
        self.sent_once_on_time_and_status_follows()
        self.every_outcome_is_announced_once()
        for email_id in self.due:
            status = self.w.get(email_id).status
            assert status in (ScheduledStatus.CANCELLED, ScheduledStatus.SENT, ScheduledStatus.FAILED), status
            assert (status is ScheduledStatus.CANCELLED) == (email_id in self.cancelled)


@pytest.mark.property(69, 70, 71, 72)
def test_scheduled_sends_go_out_once_on_time_follow_their_status_and_are_announced() -> None:
    run_state_machine_as_test(
        ScheduledSending,
        settings=for_profile(
            settings(
                max_examples=100, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
            )
        ),
    )
