"""Properties 15 (new email notification delivery) and 16 (email state change propagation), on the sync.

Random scripts of arrivals (from others and from the owner), label changes, trash, sends and drafts on two users'
mailboxes, with syncs (sometimes twice in a row) at random points: each user's stored and published event stream
is exactly the changes of their own mailbox, in order, each once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import EventType
from domain.mail import INBOX, SENT, STARRED, TRASH, UNREAD, EmailAddress, OutgoingMessage
from tests.support.sync_world import SyncWorld, deliver

LABELS = (STARRED, UNREAD, INBOX, "IMPORTANT")


@dataclass(frozen=True)
class Step:
    kind: str  # arrive | arrive_own | label | trash | send | draft | sync | sync_twice
    user: int
    pick: int = 0
    add: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()


users = st.integers(0, 1)
steps = st.one_of(
    st.builds(Step, st.sampled_from(["arrive", "arrive_own", "send", "draft", "sync", "sync_twice"]), users),
    st.builds(
        Step,
        st.just("label"),
        users,
        st.integers(0, 30),
        st.frozensets(st.sampled_from(LABELS), max_size=2),
        st.frozensets(st.sampled_from(LABELS), max_size=2),
    ),
    st.builds(Step, st.just("trash"), users, st.integers(0, 30)),
)


@pytest.mark.property(15, 16)
@settings(max_examples=100, deadline=None)
@given(script=st.lists(steps, min_size=1, max_size=25))
def test_property_event_streams_equal_each_users_changes(script: list[Step]) -> None:
    world = SyncWorld()
    people = [world.add_account(f"user{n}@example.com") for n in range(2)]
    for account, _ in people:
        world.sync(account)  # connected: the feed starts here
    expected: list[list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]] = [[], []]
    messages: list[list[str]] = [[], []]
    labels: dict[tuple[int, str], frozenset[str]] = {}  # per user: two mailboxes can use the same ids
    for step in script:
        account, box = people[step.user]
        mine = expected[step.user]
        if step.kind == "arrive":
            mid = deliver(box, world.clock, subject=f"to {step.user}")
            messages[step.user].append(mid)
            labels[step.user, mid] = frozenset({INBOX, UNREAD})
            mine.append((EventType.EMAIL_RECEIVED.value, mid, (), ()))
        elif step.kind == "arrive_own":  # the owner's own address in the inbox: not "received"
            mid = deliver(box, world.clock, sender=account.address)
            messages[step.user].append(mid)
            labels[step.user, mid] = frozenset({INBOX, UNREAD})
        elif step.kind == "send":
            sent = box.send(OutgoingMessage(to=(EmailAddress(address="x@example.com"),), subject="out"))
            mine.append((EventType.EMAIL_SENT.value, sent.id, (), ()))
        elif step.kind == "draft":
            box.create_draft(OutgoingMessage(subject="nothing to announce"))
        elif step.kind in ("label", "trash") and messages[step.user]:
            mid = messages[step.user][step.pick % len(messages[step.user])]
            add = frozenset({TRASH}) if step.kind == "trash" else step.add
            remove = frozenset() if step.kind == "trash" else step.remove - step.add
            if not add and not remove:
                continue
            box.modify_labels([mid], add=sorted(add), remove=sorted(remove))
            old = labels[step.user, mid]
            new = (old | add) - remove
            labels[step.user, mid] = new
            if new != old:
                mine.append(
                    (EventType.EMAIL_LABELS_CHANGED.value, mid, tuple(sorted(new - old)), tuple(sorted(old - new)))
                )
        elif step.kind in ("sync", "sync_twice"):
            world.sync(account)
            if step.kind == "sync_twice":
                assert world.sync(account).events == 0  # nothing new: nothing stored twice
    for account, _ in people:
        world.sync(account)
        world.sync(account)

    for n, (account, _) in enumerate(people):
        events = world.events(account.user_id)
        seen = [
            (e.type.value, e.data["message_id"], tuple(e.data.get("added", ())), tuple(e.data.get("removed", ())))
            for e in events
        ]
        assert seen == expected[n]
        assert len({e.id for e in events}) == len(events)  # no duplicates
        assert all(e.user_id == account.user_id and e.account_id == account.id for e in events)  # only theirs
        assert [p.event for p in world.published(account.user_id)] == events  # and all of them were delivered
        for e in events:
            if e.type is EventType.EMAIL_RECEIVED:
                assert e.data["from"]["address"] != account.address and INBOX in e.data["label_ids"]
            if e.type is EventType.EMAIL_SENT:
                assert SENT in e.data["label_ids"]
