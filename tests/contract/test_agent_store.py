"""One contract for the agent repositories on the unit of work: in-memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from application.ports.agent_store import ConversationRecord
from domain.agent import AgentChange, AgentPolicy, PendingAction, PendingStatus
from domain.approval import Recipient, RecipientFlag, Snapshot
from domain.errors import Conflict
from domain.identity import Role, User, UserStatus, new_id
from domain.mail import EmailAddress
from domain.mail_effects import (
    AttachmentSource,
    FrozenAttachment,
    LabelChangeEffect,
    MailEffect,
    MailOrigin,
    MessageRef,
    ScheduledMailEffect,
)
from tests.support.uow import UowFactory, uow_factory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


def _user(new_uow: UowFactory, email: str = "a@example.com") -> str:
    user = User(id=new_id(), email=email, role=Role.USER, status=UserStatus.ACTIVE, created_at=T0, password_hash="h")
    with new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    return user.id


MAIL = MailEffect(
    account_id="acc-1",
    sender=EmailAddress(address="a@example.com"),
    people=(
        Recipient("to", "bob@example.com", "Bob", (RecipientFlag.FIRST_CONTACT,)),
        Recipient(
            "bcc", "zoë@exämple.com", "Zoë", (RecipientFlag.LOOKALIKE_DOMAIN, RecipientFlag.OUTSIDE_ORGANISATION)
        ),
    ),
    subject="Hi",
    text_body="Zoë says hi",
    html_body="<p>Zoë says hi</p>",
    attachments=(FrozenAttachment("a.pdf", "application/pdf", 3, "ab" * 32, AttachmentSource.mail_part("m1", "2")),),
    message_id="<x@example.com>",
    in_reply_to="<y@example.com>",
    references=("<y@example.com>",),
    thread_id="t-1",
    origin=MailOrigin("reply_all", message_id="m1", subject="Hi", sender="Bob <bob@example.com>", reply_to="z@x.org"),
)


def _action(user_id: str, conversation_id: str = "c1", at: datetime = T0, **changes: object) -> PendingAction:
    action = PendingAction(
        id=new_id(),
        user_id=user_id,
        conversation_id=conversation_id,
        tool="send_email",
        payload={"to": ["bob@example.com"], "subject": "Hi", "text": "Zoë says hi", "nested": {"n": 1}},
        summary="Send 'Hi' to bob@example.com",
        status=PendingStatus.PENDING,
        created_at=at,
        tool_call_id="call_1",
        snapshot=Snapshot.of(MAIL),
    )
    return replace(action, **changes)  # type: ignore[arg-type]


def test_conversations_round_trip_and_list_newest_first_per_user(new_uow: UowFactory) -> None:
    alice, bob = _user(new_uow), _user(new_uow, "b@example.com")
    first = ConversationRecord("conv-1", alice, "Offsite", T0, T0, 0)
    second = ConversationRecord("conv-2", alice, "Invoices", T0, T0 + timedelta(minutes=1), 2)
    other = ConversationRecord("conv-3", bob, "Bob's", T0, T0 + timedelta(minutes=5), 1)
    with new_uow() as uow:
        for c in (first, second, other):
            uow.agent_conversations.add(c)
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_conversations.get("conv-1") == first
        assert [c.id for c in uow.agent_conversations.list_for_user(alice)] == ["conv-2", "conv-1"]
        assert [c.id for c in uow.agent_conversations.list_for_user(bob)] == ["conv-3"]
        assert uow.agent_conversations.list_for_user(alice, limit=1)[0].id == "conv-2"
        uow.agent_conversations.update(replace(first, updated_at=T0 + timedelta(hours=1), messages=4, title="New"))
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_conversations.get("conv-1") == replace(
            first, updated_at=T0 + timedelta(hours=1), messages=4, title="New"
        )
        assert [c.id for c in uow.agent_conversations.list_for_user(alice)] == ["conv-1", "conv-2"]
        assert uow.agent_conversations.get("nope") is None


def test_conversations_and_actions_are_kept_only_on_commit(new_uow: UowFactory) -> None:
    alice = _user(new_uow)
    action = _action(alice)
    with new_uow() as uow:
        uow.agent_conversations.add(ConversationRecord("conv-x", alice, "t", T0, T0))
        uow.pending_actions.add(action)
        assert uow.pending_actions.get(action.id) == action
    with new_uow() as uow:
        assert uow.agent_conversations.get("conv-x") is None
        assert uow.pending_actions.get(action.id) is None


def test_pending_actions_round_trip_every_field_and_filter(new_uow: UowFactory) -> None:
    alice, bob = _user(new_uow), _user(new_uow, "b@example.com")
    a1 = _action(alice, "c1", T0)
    trash = LabelChangeEffect("acc-1", "trash", (MessageRef("m1", "Old", "x@y.org"),), add=("TRASH",))
    a2 = _action(alice, "c2", T0 + timedelta(seconds=1), tool="trash", payload={"message_ids": ["m1"]})
    a2 = replace(a2, snapshot=Snapshot.of(trash))
    b1 = _action(bob, "c9", T0)
    with new_uow() as uow:
        for a in (a2, a1, b1):
            uow.pending_actions.add(a)
        uow.commit()
    with new_uow() as uow:
        assert uow.pending_actions.get(a1.id) == a1
        assert [a.id for a in uow.pending_actions.list_for_user(alice)] == [a1.id, a2.id]  # oldest first
        assert [a.id for a in uow.pending_actions.list_for_user(alice, conversation_id="c2")] == [a2.id]
        assert uow.pending_actions.list_for_user(alice, status=PendingStatus.REJECTED) == []
        scheduled = ScheduledMailEffect(MAIL, T0 + timedelta(days=1), "Europe/Berlin", "moved an hour")
        revised = a1.revise(payload={"to": ["carol@example.com"]}, snapshot=Snapshot.of(scheduled))
        uow.pending_actions.update(revised, expected_version=1)
        uow.commit()
    with new_uow() as uow:
        assert uow.pending_actions.get(a1.id) == revised  # the snapshot round-trips in full
        decided = revised.decide(approve=True, at=T0 + timedelta(minutes=1), expected_hash=revised.snapshot.hash)  # type: ignore[union-attr]
        uow.pending_actions.update(decided, expected_version=2)
        uow.commit()
    with new_uow() as uow:
        done = replace(
            uow.pending_actions.get(a1.id),  # type: ignore[type-var]
            status=PendingStatus.EXECUTED,
            result={"message_id": "m-9", "ok": True},
            error=None,
            version=4,
        )
        uow.pending_actions.update(done, expected_version=3)
        uow.commit()
    with new_uow() as uow:
        got = uow.pending_actions.get(a1.id)
        assert got is not None
        assert got.status is PendingStatus.EXECUTED
        assert got.payload == {"to": ["carol@example.com"]}
        assert got.result == {"message_id": "m-9", "ok": True}
        assert got.decided_at == T0 + timedelta(minutes=1)
        assert got.version == 4
        assert got.snapshot is not None and got.snapshot.intact() and got.snapshot.effect == scheduled
        assert [a.id for a in uow.pending_actions.list_for_user(alice, status=PendingStatus.PENDING)] == [a2.id]
        assert [a.id for a in uow.pending_actions.list_for_user(bob)] == [b1.id]


def test_a_stale_version_is_a_conflict(new_uow: UowFactory) -> None:
    alice = _user(new_uow)
    action = _action(alice)
    with new_uow() as uow:
        uow.pending_actions.add(action)
        uow.commit()
    with new_uow() as uow:
        uow.pending_actions.update(action.decide(approve=False, at=T0), expected_version=1)
        uow.commit()
    with new_uow() as uow, pytest.raises(Conflict):
        uow.pending_actions.update(action.decide(approve=True, at=T0), expected_version=1)
    with new_uow() as uow:
        got = uow.pending_actions.get(action.id)
        assert got is not None and got.status is PendingStatus.REJECTED


def test_two_racing_decisions_one_wins(new_uow: UowFactory) -> None:
    """Both read version 1 and decide; only one commit keeps its decision, the other gets Conflict."""
    alice = _user(new_uow)
    action = _action(alice)
    with new_uow() as uow:
        uow.pending_actions.add(action)
        uow.commit()
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(approve: bool) -> None:
        try:
            with new_uow() as uow:
                seen = uow.pending_actions.get(action.id)
                assert seen is not None and seen.version == 1
                barrier.wait()
                uow.pending_actions.update(seen.decide(approve=approve, at=T0), expected_version=1)
                uow.commit()
            with lock:
                outcomes.append("approved" if approve else "rejected")
        except Conflict:
            with lock:
                outcomes.append("conflict")
        except Exception as exc:  # a database lock error on the loser also counts as losing, but say which
            with lock:
                outcomes.append(f"error:{type(exc).__name__}")

    threads = [threading.Thread(target=decide, args=(flag,)) for flag in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    winners = [o for o in outcomes if o in ("approved", "rejected")]
    assert len(winners) == 1, outcomes
    with new_uow() as uow:
        got = uow.pending_actions.get(action.id)
        assert got is not None and got.status.value == winners[0] and got.version == 2


@pytest.mark.property(27)
def test_policy_defaults_and_is_per_user(new_uow: UowFactory) -> None:
    alice, bob = _user(new_uow), _user(new_uow, "b@example.com")
    with new_uow() as uow:
        assert uow.agent_policies.get(alice) == AgentPolicy()
        uow.agent_policies.put(alice, AgentPolicy(auto_run_reversible=False))
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_policies.get(alice) == AgentPolicy(auto_run_reversible=False)
        assert uow.agent_policies.get(bob) == AgentPolicy()
        uow.agent_policies.put(alice, AgentPolicy(auto_run_reversible=True))
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_policies.get(alice).auto_run_reversible is True


def test_agent_changes_round_trip_count_per_turn_and_compare_and_set(new_uow: UowFactory) -> None:
    alice, bob = _user(new_uow), _user(new_uow, "b@example.com")
    plan = {"kind": "mail.labels", "account_id": "acc", "changes": [{"id": "m1", "added": [], "removed": ["INBOX"]}]}
    first = AgentChange(new_id(), alice, "c1", "t1", "remove_label", "Archive 1 message", plan, 1, T0)
    second = replace(
        first,
        id=new_id(),
        tool="mark_read",
        summary="Mark 3 messages read",
        units=3,
        created_at=T0 + timedelta(seconds=1),
    )
    other_turn = replace(first, id=new_id(), turn_id="t2", units=5)
    bobs = replace(first, id=new_id(), user_id=bob, units=7)
    with new_uow() as uow:
        for c in (second, first, other_turn, bobs):
            uow.agent_changes.add(c)
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_changes.get(first.id) == first
        assert uow.agent_changes.units_in_turn(alice, "t1") == 4
        assert uow.agent_changes.units_in_turn(alice, "t9") == 0
        listed = [c.id for c in uow.agent_changes.list_for_conversation(alice, "c1")]
        assert sorted(listed[:2]) == sorted([first.id, other_turn.id]) and listed[2] == second.id  # oldest first
        undone = first.mark_undone(T0 + timedelta(minutes=1))
        uow.agent_changes.update(undone, expected_version=1)
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_changes.get(first.id) == undone and not undone.undoable
        with pytest.raises(Conflict):
            uow.agent_changes.update(undone, expected_version=1)
