"""Benchmark: signed webhook deliveries per second through mailagent (event -> outbox relay -> delivery row and job
-> lease -> Standard Webhooks signature -> POST -> attempt recorded) against a raw `httpx.AsyncClient` POST loop to
the same local receiver, in the same run; plus end-to-end latency from committing an event to the receiver, p50/p99.

    .venv/bin/python bench/webhooks.py [--events 1000] [--concurrency 8] [--latency-events 200]

Embedded default (SQLite in a temporary directory, the in-process job queue with --concurrency worker threads). The
receiver is uvicorn on 127.0.0.1 answering 204 and noting when each webhook-id arrived. Not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import free_port, load_average, machine, percentile

ARRIVALS: dict[str, float] = {}
ARRIVED = threading.Condition()


async def receiver_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    webhook_id = dict(scope["headers"]).get(b"webhook-id")
    if webhook_id:
        with ARRIVED:
            ARRIVALS[webhook_id.decode()] = time.perf_counter()
            ARRIVED.notify_all()
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def start_receiver() -> tuple[str, uvicorn.Server]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(receiver_app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}/hook", server


async def raw_loop(url: str, count: int, concurrency: int) -> float:
    body = b'{"data":{"event_id":"x","message_id":"m"},"timestamp":"2026-12-07T12:00:00Z","type":"email.received"}'
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            r = await client.post(url, content=body, headers={"content-type": "application/json", "x-n": str(i)})
            assert r.status_code == 204

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


def wait_for(ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with ARRIVED:
        while not all(i in ARRIVALS for i in ids):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = sum(1 for i in ids if i not in ARRIVALS)
                raise SystemExit(f"{missing} deliveries did not arrive within {timeout:.0f} s")
            ARRIVED.wait(min(left, 1.0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-events", type=int, default=200)
    args = parser.parse_args()

    from adapters.sqlalchemy.migrate import upgrade
    from application.use_cases.notifications.manage_webhooks import CreateWebhookInput
    from domain.events import DomainEvent, EventType
    from domain.identity import Principal, Role, User, UserStatus, new_id, scopes_for_role
    from entrypoints.container import build_container
    from entrypoints.settings import Settings

    url, server = start_receiver()
    tmp = Path(tempfile.mkdtemp(prefix="mailagent-bench-webhooks-"))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        profile="local",
        data_dir=tmp,
        jwt_secret="bench-" + "x" * 40,
        job_workers=args.concurrency,
        log_level="WARNING",
    )
    upgrade(settings.resolved_database_url)
    container = build_container(settings)
    user = User(new_id(), "bench@example.com", Role.USER, UserStatus.ACTIVE, datetime.now(UTC), password_hash="x")
    with container.uow() as uow:
        uow.users.add(user)
        uow.commit()
    principal = Principal(user=user, scopes=scopes_for_role(user.role))
    container.create_webhook().execute(CreateWebhookInput(principal, url, ("*",), "bench"))
    relay, queue = container.outbox_relay(), container.job_queue()

    def emit(ids: list[str]) -> None:
        with container.uow() as uow:
            for eid in ids:
                uow.events.append(
                    DomainEvent(eid, user.id, EventType.EMAIL_RECEIVED, datetime.now(UTC), {"message_id": eid})
                )
            uow.commit()

    # Warm-up: connections, imports, the first SQLite pages.
    queue.start()
    warm = [new_id() for _ in range(20)]
    emit(warm)
    relay.flush()
    wait_for(warm, 120)

    raw_rate = asyncio.run(raw_loop(url, args.events, args.concurrency))

    # Throughput: the events are committed first, then the clock runs from the relay's flush (fan-out + jobs) until
    # the receiver has every one of them.
    ids = [new_id() for _ in range(args.events)]
    emit(ids)
    started = time.perf_counter()
    relay.flush()
    wait_for(ids, 600)
    ours = args.events / (time.perf_counter() - started)

    # Latency: one event at a time, committed and relayed the way a use case does it, 20 a second.
    latencies: list[float] = []
    for _ in range(args.latency_events):
        eid = new_id()
        t0 = time.perf_counter()
        emit([eid])
        relay.flush()
        wait_for([eid], 60)
        latencies.append((ARRIVALS[eid] - t0) * 1000)
        time.sleep(0.05)
    queue.stop()
    server.should_exit = True
    latencies.sort()

    print(f"machine: {machine()}; load average {load_average()}")
    print(f"raw httpx.AsyncClient POST loop ({args.concurrency} concurrent): {raw_rate:8.1f} requests/s")
    print(
        f"signed deliveries through mailagent ({args.concurrency} job workers, SQLite): {ours:8.1f} deliveries/s"
        f"  -> {ours / raw_rate:.2f}x (target >= 0.5x)"
    )
    print(
        f"event -> receiver latency over {len(latencies)} events: p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms, mean {statistics.fmean(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()
