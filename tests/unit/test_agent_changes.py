"""Reversible changes stay bounded and undoable (issue 11): each turn's labels, read state, archive and drafts are
kept with exactly how to undo them; past the per-turn budget the rest of the turn waits as one batch card, which
runs (and is then undoable too) only when approved; Undo reverses exactly what the agent changed, once, and only for
its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.agent.tools import ToolContext
from application.use_cases.agent.undo_agent_change import UndoAgentChange, UndoAgentChangeInput
from domain.agent import PendingStatus
from domain.approval import BatchEffect
from domain.errors import Conflict, NotFound
from domain.mail import INBOX, UNREAD, EmailAddress
from tests.support.agent_world import T0, Person, World
from tests.support.mailbox_seed import incoming_raw


def _deliver(person: Person, n: int) -> list[str]:
    return [
        person.mailbox.deliver(
            incoming_raw(
                sender=EmailAddress(address=f"news{i}@example.org"),
                to=(EmailAddress(address=person.user.email),),
                subject=f"Newsletter {i}",
                text="Hello",
                date=T0 - timedelta(minutes=10 + i),
            ),
            [INBOX, UNREAD],
        )
        for i in range(n)
    ]


def _changes(w: World, conversation: str = "conv-1") -> list[object]:
    with w.uow() as uow:
        return list(uow.agent_changes.list_for_conversation(w.alice.user.id, conversation))


def _undo(w: World, person: Person, change_id: str) -> object:
    return UndoAgentChange(w.uow, w.toolbox, w.clock, w.relay).execute(
        UndoAgentChangeInput(person.principal, change_id)
    )


def test_changes_past_the_turn_budget_wait_together_as_one_batch_card() -> None:
    w = World(reversible_per_turn=3)
    ids = _deliver(w.alice, 5)
    turn = w.ctx(w.alice, call="c1", turn="t1")
    assert w.toolbox.call(turn, "mark_read", {"message_ids": ids[:2]}).status == "ok"  # 2 of 3
    over = w.toolbox.call(
        ToolContext(w.alice.principal, "conv-1", "c2", turn_id="t1"),
        "remove_label",
        {"message_ids": ids[2:4], "label": "INBOX"},
    )
    more = w.toolbox.call(
        ToolContext(w.alice.principal, "conv-1", "c3", turn_id="t1"), "mark_read", {"message_ids": ids[4:]}
    )
    assert over.status == more.status == "pending" and over.pending_action_id == more.pending_action_id
    assert all(INBOX in w.alice.mailbox.get_message(i).label_ids for i in ids[2:4])  # nothing ran
    assert UNREAD in w.alice.mailbox.get_message(ids[4]).label_ids
    with w.uow() as uow:
        batch = uow.pending_actions.get(over.pending_action_id or "")
    assert batch is not None and batch.tool == "batch" and batch.snapshot is not None
    assert isinstance(batch.snapshot.effect, BatchEffect) and len(batch.snapshot.effect.parts) == 2
    card = batch.snapshot.card()
    assert card.title == "2 more changes (3 items) held together"
    assert [i.label for i in card.items] == ["Archive 2 messages", "Mark 1 message read"]
    assert "at most 3 things" in card.notes[0]
    # a new turn has a budget of its own
    assert w.toolbox.call(w.ctx(w.alice, call="c4", turn="t2"), "mark_read", {"message_ids": ids[4:]}).status == "ok"

    approved = batch.decide(approve=True, at=w.clock.now(), expected_hash=batch.snapshot.hash)
    with w.uow() as uow:
        uow.pending_actions.update(approved, expected_version=batch.version)
        uow.commit()
    result, error = w.toolbox.execute_approved(w.alice.principal, approved)
    assert error is None and [p["tool"] for p in result["parts"]] == ["remove_label", "mark_read"]
    assert all(INBOX not in w.alice.mailbox.get_message(i).label_ids for i in ids[2:4])
    # the batch's mark_read changed nothing (that message was read in turn t2): nothing to undo, no change kept
    assert sorted(c.summary for c in _changes(w)) == [  # type: ignore[attr-defined]
        "Archive 2 messages",
        "Mark 1 message read",
        "Mark 2 messages read",
    ]


def test_undo_reverses_exactly_what_the_agent_changed_once_and_only_for_its_owner() -> None:
    w = World()
    a, b = _deliver(w.alice, 2)
    w.alice.mailbox.mark_read([a])  # already read before the agent came
    assert w.toolbox.call(w.ctx(w.alice, turn="t1"), "mark_read", {"message_ids": [a, b]}).status == "ok"
    w.clock.advance(seconds=1)
    assert (
        w.toolbox.call(w.ctx(w.alice, turn="t1"), "remove_label", {"message_ids": [a], "label": "INBOX"}).status == "ok"
    )
    read, archived = _changes(w)
    with pytest.raises(NotFound):
        _undo(w, w.bob, read.id)  # type: ignore[attr-defined]
    _undo(w, w.alice, archived.id)  # type: ignore[attr-defined]
    assert INBOX in w.alice.mailbox.get_message(a).label_ids
    _undo(w, w.alice, read.id)  # type: ignore[attr-defined]
    assert UNREAD in w.alice.mailbox.get_message(b).label_ids  # the agent had read it: unread again
    assert UNREAD not in w.alice.mailbox.get_message(a).label_ids  # read before the agent: stays read
    with pytest.raises(Conflict):
        _undo(w, w.alice, read.id)  # type: ignore[attr-defined]
    assert all(c.undone_at is not None for c in _changes(w))  # type: ignore[attr-defined]


def test_undo_a_draft_the_agent_made_or_rewrote() -> None:
    w = World()
    made = w.toolbox.call(w.ctx(w.alice), "create_draft", {"to": ["carol@example.com"], "subject": "Hi", "body": "v1"})
    draft_id = made.content["draft_id"]
    w.clock.advance(seconds=1)
    w.toolbox.call(w.ctx(w.alice), "update_draft", {"draft_id": draft_id, "to": ["x@evil.example"], "body": "v2"})
    created, rewritten = _changes(w)
    assert rewritten.summary == "Replace the draft 'Hi'"  # type: ignore[attr-defined]
    _undo(w, w.alice, rewritten.id)  # type: ignore[attr-defined]
    back = w.alice.mailbox.get_draft(draft_id).message
    assert [x.address for x in back.to] == ["carol@example.com"] and back.text_body.strip() == "v1"
    assert back.subject == "Hi"
    _undo(w, w.alice, created.id)  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        w.alice.mailbox.get_draft(draft_id)


def test_an_injected_flood_of_archives_is_bounded_by_the_budget() -> None:
    """The issue's harness ran 158 archives without approval; now at most the budget runs per turn."""
    w = World(reversible_per_turn=20)
    ids = _deliver(w.alice, 40)
    outcomes = [
        w.toolbox.call(
            ToolContext(w.alice.principal, "conv-1", f"c{i}", turn_id="t1"),
            "remove_label",
            {"message_ids": [m], "label": "INBOX"},
        )
        for i, m in enumerate(ids)
    ]
    assert [o.status for o in outcomes].count("ok") == 20
    assert len({o.pending_action_id for o in outcomes if o.status == "pending"}) == 1
    assert sum(INBOX not in w.alice.mailbox.get_message(i).label_ids for i in ids) == 20
    with w.uow() as uow:
        [batch] = uow.pending_actions.list_for_user(w.alice.user.id, status=PendingStatus.PENDING)
    assert batch.snapshot is not None and batch.snapshot.effect.units() == 20
