"""Benchmark: WebSocket fan-out. N clients connected to one instance, one event raised: delivery latency p50/p99.

    .venv/bin/python bench/ws_fanout.py [--clients 100 1000] [--rounds 5]

A real installation on the embedded default (fresh data dir in a temp dir; the app served by uvicorn on
127.0.0.1 in this process, in a thread). One user signs up; a separate client process (so the clients do not share
this interpreter's GIL with the server) opens N WebSocket connections to /api/v1/ws as that user (N tabs), waits
until all are `ready`, and then reports the wall-clock time each connection received each event. This process
raises one event per round the way a sync does (stored in a transaction, then relayed to the in-process event bus),
and the latency of a connection is its receive time minus the time just before the event was stored. Both processes
read the same clock (time.time on one machine). Prints p50/p99/max per N over all rounds, and how many deliveries
were missing or duplicated (must be 0). Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repo: tests.support builds the app
from benchlib import machine, percentile


def client_main(url: str, token: str, clients: int, rounds: int) -> None:
    """The client process: N sockets; prints READY, then one JSON line with every (round, socket, time)."""
    from websockets.asyncio.client import connect

    received: list[tuple[int, int, float]] = []

    async def one(index: int, ready: asyncio.Event, all_ready: list[int]) -> None:
        async with connect(url, subprotocols=["mailagent.v1", f"bearer.{token}"], max_queue=None) as ws:  # type: ignore[list-item]
            first = json.loads(await ws.recv())
            assert first["type"] == "ready", first
            all_ready.append(index)
            if len(all_ready) == clients:
                ready.set()
            got = 0
            while got < rounds:
                message = json.loads(await ws.recv())
                if message["type"] == "email.received":
                    received.append((int(message["data"]["round"]), index, time.time()))
                    got += 1

    async def run() -> None:
        ready, all_ready = asyncio.Event(), []
        tasks = []
        for index in range(clients):
            tasks.append(asyncio.create_task(one(index, ready, all_ready)))
            if index % 50 == 49:
                await asyncio.sleep(0.05)  # do not stampede the accept queue
        await ready.wait()
        print("READY", flush=True)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)

    asyncio.run(run())
    print(json.dumps(received), flush=True)


def measure(clients: int, rounds: int) -> dict[str, float]:
    from domain.events import DomainEvent, EventType
    from domain.identity import new_id
    from tests.support.app import Api, make_app, make_settings
    from tests.support.servers import running

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(
            Path(tmp),
            rate_limit_per_minute=10**9,
            anonymous_rate_limit_per_minute=10**9,
            ws_heartbeat_seconds=300,
            log_level="WARNING",
        )
        app, container = make_app(settings)
        user = Api(app, settings).signup("bench@example.com")
        with running(app) as base:
            url = base.replace("http://", "ws://") + "/api/v1/ws"
            proc = subprocess.Popen(
                [sys.executable, __file__, "--client", url, user.access_token, str(clients), str(rounds)],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "READY":
                raise RuntimeError(f"the client process failed: {line!r}")
            raised: dict[int, float] = {}
            for round_no in range(rounds):
                time.sleep(0.3)  # let the previous round drain
                raised[round_no] = time.time()
                with container.uow() as uow:
                    uow.events.append(
                        DomainEvent(
                            id=new_id(),
                            user_id=user.user_id,
                            type=EventType.EMAIL_RECEIVED,
                            occurred_at=datetime.now(UTC),
                            data={"round": round_no},
                        )
                    )
                    uow.commit()
                container.outbox_relay().flush()
            out, _ = proc.communicate(timeout=180)
    deliveries = json.loads(out.strip().splitlines()[-1])
    latencies = sorted((at - raised[r]) * 1000 for r, _, at in deliveries)
    seen = {(r, i) for r, i, _ in deliveries}
    return {
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": latencies[-1],
        "missing": clients * rounds - len(seen),
        "duplicates": len(deliveries) - len(seen),
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from entrypoints.logging_setup import configure_logging

    configure_logging(json_logs=False, level="WARNING")
    print(f"WebSocket fan-out, embedded default (in-process event bus), {machine()}")
    print(f"{'clients':>8} {'rounds':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'missing':>8} {'dupes':>6}")
    for clients in args.clients:
        r = measure(clients, args.rounds)
        print(
            f"{clients:>8} {args.rounds:>6} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} "
            f"{int(r['missing']):>8} {int(r['duplicates']):>6}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
