"""One contract for AttachmentRepository: the in-memory store, SQLite and PostgreSQL keep uploads' records alike —
round trips, nothing kept without commit, holds, listing a user's live uploads, and what has expired."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.attachments import UPLOAD_LIFETIME, ScanVerdict, Upload, blob_key_for, draft_holder, scheduled_holder
from domain.identity import Role, User, UserStatus, new_id
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


def upload(user: User, at: datetime = T0, name: str = "Zoë report.pdf", size: int = 26_214_400) -> Upload:
    upload_id = new_id()
    return Upload(
        id=upload_id,
        user_id=user.id,
        filename=name,
        content_type="application/pdf",
        size=size,
        sha256="ab" * 32,
        verdict=ScanVerdict.CLEAN,
        blob_key=blob_key_for(user.id, upload_id),
        created_at=at,
        expires_at=at + UPLOAD_LIFETIME,
    )


def test_round_trip_and_nothing_kept_without_commit(new_uow: UowFactory) -> None:
    user = add_user(new_uow, "a@example.com")
    up = upload(user)
    with new_uow() as uow:
        uow.attachments.add(up)  # no commit
    with new_uow() as uow:
        assert uow.attachments.get(up.id) is None
        uow.attachments.add(up)
        uow.commit()
    with new_uow() as uow:
        assert uow.attachments.get(up.id) == up
        uow.attachments.delete(up.id)
        assert uow.attachments.get(up.id) is None
        uow.commit()
    with new_uow() as uow:
        assert uow.attachments.get(up.id) is None


def test_holds_round_trip_and_are_found_by_holder(new_uow: UowFactory) -> None:
    user = add_user(new_uow, "a@example.com")
    a, b = upload(user), upload(user, T0 + timedelta(seconds=1))
    with new_uow() as uow:
        uow.attachments.add(a.hold(draft_holder("acc", "d1")).hold(scheduled_holder("s1")))
        uow.attachments.add(b.hold(draft_holder("acc", "d1")))
        uow.commit()
    with new_uow() as uow:
        assert [u.id for u in uow.attachments.held_by(draft_holder("acc", "d1"))] == [a.id, b.id]
        assert [u.id for u in uow.attachments.held_by(scheduled_holder("s1"))] == [a.id]
        assert uow.attachments.held_by(draft_holder("acc", "d2")) == []
        stored = uow.attachments.get(a.id)
        assert stored is not None and stored.expires_at is None
        assert stored.holders == {draft_holder("acc", "d1"), scheduled_holder("s1")}
        uow.attachments.update(stored.release(scheduled_holder("s1"), T0))
        uow.commit()
    with new_uow() as uow:
        assert uow.attachments.held_by(scheduled_holder("s1")) == []


@pytest.mark.property(65)
def test_expired_lists_only_unheld_uploads_past_their_time(new_uow: UowFactory) -> None:
    user = add_user(new_uow, "a@example.com")
    old, fresh, held = upload(user), upload(user, T0 + timedelta(hours=2)), upload(user).hold("draft:a/b")
    with new_uow() as uow:
        for u in (old, fresh, held):
            uow.attachments.add(u)
        uow.commit()
    with new_uow() as uow:
        assert uow.attachments.expired(T0 + timedelta(hours=23), limit=10) == []
        assert [u.id for u in uow.attachments.expired(T0 + timedelta(hours=24), limit=10)] == [old.id]
        assert [u.id for u in uow.attachments.expired(T0 + timedelta(days=9), limit=10)] == [old.id, fresh.id]
        assert len(uow.attachments.expired(T0 + timedelta(days=9), limit=1)) == 1


def test_a_users_live_uploads_newest_first(new_uow: UowFactory) -> None:
    me, other = add_user(new_uow, "me@example.com"), add_user(new_uow, "other@example.com")
    first, second = upload(me), upload(me, T0 + timedelta(minutes=5))
    theirs = upload(other)
    gone = replace(upload(me, T0 - timedelta(days=2)))
    with new_uow() as uow:
        for u in (first, second, theirs, gone):
            uow.attachments.add(u)
        uow.commit()
    with new_uow() as uow:
        found = uow.attachments.list_for_user(me.id, now=T0 + timedelta(hours=1), limit=10)
        assert [u.id for u in found] == [second.id, first.id]
        assert [u.id for u in uow.attachments.list_for_user(me.id, now=T0, limit=1)] == [second.id]
