"""CachingMailbox: reads served from the cache until their TTL (property 74) and never stale after a change made
through the platform (property 76), hit/miss counting, a cache outage never failing a read, the JSON codec."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from adapters.in_memory.cache import InMemoryCache
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.mailbox import InMemoryMailbox
from application.caching_mailbox import (
    CachingMailbox,
    MailCacheStats,
    MailCacheTtls,
    MissedInvalidations,
    last_known_labels,
    message_from_json,
    message_to_json,
)
from application.dependency_health import Outages
from application.fallbacks import FallthroughCache
from application.ports.cache import Cache, CacheStats
from domain.errors import Conflict, DomainError, NotFound, ServiceUnavailable
from domain.mail import INBOX, STARRED, UNREAD, EmailAddress, Message, OutgoingMessage
from tests.support.mail_strategies import outgoing_messages
from tests.support.mailbox_seed import OWNER, incoming_raw

START = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
ACCOUNT = "acc-1"


class World:
    def __init__(self, ttls: MailCacheTtls | None = None, messages: int = 4) -> None:
        self.clock = InMemoryClock(START)
        self.inner = InMemoryMailbox(OWNER, clock=self.clock.now)
        self.cache = InMemoryCache(self.clock)
        self.stats = MailCacheStats()
        self.box = CachingMailbox(
            self.inner,
            self.cache,
            self.clock,
            account_id=ACCOUNT,
            ttls=ttls or MailCacheTtls(),
            stats=self.stats,
            missed=MissedInvalidations(),
        )
        self.ids = [self.deliver(f"Hello {n}") for n in range(messages)]

    def deliver(self, subject: str) -> str:
        raw = incoming_raw(
            sender=EmailAddress(address="alice@example.com", name="Alice"),
            subject=subject,
            text=f"Body of {subject}",
            date=self.clock.now() - timedelta(hours=1),
        )
        return self.inner.deliver(raw, [INBOX, UNREAD])


def outgoing(subject: str) -> OutgoingMessage:
    return OutgoingMessage(to=(EmailAddress(address="bob@example.com"),), subject=subject, text_body="Hi")


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """A call's result, or the kind of error it raised (what a caller can observe)."""
    try:
        return "ok", call(*args, **kwargs)
    except DomainError as exc:
        return "error", (type(exc), exc.message)


# ---------------------------------------------------------------- basic behaviour


def test_second_reads_come_from_the_cache_and_are_counted() -> None:
    w = World()
    calls: list[str] = []
    original_get, original_labels = w.inner.get_message, w.inner.list_labels
    w.inner.get_message = lambda i: (calls.append(f"get:{i}"), original_get(i))[1]  # type: ignore[method-assign]
    w.inner.list_labels = lambda: (calls.append("labels"), original_labels())[1]  # type: ignore[method-assign]
    first = w.box.get_message(w.ids[0])
    assert w.box.get_message(w.ids[0]) == first
    assert w.box.list_labels() == w.box.list_labels()
    assert calls == [f"get:{w.ids[0]}", "labels"]  # each provider read once
    assert w.stats.snapshot() == {"labels": CacheStats(1, 1), "message": CacheStats(1, 1)}


def test_a_missing_message_is_not_cached() -> None:
    w = World()
    for _ in range(2):
        with pytest.raises(NotFound):
            w.box.get_message("nope")
    assert w.stats.snapshot()["message"] == CacheStats(0, 2)


def test_every_change_through_the_decorator_drops_what_it_affects() -> None:
    w = World()
    target = w.ids[0]
    assert UNREAD in w.box.get_message(target).label_ids
    unread_before = {lb.id: lb.messages_unread for lb in w.box.list_labels()}[UNREAD]
    w.box.mark_read([target])
    assert UNREAD not in w.box.get_message(target).label_ids
    assert {lb.id: lb.messages_unread for lb in w.box.list_labels()}[UNREAD] == unread_before - 1
    label = w.box.create_label("Receipts")
    assert label.id in {lb.id for lb in w.box.list_labels()}
    w.box.modify_labels([target], add=[label.id, STARRED])
    assert {label.id, STARRED} <= w.box.get_message(target).label_ids
    draft = w.box.create_draft(outgoing("draft"))
    assert w.box.get_message(draft.message.id) == w.inner.get_message(draft.message.id)
    sent = w.box.send_draft(draft.id)
    assert w.box.get_message(sent.id) == w.inner.get_message(sent.id)


def test_ttls_of_zero_turn_caching_off() -> None:
    w = World(MailCacheTtls(message_seconds=0, labels_seconds=0))
    w.box.get_message(w.ids[0])
    w.box.list_labels()
    assert w.stats.snapshot() == {}
    assert last_known_labels(w.cache, ACCOUNT) is not None  # the degraded-answer copy is still kept


@pytest.mark.property(89)
def test_last_known_labels_survive_invalidation_with_their_time() -> None:
    w = World()
    labels = w.box.list_labels()
    w.clock.advance(minutes=5)
    w.box.mark_read([w.ids[0]])
    known = last_known_labels(w.cache, ACCOUNT)
    assert known == (labels, START)


class BrokenCache(Cache):
    def get(self, key: str) -> str | None:
        raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis")

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis")

    def delete(self, *keys: str) -> None:
        raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis")

    def stats(self) -> CacheStats:
        return CacheStats()


@pytest.mark.property(89)
def test_a_cache_outage_never_fails_a_read_or_a_change() -> None:
    w = World()
    box = CachingMailbox(w.inner, BrokenCache(), w.clock, account_id=ACCOUNT, missed=MissedInvalidations())
    assert box.get_message(w.ids[0]) == w.inner.get_message(w.ids[0])
    assert box.list_labels() == w.inner.list_labels()
    box.mark_read([w.ids[0]])
    assert UNREAD not in box.get_message(w.ids[0]).label_ids
    assert last_known_labels(BrokenCache(), ACCOUNT) is None


def test_a_failed_change_still_invalidates() -> None:
    """A change that fails half-way (an ambiguous send) may have happened: the cache must not keep the old view."""
    w = World()
    w.box.get_message(w.ids[0])
    original = w.inner.modify_labels

    def half_then_fail(ids: Any, *, add: Any = (), remove: Any = ()) -> None:
        original(ids, add=add, remove=remove)
        raise ServiceUnavailable("Gmail dropped the connection.", service="gmail")

    w.inner.modify_labels = half_then_fail  # type: ignore[method-assign]
    with pytest.raises(ServiceUnavailable):
        w.box.modify_labels([w.ids[0]], add=[STARRED])
    assert STARRED in w.box.get_message(w.ids[0]).label_ids


def test_the_decorator_implements_every_method_of_the_port() -> None:
    from application.ports.mailbox import Mailbox

    public = {name for name in vars(Mailbox) if not name.startswith("_")}
    assert public <= set(vars(CachingMailbox)), public - set(vars(CachingMailbox))


# ---------------------------------------------------------------- the codec


@given(message=outgoing_messages(), labels=st.sets(st.sampled_from([INBOX, UNREAD, STARRED]), max_size=3))
def test_property_the_cached_form_of_a_message_reads_back_equal(message: OutgoingMessage, labels: set[str]) -> None:
    box = InMemoryMailbox(OWNER)
    sent = box.send(message)
    if labels:
        box.modify_labels([sent.id], add=sorted(labels))
    stored = box.get_message(sent.id)
    encoded = message_to_json(stored)
    assert message_from_json(encoded) == stored
    assert {f.name for f in dataclasses.fields(Message)} == {"from_" if k == "from" else k for k in encoded}


# ---------------------------------------------------------------- property 74: TTL expiry


@pytest.mark.property(74)
@given(
    message_ttl=st.integers(1, 900),
    labels_ttl=st.integers(1, 300),
    wait=st.integers(0, 1000),
)
def test_property_74_a_change_made_elsewhere_shows_exactly_when_the_ttl_expires(
    message_ttl: int, labels_ttl: int, wait: int
) -> None:
    w = World(MailCacheTtls(message_seconds=message_ttl, labels_seconds=labels_ttl), messages=2)
    target = w.ids[0]
    old_message, old_labels = w.box.get_message(target), w.box.list_labels()
    w.inner.modify_labels([target], add=[STARRED], remove=[UNREAD])  # e.g. in Gmail's own web app
    new_message, new_labels = w.inner.get_message(target), w.inner.list_labels()
    assert (old_message, old_labels) != (new_message, new_labels)
    w.clock.advance(seconds=wait)
    assert w.box.get_message(target) == (old_message if wait < message_ttl else new_message)
    assert w.box.list_labels() == (old_labels if wait < labels_ttl else new_labels)


# ---------------------------------------------------------------- property 76: invalidation on change

INDEX = st.integers(0, 50)
OPERATIONS = st.one_of(
    st.tuples(st.just("read_message"), INDEX),
    st.tuples(st.just("read_labels"), INDEX),
    st.tuples(
        st.just("modify"),
        st.lists(INDEX, min_size=1, max_size=3),
        st.lists(st.sampled_from([STARRED, UNREAD, INBOX, "user"]), max_size=2),
        st.lists(st.sampled_from([STARRED, UNREAD, INBOX, "user"]), max_size=2),
    ),
    st.tuples(
        st.sampled_from(["mark_read", "mark_unread", "trash", "untrash"]), st.lists(INDEX, min_size=1, max_size=3)
    ),
    st.tuples(st.just("send"), INDEX),
    st.tuples(st.just("reply"), INDEX),
    st.tuples(st.just("create_draft"), INDEX),
    st.tuples(st.sampled_from(["update_draft", "delete_draft", "send_draft"]), INDEX),
    st.tuples(st.just("create_label"), st.sampled_from(["Work", "Later", "work", "Receipts"])),
    st.tuples(st.just("wait"), st.integers(0, 400)),
)


@pytest.mark.property(76)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=25))
def test_property_76_reads_through_the_cache_always_equal_the_mailbox_after_changes_through_it(
    operations: list[tuple[Any, ...]],
) -> None:
    w = World(messages=3)
    box, truth = w.box, w.inner
    messages = list(w.ids)
    drafts: list[str] = []
    user_labels: list[str] = []

    def pick(pool: list[str], n: int) -> str:
        return pool[n % len(pool)] if pool else "missing-id"

    def label(name: str) -> str:
        return pick(user_labels, len(name)) if name == "user" else name

    for op in operations:
        note(repr(op))
        kind = op[0]
        if kind == "read_message":
            message_id = pick(messages, op[1]) if op[1] < 45 else "missing-id"
            assert outcome(box.get_message, message_id) == outcome(truth.get_message, message_id)
        elif kind == "read_labels":
            assert box.list_labels() == truth.list_labels()
        elif kind == "modify":
            ids = [pick(messages, n) for n in op[1]]
            outcome(box.modify_labels, ids, add=[label(x) for x in op[2]], remove=[label(x) for x in op[3]])
        elif kind in ("mark_read", "mark_unread", "trash", "untrash"):
            ids = [pick(messages, n) for n in op[1]]
            outcome(getattr(box, kind), ids)
        elif kind == "send":
            messages.append(box.send(outgoing(f"sent {op[1]}")).id)
        elif kind == "reply":
            found = outcome(truth.get_message, pick(messages, op[1]))  # e.g. a draft's message replaced by an edit
            if found[0] == "ok":
                original = found[1]
                reply = dataclasses.replace(outgoing(f"Re: {original.subject}"), thread_id=original.thread_id)
                messages.append(box.send(reply).id)
        elif kind == "create_draft":
            draft = box.create_draft(outgoing(f"draft {op[1]}"))
            drafts.append(draft.id)
            messages.append(draft.message.id)
        elif kind == "update_draft" and drafts:
            draft = box.update_draft(pick(drafts, op[1]), outgoing(f"draft v{op[1]}"))
            messages.append(draft.message.id)
        elif kind == "delete_draft" and drafts:
            box.delete_draft(drafts.pop(op[1] % len(drafts)))
        elif kind == "send_draft" and drafts:
            messages.append(box.send_draft(drafts.pop(op[1] % len(drafts))).id)
        elif kind == "create_label":
            made = outcome(box.create_label, op[1])
            if made[0] == "ok":
                user_labels.append(made[1].id)
            else:
                assert made[1][0] is Conflict
        elif kind == "wait":
            w.clock.advance(seconds=op[1])
        # After every step, every known message and the labels read the same through the cache as without it.
        for message_id in messages:
            assert outcome(box.get_message, message_id) == outcome(truth.get_message, message_id)
        assert box.list_labels() == truth.list_labels()
    # ... and the cache was really used: reading twice in a row is a hit.
    hits = w.stats.snapshot()["labels"].hits
    box.list_labels()
    assert w.stats.snapshot()["labels"].hits == hits + 1


class FlakyCache(Cache):
    """The in-memory cache behind a switch: while `down`, every call fails as Redis's would."""

    def __init__(self, inner: InMemoryCache) -> None:
        self.inner, self.down = inner, False

    def _check(self) -> None:
        if self.down:
            raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis")

    def get(self, key: str) -> str | None:
        self._check()
        return self.inner.get(key)

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        self._check()
        self.inner.set(key, value, ttl_seconds=ttl_seconds)

    def delete(self, *keys: str) -> None:
        self._check()
        self.inner.delete(*keys)

    def stats(self) -> CacheStats:
        return self.inner.stats()


@pytest.mark.property(89)
@pytest.mark.parametrize("wiring", ["bare", "production"])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(
                ["down", "up", "get", "labels", "search", "read", "unread", "star", "unstar", "send", "wait"]
            ),
            st.integers(0, 3),
            st.booleans(),
        ),
        max_size=25,
    )
)
def test_property_89_reads_and_changes_never_fail_because_of_the_cache_and_never_answer_wrong(
    wiring: str, steps: list[tuple[str, int, bool]]
) -> None:
    """The cache coming and going at any moment: every read and change through the caching mailbox still succeeds,
    and what a read returns is what the mailbox itself holds — also after a change made while the cache was down
    (it could not start a new generation then; the process remembers it and starts it before its next cached read).
    Each step goes through a new decorator or the first one, as requests of one process do. `bare`: the decorator
    straight on a cache that fails; `production`: behind the FallthroughCache the production profile wires in
    (which remembers a failed delete itself and leaves Redis alone for 3 s after a failure)."""
    w = World()
    flaky = FlakyCache(w.cache)
    missed = MissedInvalidations()
    cache: Cache = flaky
    if wiring == "production":
        cache = FallthroughCache(flaky, Outages(), monotonic=lambda: w.clock.now().timestamp())

    def decorator() -> CachingMailbox:
        return CachingMailbox(w.inner, cache, w.clock, account_id=ACCOUNT, stats=w.stats, missed=missed)

    first = decorator()
    for action, n, fresh in steps:
        note(f"{action} {n} (cache {'down' if flaky.down else 'up'}, {'new' if fresh else 'first'} decorator)")
        box = decorator() if fresh else first
        target = w.ids[n % len(w.ids)]
        if action in ("down", "up"):
            flaky.down = action == "down"
        elif action == "get":
            assert outcome(box.get_message, target) == outcome(w.inner.get_message, target)
        elif action == "labels":
            assert box.list_labels() == w.inner.list_labels()
        elif action == "search":
            assert box.search("in:inbox") == w.inner.search("in:inbox")
        elif action == "read":
            box.mark_read([target])
        elif action == "unread":
            box.mark_unread([target])
        elif action in ("star", "unstar"):
            box.modify_labels([target], **({"add": [STARRED]} if action == "star" else {"remove": [STARRED]}))
        elif action == "send":
            box.send(outgoing(f"sent {n}"))
        elif action == "wait":
            w.clock.advance(seconds=30 * n)
        w.clock.advance(seconds=1)
    # Once the cache is back, one cached read has started every missed generation, and the cache is used again.
    flaky.down = False
    w.clock.advance(seconds=10)
    first.list_labels()
    assert missed.pending() == []
    hits = w.stats.snapshot()["labels"].hits
    assert decorator().list_labels() == w.inner.list_labels()
    assert w.stats.snapshot()["labels"].hits == hits + 1


@pytest.mark.property(89)
def test_a_change_missed_while_the_cache_was_down_is_not_served_stale_when_it_returns() -> None:
    """The case `make properties` found: read (cached), cache down, change, cache back, read again."""
    w = World()
    flaky = FlakyCache(w.cache)
    missed = MissedInvalidations()
    box = CachingMailbox(w.inner, flaky, w.clock, account_id=ACCOUNT, stats=w.stats, missed=missed)
    assert UNREAD in box.get_message(w.ids[0]).label_ids and box.list_labels() == w.inner.list_labels()
    flaky.down = True
    box.mark_read([w.ids[0]])
    assert missed.pending() == [ACCOUNT]
    assert UNREAD not in box.get_message(w.ids[0]).label_ids  # from the provider while the cache is down
    flaky.down = False
    other_request = CachingMailbox(w.inner, flaky, w.clock, account_id=ACCOUNT, stats=w.stats, missed=missed)
    assert UNREAD not in other_request.get_message(w.ids[0]).label_ids
    assert other_request.list_labels() == w.inner.list_labels()
    assert missed.pending() == []


def test_missed_invalidations_are_started_for_every_account_and_kept_while_the_cache_fails() -> None:
    w = World()
    flaky = FlakyCache(w.cache)
    missed = MissedInvalidations()
    for account in ("acc-a", "acc-b"):
        w.cache.set(f"mail:{account}:gen", "old", ttl_seconds=600)
        missed.add(account)
    flaky.down = True
    assert missed.flush(flaky) is False
    assert missed.pending() == ["acc-a", "acc-b"]
    flaky.down = False
    # A read of a third account starts both missed generations (other replicas stop serving them too).
    CachingMailbox(w.inner, flaky, w.clock, account_id="acc-c", missed=missed).list_labels()
    assert missed.pending() == []
    assert w.cache.get("mail:acc-a:gen") is None and w.cache.get("mail:acc-b:gen") is None
