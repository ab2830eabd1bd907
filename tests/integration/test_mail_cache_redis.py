"""The mail cache on real Redis, as two replicas share it: a change made through one replica is seen at once by
the other (property 76 across processes), hits are shared, a Redis outage only costs cache misses, and a change made
while Redis hung is not served stale by either replica once it answers again (property 89)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.mailbox import InMemoryMailbox
from adapters.redis.cache import RedisCache
from application.caching_mailbox import (
    CachingMailbox,
    MailCacheStats,
    MissedInvalidations,
    generation_key,
    last_known_labels,
)
from domain.mail import INBOX, STARRED, UNREAD, EmailAddress
from tests.support.mailbox_seed import OWNER, incoming_raw
from tests.support.services import PrivateRedis


@pytest.mark.property(76)
def test_two_replicas_share_cached_reads_and_see_each_others_changes(redis_client: Any, redis_prefix: str) -> None:
    clock = InMemoryClock(datetime(2026, 2, 1, tzinfo=UTC))
    provider = InMemoryMailbox(OWNER, clock=clock.now)  # what Gmail holds
    raw = incoming_raw(
        sender=EmailAddress(address="a@example.com"), subject="Hi", text="x", date=clock.now() - timedelta(1)
    )
    message_id = provider.deliver(raw, [INBOX, UNREAD])
    reads: list[str] = []
    original = provider.get_message
    provider.get_message = lambda i: (reads.append(i), original(i))[1]  # type: ignore[method-assign]

    def replica() -> tuple[CachingMailbox, MailCacheStats]:
        stats = MailCacheStats()
        cache = RedisCache(redis_client, prefix=redis_prefix)  # each replica has its own client object
        return CachingMailbox(provider, cache, clock, account_id="acc-r", stats=stats), stats

    (a, _), (b, b_stats) = replica(), replica()
    assert UNREAD in a.get_message(message_id).label_ids
    assert b.get_message(message_id) == a.get_message(message_id)
    assert reads == [message_id]  # replica b was served what replica a cached
    assert b_stats.snapshot()["message"].hits == 1

    a.modify_labels([message_id], add=[STARRED], remove=[UNREAD])  # through replica a ...
    seen = b.get_message(message_id)  # ... and replica b sees it at once, not after the TTL
    assert STARRED in seen.label_ids and UNREAD not in seen.label_ids
    assert b.list_labels() == provider.list_labels()
    assert last_known_labels(RedisCache(redis_client, prefix=redis_prefix), "acc-r") is not None
    assert not any(b"token" in key for key in redis_client.scan_iter(match=f"{redis_prefix}*"))


@pytest.mark.property(89)
def test_redis_down_means_misses_not_errors() -> None:
    import redis

    clock = InMemoryClock(datetime(2026, 2, 1, tzinfo=UTC))
    provider = InMemoryMailbox(OWNER, clock=clock.now)
    raw = incoming_raw(
        sender=EmailAddress(address="a@example.com"), subject="Hi", text="x", date=clock.now() - timedelta(1)
    )
    message_id = provider.deliver(raw, [INBOX, UNREAD])
    dead = RedisCache(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    box = CachingMailbox(provider, dead, clock, account_id="acc-x")
    assert box.get_message(message_id) == provider.get_message(message_id)
    box.mark_read([message_id])
    assert UNREAD not in box.get_message(message_id).label_ids
    assert box.list_labels() == provider.list_labels()


@pytest.mark.property(89)
def test_a_change_made_while_redis_is_down_is_seen_by_both_replicas_once_it_is_back(tmp_path: Path) -> None:
    """Redis down (stopped, then started again with its snapshot, as a Redis with persistence comes back) while
    replica a makes a change: a could not start a new generation then. Once Redis is back, a's next cached read
    starts it, so neither replica serves the copy cached before the change (before the fix both did, until the TTL
    ran out)."""
    import redis

    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        clock = InMemoryClock(datetime(2026, 2, 1, tzinfo=UTC))
        provider = InMemoryMailbox(OWNER, clock=clock.now)
        raw = incoming_raw(
            sender=EmailAddress(address="a@example.com"), subject="Hi", text="x", date=clock.now() - timedelta(1)
        )
        message_id = provider.deliver(raw, [INBOX, UNREAD])

        def replica(missed: MissedInvalidations) -> CachingMailbox:
            client = redis.Redis.from_url(server.url, socket_timeout=0.5, socket_connect_timeout=0.5)
            return CachingMailbox(provider, RedisCache(client), clock, account_id="acc-h", missed=missed)

        a, b = replica(MissedInvalidations()), replica(MissedInvalidations())
        assert UNREAD in a.get_message(message_id).label_ids  # cached in Redis
        assert UNREAD in b.get_message(message_id).label_ids  # b is served a's copy
        redis.Redis.from_url(server.url).save()  # the snapshot it comes back with
        server.stop()
        a.mark_read([message_id])  # succeeds at the provider; the invalidation cannot reach Redis
        assert a.missed.pending() == ["acc-h"]
        assert UNREAD not in a.get_message(message_id).label_ids  # from the provider while Redis is down
        server.start()  # same port and directory: the keys cached before the change are back
        assert b.cache.get(generation_key("acc-h")) is not None
        assert UNREAD not in a.get_message(message_id).label_ids
        assert a.missed.pending() == []
        assert UNREAD not in b.get_message(message_id).label_ids  # the other replica too, long before the TTL
        assert a.get_message(message_id) == b.get_message(message_id) == provider.get_message(message_id)
    finally:
        server.stop()
