"""One contract for the events outbox (EventStore) and the job outbox (JobOutbox): the in-memory fake, SQLite and
PostgreSQL keep, hide, claim and prune alike — including under concurrent transactions."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.ports.unit_of_work import OutboxJob
from domain.events import DomainEvent, EventType, StoredEvent
from domain.identity import Role, User, UserStatus, new_id
from tests.support.uow import UowFactory, uow_factory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


@pytest.fixture(params=["memory", "postgres"])
def locking_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    """The adapters with row locks (SKIP LOCKED): a second claimer does not wait for the first."""
    yield from uow_factory(request.param, request, tmp_path)


def add_users(new_uow: UowFactory, count: int = 1) -> list[str]:
    """Events reference their user (a foreign key on SQL), so tests create the users first."""
    ids = []
    with new_uow() as uow:
        for _ in range(count):
            user_id = new_id()
            uow.users.add(
                User(
                    id=user_id,
                    email=f"{user_id}@example.com",
                    role=Role.USER,
                    status=UserStatus.ACTIVE,
                    created_at=T0,
                    password_hash="h",
                )
            )
            ids.append(user_id)
        uow.commit()
    return ids


def ev(user_id: str, n: int = 0, *, id: str | None = None, at: datetime = T0, **changes: Any) -> DomainEvent:
    event = DomainEvent(
        id=id or new_id(),
        user_id=user_id,
        type=EventType.EMAIL_RECEIVED,
        occurred_at=at,
        data={"n": n, "subject": f"Hello {n}"},
        account_id="acct-1",
    )
    return replace(event, **changes) if changes else event


def job(n: int = 0, *, created_at: datetime = T0, **changes: Any) -> OutboxJob:
    return replace(
        OutboxJob(id=new_id(), name="test.job", payload={"n": n}, created_at=created_at, job_id=f"job-{n}"),
        **changes,
    )


def committed(new_uow: UowFactory, user_id: str, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
    with new_uow() as uow:
        return list(uow.events.after(user_id, after, limit=limit))


def claim_events(new_uow: UowFactory, limit: int = 1000, at: datetime = T0, commit: bool = True) -> list[StoredEvent]:
    with new_uow() as uow:
        batch = list(uow.events.claim_unpublished(limit=limit, at=at))
        if commit:
            uow.commit()
    return batch


def claim_jobs(new_uow: UowFactory, limit: int = 1000, commit: bool = True) -> list[OutboxJob]:
    with new_uow() as uow:
        batch = list(uow.job_outbox.claim(limit=limit))
        if commit:
            uow.commit()
    return batch


# -- append, visibility, rollback --------------------------------------------------------------------------------


def test_append_round_trips_every_field(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    event = DomainEvent(
        id="e" * 64,
        user_id=user,
        type=EventType.SCHEDULED_EMAIL_FAILED,
        occurred_at=datetime(2026, 3, 1, 11, 0, 0, 654321, tzinfo=timezone(timedelta(hours=2))),
        data={"nested": {"list": [1, 2.5, "x", None, True], "deep": {"ok": False}}, "emoji": "Zoë ✉"},
        account_id=None,
    )
    with new_uow() as uow:
        assert uow.events.append(event) is True
        uow.commit()
    [stored] = committed(new_uow, user)
    assert stored.seq >= 1
    assert stored.event == event
    assert stored.event.occurred_at.utcoffset() is not None  # aware, whatever the backend


def test_append_dedups_by_id_within_one_transaction_and_across_transactions(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    first = ev(user, 1, id="same-id")
    with new_uow() as uow:
        assert uow.events.append(first) is True
        assert uow.events.append(replace(first, data={"n": 2})) is False  # same id in the same transaction
        assert uow.events.append(ev(user, 3)) is True
        uow.commit()
    with new_uow() as uow:
        assert uow.events.append(replace(first, data={"n": 4})) is False  # same id, already committed
        uow.commit()
    stored = committed(new_uow, user)
    assert [s.event.data["n"] for s in stored] == [1, 3]
    assert stored[0].event == first


def test_append_many_stores_in_order_and_skips_known_ids(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    with new_uow() as uow:
        assert uow.events.append(ev(user, 0, id="known")) is True
        uow.commit()
    batch = [ev(user, 1), ev(user, 2, id="known"), ev(user, 3, id="twice"), ev(user, 4, id="twice"), ev(user, 5)]
    with new_uow() as uow:
        assert uow.events.append_many(batch) == 3
        assert uow.events.append_many([]) == 0
        uow.commit()
    stored = committed(new_uow, user)
    assert [s.event.data["n"] for s in stored] == [0, 1, 3, 5]
    assert [s.seq for s in stored] == sorted(s.seq for s in stored)


def test_append_dedups_across_concurrent_transactions(new_uow: UowFactory) -> None:
    """Two transactions append the same id at the same time: once both committed, it is stored exactly once.
    (PostgreSQL makes the second wait on the first's unique key; SQLite on its write lock; the fake decides at
    commit.) The second transaction itself still commits: a duplicate never aborts the caller's work."""
    [user] = add_users(new_uow)
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with new_uow() as uow:
                results["second"] = uow.events.append(ev(user, 2, id="racing"))
                uow.events.append(ev(user, 20))  # other work in the same transaction is kept
                uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with new_uow() as uow:
        results["first"] = uow.events.append(ev(user, 1, id="racing"))
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)  # let the second transaction reach its append (it blocks there on SQL)
        uow.commit()
    thread.join(10)
    assert not thread.is_alive() and not errors
    stored = committed(new_uow, user)
    assert sorted(s.event.id for s in stored if s.event.id == "racing") == ["racing"]
    assert sorted(s.event.data["n"] for s in stored) in ([1, 20], [2, 20])
    assert results["first"] is True  # nothing existed when the first appended


def test_a_rolled_back_append_frees_the_id_for_a_concurrent_one(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    results: list[bool] = []

    def second() -> None:
        with new_uow() as uow:
            results.append(uow.events.append(ev(user, 2, id="racing")))
            uow.commit()

    with new_uow() as uow:
        assert uow.events.append(ev(user, 1, id="racing")) is True
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        uow.rollback()
    thread.join(10)
    assert results == [True]
    assert [s.event.data["n"] for s in committed(new_uow, user)] == [2]


def test_nothing_is_visible_or_claimable_before_commit(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    with new_uow() as writer:
        writer.events.append(ev(user, 1))
        writer.job_outbox.add(job(1))
        with new_uow() as reader:
            assert list(reader.events.after(user, 0, limit=10)) == []
            assert reader.events.latest_seq(user) == 0
            assert list(reader.events.claim_unpublished(limit=10, at=T0)) == []
            assert list(reader.job_outbox.claim(limit=10)) == []
            reader.commit()
        writer.commit()
    assert [s.event.data["n"] for s in committed(new_uow, user)] == [1]
    assert [s.event.data["n"] for s in claim_events(new_uow)] == [1]
    assert [j.payload for j in claim_jobs(new_uow)] == [{"n": 1}]


def test_rollback_discards_events_and_jobs(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    event = ev(user, 1)
    with new_uow() as uow:
        uow.events.append(event)
        uow.job_outbox.add(job(1))
        uow.rollback()
    with new_uow() as uow:
        uow.events.append(ev(user, 2))
        uow.job_outbox.add(job(2))
        # leaving the block without commit rolls back too
    assert committed(new_uow, user) == []
    assert claim_events(new_uow) == []
    assert claim_jobs(new_uow) == []
    with new_uow() as uow:
        assert uow.events.append(event) is True  # the id was never taken
        uow.commit()
    assert [s.event for s in committed(new_uow, user)] == [event]


# -- reading back ------------------------------------------------------------------------------------------------


def test_after_returns_only_that_users_events_in_seq_order_with_limit(new_uow: UowFactory) -> None:
    alice, bob = add_users(new_uow, 2)
    for batch in range(3):
        with new_uow() as uow:
            for i in range(3):
                n = batch * 3 + i
                uow.events.append(ev(alice if n % 2 == 0 else bob, n))
            uow.commit()
    mine = committed(new_uow, alice)
    theirs = committed(new_uow, bob)
    assert [s.event.data["n"] for s in mine] == [0, 2, 4, 6, 8]
    assert [s.event.data["n"] for s in theirs] == [1, 3, 5, 7]
    assert {s.event.user_id for s in mine} == {alice}
    seqs = [s.seq for s in mine]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert not set(seqs) & {s.seq for s in theirs}  # one sequence across users
    assert [s.event.data["n"] for s in committed(new_uow, alice, limit=2)] == [0, 2]
    assert [s.event.data["n"] for s in committed(new_uow, alice, after=seqs[1], limit=2)] == [4, 6]
    assert committed(new_uow, alice, after=seqs[-1]) == []
    assert committed(new_uow, new_id()) == []


def test_latest_seq(new_uow: UowFactory) -> None:
    alice, bob = add_users(new_uow, 2)
    with new_uow() as uow:
        assert uow.events.latest_seq(alice) == 0
        uow.events.append(ev(alice, 1))
        uow.events.append(ev(bob, 2))
        uow.events.append(ev(alice, 3))
        uow.events.append(ev(bob, 4))
        uow.commit()
    with new_uow() as uow:
        assert uow.events.latest_seq(alice) == committed(new_uow, alice)[-1].seq
        assert uow.events.latest_seq(bob) == committed(new_uow, bob)[-1].seq
        assert uow.events.latest_seq(bob) > uow.events.latest_seq(alice)
        assert uow.events.latest_seq(new_id()) == 0


# -- claiming for the relay --------------------------------------------------------------------------------------


def test_claim_unpublished_takes_committed_events_oldest_first_and_marks_them_on_commit(new_uow: UowFactory) -> None:
    alice, bob = add_users(new_uow, 2)
    with new_uow() as uow:
        for n in range(5):
            uow.events.append(ev(alice if n % 2 else bob, n))
        uow.commit()
    first = claim_events(new_uow, limit=3)
    assert [s.event.data["n"] for s in first] == [0, 1, 2]
    assert [s.seq for s in first] == sorted(s.seq for s in first)
    rest = claim_events(new_uow, limit=3)
    assert [s.event.data["n"] for s in rest] == [3, 4]
    assert claim_events(new_uow) == []
    assert len(committed(new_uow, alice)) + len(committed(new_uow, bob)) == 5  # relayed events stay for replay


def test_a_rolled_back_claim_leaves_the_events_claimable(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    with new_uow() as uow:
        for n in range(3):
            uow.events.append(ev(user, n))
        uow.commit()
    assert len(claim_events(new_uow, commit=False)) == 3
    with new_uow() as uow:
        assert len(uow.events.claim_unpublished(limit=2, at=T0)) == 2
        uow.rollback()
        assert [s.event.data["n"] for s in uow.events.claim_unpublished(limit=10, at=T0)] == [0, 1, 2]
        uow.commit()
    assert claim_events(new_uow) == []


def test_concurrent_claimers_skip_each_others_rows(locking_uow: UowFactory) -> None:
    """SKIP LOCKED: while one relay holds a batch, another gets the next rows at once instead of waiting."""
    [user] = add_users(locking_uow)
    with locking_uow() as uow:
        for n in range(6):
            uow.events.append(ev(user, n))
            uow.job_outbox.add(job(n, created_at=T0 + timedelta(seconds=n)))
        uow.commit()
    got: dict[str, list[int]] = {}
    holding, done = threading.Event(), threading.Event()

    def first() -> None:
        with locking_uow() as uow:
            got["events-1"] = [s.event.data["n"] for s in uow.events.claim_unpublished(limit=3, at=T0)]
            got["jobs-1"] = [int(j.payload["n"] or 0) for j in uow.job_outbox.claim(limit=3)]
            holding.set()
            done.wait(10)
            uow.commit()

    def second() -> None:
        holding.wait(10)
        with locking_uow() as uow:
            got["events-2"] = [s.event.data["n"] for s in uow.events.claim_unpublished(limit=10, at=T0)]
            got["jobs-2"] = [int(j.payload["n"] or 0) for j in uow.job_outbox.claim(limit=10)]
            uow.commit()
        done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert not any(t.is_alive() for t in threads)
    assert got == {"events-1": [0, 1, 2], "jobs-1": [0, 1, 2], "events-2": [3, 4, 5], "jobs-2": [3, 4, 5]}
    assert claim_events(locking_uow) == [] and claim_jobs(locking_uow) == []


def test_many_concurrent_claimers_claim_each_row_exactly_once(new_uow: UowFactory) -> None:
    """Four relays racing in threads, on every adapter (SQLite serialises them; it must still never hand the same
    row to two of them)."""
    [user] = add_users(new_uow)
    total = 40
    with new_uow() as uow:
        for n in range(total):
            uow.events.append(ev(user, n))
            uow.job_outbox.add(job(n, created_at=T0 + timedelta(seconds=n)))
        uow.commit()
    events_seen: list[int] = []
    jobs_seen: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def relay() -> None:
        try:
            start.wait(5)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with new_uow() as uow:
                    events = uow.events.claim_unpublished(limit=3, at=T0)
                    jobs = uow.job_outbox.claim(limit=3)
                    time.sleep(0.002)  # "publishing"
                    uow.commit()
                with lock:
                    events_seen.extend(int(s.event.data["n"]) for s in events)
                    jobs_seen.extend(int(j.payload["n"] or 0) for j in jobs)
                    if len(events_seen) >= total and len(jobs_seen) >= total:
                        return
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(events_seen) == list(range(total))
    assert sorted(jobs_seen) == list(range(total))


# -- pruning -----------------------------------------------------------------------------------------------------


def test_prune_deletes_only_relayed_events_older_than_the_cutoff(new_uow: UowFactory) -> None:
    [user] = add_users(new_uow)
    cutoff = T0 + timedelta(days=3)
    with new_uow() as uow:
        uow.events.append(ev(user, 1, at=T0))  # old, relayed below: pruned
        uow.events.append(ev(user, 2, at=cutoff + timedelta(seconds=1)))  # new, relayed: kept
        uow.events.append(ev(user, 3, at=cutoff))  # exactly at the cutoff: kept ("older than")
        uow.commit()
    assert len(claim_events(new_uow)) == 3
    with new_uow() as uow:
        uow.events.append(ev(user, 4, at=T0))  # old but not relayed yet: kept
        uow.commit()
    with new_uow() as uow:
        assert uow.events.prune(before=cutoff) == 1
        uow.rollback()  # a rolled-back prune deletes nothing
    assert [s.event.data["n"] for s in committed(new_uow, user)] == [1, 2, 3, 4]
    with new_uow() as uow:
        assert uow.events.prune(before=cutoff) == 1
        uow.commit()
    assert [s.event.data["n"] for s in committed(new_uow, user)] == [2, 3, 4]
    assert [s.event.data["n"] for s in claim_events(new_uow)] == [4]
    with new_uow() as uow:
        assert uow.events.prune(before=cutoff) == 1
        assert uow.events.prune(before=cutoff) == 0
        uow.commit()
    assert [s.event.data["n"] for s in committed(new_uow, user)] == [2, 3]


# -- the job outbox ----------------------------------------------------------------------------------------------


def test_job_outbox_round_trips_and_claims_oldest_first_on_commit(new_uow: UowFactory) -> None:
    full = OutboxJob(
        id=new_id(),
        name="mail.sync",
        payload={"account_id": "a1", "count": 3, "ratio": 0.5, "force": True, "none": None},
        created_at=T0,
        job_id="sync-a1",
        run_at=datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
        max_attempts=5,
        base_delay_seconds=1.5,
        max_delay_seconds=60.0,
    )
    with new_uow() as uow:
        uow.job_outbox.add(job(2, created_at=T0 + timedelta(seconds=2)))
        uow.job_outbox.add(full)
        uow.job_outbox.add(job(1, created_at=T0 + timedelta(seconds=1)))
        uow.commit()
    first = claim_jobs(new_uow, limit=2)
    assert first[0] == full
    assert first[0].run_at is not None and first[0].run_at.utcoffset() is not None
    assert [j.job_id for j in first] == ["sync-a1", "job-1"]
    assert [j.job_id for j in claim_jobs(new_uow)] == ["job-2"]
    assert claim_jobs(new_uow) == []


def test_a_rolled_back_job_claim_leaves_the_jobs_claimable(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        for n in range(3):
            uow.job_outbox.add(job(n, created_at=T0 + timedelta(seconds=n)))
        uow.commit()
    assert len(claim_jobs(new_uow, commit=False)) == 3
    with new_uow() as uow:
        assert [j.job_id for j in uow.job_outbox.claim(limit=2)] == ["job-0", "job-1"]
        uow.rollback()
        assert [j.job_id for j in uow.job_outbox.claim(limit=10)] == ["job-0", "job-1", "job-2"]
        uow.commit()
    assert claim_jobs(new_uow) == []


# -- property: any sequence of transactions ----------------------------------------------------------------------

Step = tuple[str, int]  # ("append", id index) | ("end", 0=rollback / 1=commit)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 5)),
        st.tuples(st.just("end"), st.integers(0, 1)),
    ),
    max_size=25,
)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def shared_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory | None]:
    """One database for every example (examples use their own user and ids); memory gets a fresh store each."""
    if request.param == "memory":
        yield None
    else:
        yield from uow_factory(request.param, request, tmp_path)


@settings(max_examples=100)
@given(steps=steps, users=st.lists(st.integers(0, 1), min_size=25, max_size=25))
def test_any_sequence_of_appends_commits_and_rollbacks_matches_the_model(
    shared_uow: UowFactory | None, steps: list[Step], users: list[int]
) -> None:
    """Transactions run one after another; each appends ids (duplicates within it and of earlier ones) for one of
    two users and commits or rolls back. What is committed is exactly the model: the first committed occurrence of
    each id, in commit order, with increasing seqs; append says True exactly when the model stores it."""
    if shared_uow is None:
        store = InMemoryStore()
        new_uow: UowFactory = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    else:
        new_uow = shared_uow
    user_ids = add_users(new_uow, 2)
    prefix = uuid.uuid4().hex[:8]
    model: list[tuple[str, str, int]] = []  # (event id, user id, step index) committed, in order
    pending: list[tuple[str, str, int]] = []
    uow = new_uow()
    uow.__enter__()
    try:
        for index, (kind, value) in enumerate(steps):
            if kind == "append":
                event_id = f"{prefix}-{value}"
                user_id = user_ids[users[index]]
                expected = event_id not in {e for e, _, _ in model} | {e for e, _, _ in pending}
                assert uow.events.append(ev(user_id, index, id=event_id)) is expected
                if expected:
                    pending.append((event_id, user_id, index))
            else:
                if value:
                    uow.commit()
                    model.extend(pending)
                else:
                    uow.rollback()
                pending = []
                uow.__exit__(None, None, None)
                uow = new_uow()
                uow.__enter__()
    finally:
        uow.__exit__(None, None, None)  # whatever is still open is rolled back
    seen: list[tuple[int, str, str, int]] = []
    for user_id in user_ids:
        stored = committed(new_uow, user_id)
        assert [(s.event.id, s.event.data["n"]) for s in stored] == [(e, n) for e, u, n in model if u == user_id], (
            "that user's committed events, in order"
        )
        seen += [(s.seq, s.event.id, user_id, int(s.event.data["n"])) for s in stored]
        with new_uow() as uow:
            assert uow.events.latest_seq(user_id) == (stored[-1].seq if stored else 0)
    # Across both users, seq order is commit order (the model's order).
    assert [(e, u, n) for _, e, u, n in sorted(seen)] == model
