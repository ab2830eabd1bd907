"""A `serve` process runs at most MAILAGENT_REQUEST_THREADS requests' blocking work at once, and its PostgreSQL pool
keeps a connection for each of them, so busy request threads reuse connections instead of opening and closing their
own (ADR 0029: 862 connections opened in 10 s at 64 concurrent requests before)."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import pytest
from anyio import to_thread
from sqlalchemy import Engine, text

from entrypoints.containers.builders import database_engine
from tests.support.app import make_app, make_settings

pytestmark = pytest.mark.integration

ROUNDS = 25


def backends_used(engine: Engine, threads: int) -> set[int]:
    """Every thread checks out a connection ROUNDS times, all threads at once each round; the backend pids seen."""
    seen: set[int] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work() -> None:
        for _ in range(ROUNDS):
            barrier.wait(timeout=60)
            with engine.connect() as conn:
                pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
                barrier.wait(timeout=60)  # everyone holds a connection at the same moment
            with lock:
                seen.add(pid)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return seen


def test_the_pool_keeps_a_connection_per_request_thread(postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url, request_threads=6)
    assert settings.resolved_db_pool_size == 6
    engine = database_engine(settings)
    try:
        assert len(backends_used(engine, 6)) == 6  # six connections, opened once and reused every round
    finally:
        engine.dispose()


def test_a_pool_smaller_than_the_threads_opens_connections_again_and_again(postgres_url: str, tmp_path: Path) -> None:
    """What the default prevents, shown on purpose: 6 threads on a pool of 2 (+ overflow) close the extra connections
    on return and open new ones next round."""
    settings = make_settings(tmp_path, database_url=postgres_url, request_threads=6, db_pool_size=2)
    engine = database_engine(settings)
    try:
        assert len(backends_used(engine, 6)) > 6 + ROUNDS
    finally:
        engine.dispose()


def test_serve_runs_at_most_request_threads_at_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, request_threads=3)
    app, _ = make_app(settings)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:  # the lifespan has run

        async def limit() -> float:
            return to_thread.current_default_thread_limiter().total_tokens

        assert client.portal is not None
        assert client.portal.call(limit) == 3

        async def most_at_once() -> int:
            running = peak = 0
            changed = threading.Condition()

            def blocking() -> None:
                nonlocal running, peak
                with changed:
                    running += 1
                    peak = max(peak, running)
                    changed.notify_all()
                    changed.wait_for(lambda: peak >= 3, timeout=60)  # three were in at once
                with changed:
                    running -= 1

            async with anyio.create_task_group() as tg:
                for _ in range(9):  # three rounds of three
                    tg.start_soon(to_thread.run_sync, blocking)
            return peak

        assert client.portal.call(most_at_once) == 3
