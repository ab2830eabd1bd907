"""The PostgreSQL pool never hands out a connection the server killed, and pings only when it cannot tell locally
(ADR 0025: what `pool_pre_ping` guaranteed, without a round trip on every checkout)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from adapters.sqlalchemy.engine import make_engine

pytestmark = pytest.mark.integration


class CountedPings:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        real = engine.dialect.do_ping

        def counted(dbapi_connection: Any) -> bool:
            self.count += 1
            return real(dbapi_connection)

        engine.dialect.do_ping = counted  # type: ignore[method-assign]


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def admin(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url, pool_size=1)
    yield engine
    engine.dispose()


def terminate(admin: Engine, pids: list[int]) -> None:
    """Terminate the backends and wait until they are gone (the signal is asynchronous: until a backend has exited,
    its connection is alive, for a ping as for anything else)."""
    with admin.connect() as conn:
        for pid in pids:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        conn.commit()
        deadline = time.monotonic() + 30
        alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)")
        while conn.execute(alive, {"pids": pids}).scalar_one():
            conn.rollback()
            assert time.monotonic() < deadline, "the terminated backends did not exit within 30 s"
            time.sleep(0.01)


def test_a_connection_in_use_is_handed_out_again_without_a_round_trip(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=2, ping_after_idle_seconds=3600)
    pings = CountedPings(engine)
    try:
        first = backend_pid(engine)
        assert [backend_pid(engine) for _ in range(20)] == [first] * 20
        assert pings.count == 0
    finally:
        engine.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_first(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=2, ping_after_idle_seconds=0)
    pings = CountedPings(engine)
    try:
        first = backend_pid(engine)  # a new connection: not pinged
        assert pings.count == 0
        assert backend_pid(engine) == first
        assert pings.count == 1
    finally:
        engine.dispose()


def test_connections_whose_backends_were_terminated_are_replaced_before_use(postgres_url: str, admin: Engine) -> None:
    engine = make_engine(postgres_url, pool_size=2, ping_after_idle_seconds=3600)
    pings = CountedPings(engine)
    try:
        with engine.connect() as one, engine.connect() as two:  # two pooled connections
            pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (one, two)]
        terminate(admin, pids)
        # Whichever pooled connection comes first is found dead (its socket holds the FATAL notice or is closed);
        # the pool is invalidated like pre-ping did, so neither old connection is ever used again.
        seen = set()
        for _ in range(6):
            with engine.connect() as conn:
                seen.add(int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one()))
        assert seen.isdisjoint(pids)
        assert pings.count <= 1  # only the connection whose socket said something was asked
    finally:
        engine.dispose()
