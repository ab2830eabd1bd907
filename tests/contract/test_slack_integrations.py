"""One contract for SlackIntegrationRepository: in-memory, SQLite and PostgreSQL keep a user's Slack settings alike
(every field round-trips, one per user, nothing without commit, only enabled schedules are listed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from domain.identity import Role, User, UserStatus, new_id
from domain.slack import QuietHours, SlackIntegration, SlackMode, SummarySchedule
from tests.support.uow import UowFactory, uow_factory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


def add_user(new_uow: UowFactory, email: str) -> User:
    user = User(id=new_id(), email=email, role=Role.USER, status=UserStatus.ACTIVE, created_at=T0, password_hash="h")
    with new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    return user


def integration(user: User, **changes: object) -> SlackIntegration:
    made = SlackIntegration(
        user_id=user.id,
        mode=SlackMode.BOT,
        secret_ref="local:users/u/slack/1",
        channel="#mail",
        events=frozenset({"email.received", "agent.action_pending"}),
        timezone="Europe/Berlin",
        quiet_hours=QuietHours(time(22, 0), time(7, 30)),
        mail_filter="is:important -from:noreply@example.com",
        summary=SummarySchedule(time(8, 0), frozenset({"mon", "fri"})),
        last_summary_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_round_trip_replace_and_delete(new_uow: UowFactory) -> None:
    user = add_user(new_uow, "a@example.com")
    first = integration(user)
    with new_uow() as uow:
        uow.slack.put(first)  # no commit
    with new_uow() as uow:
        assert uow.slack.get(user.id) is None
        uow.slack.put(first)
        uow.commit()
    with new_uow() as uow:
        assert uow.slack.get(user.id) == first
        second = integration(user, mode=SlackMode.WEBHOOK, channel=None, quiet_hours=None, summary=None, mail_filter="")
        uow.slack.put(second)
        uow.commit()
    with new_uow() as uow:
        assert uow.slack.get(user.id) == second
        uow.slack.delete(user.id)
        uow.commit()
    with new_uow() as uow:
        assert uow.slack.get(user.id) is None


def test_only_enabled_schedules_are_listed(new_uow: UowFactory) -> None:
    a, b, c, d = (add_user(new_uow, f"{n}@example.com") for n in "abcd")
    with new_uow() as uow:
        uow.slack.put(integration(a))
        uow.slack.put(integration(b, enabled=False))
        uow.slack.put(integration(c, summary=None))
        uow.slack.put(integration(d, summary=SummarySchedule(time(8, 0), frozenset({"mon"}), enabled=False)))
        uow.commit()
    with new_uow() as uow:
        assert [i.user_id for i in uow.slack.with_summaries()] == [a.id]
