"""A bounded HTTP/1.1 load generator, run as its own process (so it never shares a GIL with the server).

    python bench/loadgen.py < plan.json > results.json

The plan names the server, the scenarios (path + headers), the concurrency, how many warm-up and measured requests
each scenario gets per round, a time cap per measurement, and how many interleaved rounds (a, b, c, a, b, c, ...).
Each of `concurrency` workers holds one keep-alive connection and sends its share of requests one after another.

Two clients: `raw` (default) writes the request bytes and parses the response head itself on asyncio (uvloop when
installed) — cheap enough that one core of client drives a one-process uvicorn to saturation; `httpx` uses
httpx.AsyncClient — realistic, but on a small machine the client itself becomes the limit for the fast baseline.
For every measurement it reports the server's CPU seconds (from /proc/<server_pid>/stat) and the client's own CPU
use, so a client-bound run is visible; with `watch_pids` ({name: pid}) also each of those processes' CPU seconds,
and how many of the machine's CPUs were busy (everyone's work) during the measurement.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import cpu_seconds, machine_cpu_seconds


class Measurement:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()


async def _raw_worker(host: str, port: int, request: bytes, n: int, deadline: float, m: Measurement) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(n):
            if time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at < 0:
                raise RuntimeError("response without content-length")
            end = lower.index(b"\r\n", at + 2)
            await reader.readexactly(int(lower[at + 17 : end]))
            m.latencies.append(time.perf_counter() - started)
            m.statuses[int(head[9:12])] += 1
    except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
        m.errors[type(exc).__name__] += 1
    finally:
        writer.close()


async def _httpx_worker(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int, deadline: float, m: Measurement
) -> None:
    for _ in range(n):
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        try:
            response = await client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            m.errors[type(exc).__name__] += 1
            continue
        m.latencies.append(time.perf_counter() - started)
        m.statuses[response.status_code] += 1


async def _phase(plan: dict[str, Any], scenario: dict[str, Any], total: int, client: Any) -> Measurement:
    """Send `total` requests over `concurrency` connections (bounded also by max_seconds)."""
    m = Measurement()
    concurrency = int(plan["concurrency"])
    per_worker = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]
    deadline = time.perf_counter() + float(plan["max_seconds"])
    if plan.get("client", "raw") == "httpx":
        path = (scenario.get("base_url") or "") + scenario["path"]  # absolute when the scenario names its server
        jobs = [_httpx_worker(client, path, scenario["headers"], n, deadline, m) for n in per_worker]
    else:
        # `base_urls` (several replicas): worker i talks to base_urls[i % len], as a round-robin balancer would.
        # A scenario may name its own server (`base_url`), e.g. a plain baseline app next to the real one.
        targets = []
        for base in plan.get("base_urls") or [scenario.get("base_url") or plan["base_url"]]:
            url = urlsplit(base)
            lines = [f"GET {scenario['path']} HTTP/1.1", f"Host: {url.netloc}", "User-Agent: mailagent-bench"]
            lines += [f"{k}: {v}" for k, v in scenario["headers"].items()]
            targets.append(
                (url.hostname or "127.0.0.1", int(url.port or 80), ("\r\n".join(lines) + "\r\n\r\n").encode())
            )
        jobs = [_raw_worker(*targets[i % len(targets)], n, deadline, m) for i, n in enumerate(per_worker)]
    await asyncio.gather(*jobs)
    return m


async def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    default_pid = int(plan.get("server_pid", 0))
    results: list[dict[str, Any]] = []
    client: httpx.AsyncClient | None = None
    if plan.get("client", "raw") == "httpx":
        limits = httpx.Limits(max_connections=int(plan["concurrency"]), max_keepalive_connections=None)
        client = httpx.AsyncClient(base_url=plan["base_url"], limits=limits, timeout=30.0)
    try:
        for round_no in range(int(plan["rounds"])):
            for scenario in plan["scenarios"]:
                server_pid = int(scenario.get("server_pid") or default_pid)
                if plan["warmup"]:
                    await _phase(plan, scenario, int(plan["warmup"]), client)
                watched = {name: int(pid) for name, pid in (plan.get("watch_pids") or {}).items()}
                watched0 = {name: cpu_seconds(pid) for name, pid in watched.items()}
                busy0, total0 = machine_cpu_seconds()
                cpu0, wall0, own0 = cpu_seconds(server_pid), time.perf_counter(), time.process_time()
                m = await _phase(plan, scenario, int(plan["requests"]), client)
                elapsed = time.perf_counter() - wall0
                server_cpu = cpu_seconds(server_pid) - cpu0
                own_cpu = time.process_time() - own0
                busy1, total1 = machine_cpu_seconds()
                watched_cpu = {name: cpu_seconds(pid) - watched0[name] for name, pid in watched.items()}
                cpus = os.cpu_count() or 1
                done = len(m.latencies)
                results.append(
                    {
                        "name": scenario["name"],
                        "round": round_no,
                        "requests": done,
                        "elapsed_s": elapsed,
                        "rps": done / elapsed if elapsed else math.nan,
                        "statuses": {str(k): v for k, v in m.statuses.items()},
                        "errors": dict(m.errors),
                        "server_cpu_s": server_cpu,
                        "client_cpu_s": own_cpu,
                        "watched_cpu_s": watched_cpu,
                        "machine_cpus_busy": (busy1 - busy0) / ((total1 - total0) / cpus) if total1 > total0 else 0.0,
                        "latencies_s": m.latencies,
                    }
                )
    finally:
        if client is not None:
            await client.aclose()
    return results


def main() -> None:
    plan = json.load(sys.stdin)
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    json.dump(runner(run(plan)), sys.stdout)


if __name__ == "__main__":
    main()
