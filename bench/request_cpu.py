"""Benchmark: CPU per request of GET /api/v1/auth/me and the bare route, called on the ASGI apps in this process.

    .venv/bin/python bench/request_cpu.py [--requests 600] [--rounds 6] [--profile jwt [--sort tottime]]

No uvicorn, no sockets, no load generator: each request is one call of the ASGI app with a minimal HTTP scope, and
the figure is this process's CPU time per request. That leaves out the server's own share (~125 µs per request on
this machine, the same for every route) but stays steady when the machine is busy, which bench/auth_me.py's
req/s are not. The same apps as bench/auth_me.py (bench/app_with_baseline.py): (a) a plain FastAPI app, (d) the
same route first in our app, behind our middleware, (b)/(c) /auth/me with a JWT and an API key of a user made
through the use cases. Rounds are interleaved; it prints each scenario's median cost per round relative to the
plain app of the same round (a load change hits both), and, with --profile, cProfile of one scenario's hot path.
Not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def cpu_per_request(app: Any, path: str, headers: list[tuple[bytes, bytes]], n: int) -> float:
    for _ in range(100):
        await call(app, path, headers)
    started = time.process_time()
    for _ in range(n):
        await call(app, path, headers)
    return (time.process_time() - started) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=600, help="requests per scenario per round")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds")
    parser.add_argument("--profile", choices=["plain", "bare", "jwt", "api_key"], help="cProfile one scenario")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"], help="the profile's order")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="mailagent-bench-")
    os.environ.update(
        MAILAGENT_DATA_DIR=f"{tmp}/var",
        MAILAGENT_LOG_LEVEL="WARNING",
        MAILAGENT_ARGON2_TIME_COST="1",
        MAILAGENT_ARGON2_MEMORY_KIB="1024",
        MAILAGENT_ARGON2_PARALLELISM="1",
        MAILAGENT_RATE_LIMIT_PER_MINUTE="1000000000",
        MAILAGENT_ANONYMOUS_RATE_LIMIT_PER_MINUTE="1000000000",
    )
    Path(f"{tmp}/var").mkdir()
    import app_with_baseline as apps
    from benchlib import machine

    from adapters.sqlalchemy.migrate import upgrade
    from application.use_cases.create_api_key import CreateApiKeyInput
    from application.use_cases.create_user import CreateUserInput
    from application.use_cases.login import LoginInput
    from domain.identity import USER_SCOPES, Principal
    from entrypoints.settings import Settings

    upgrade(Settings().resolved_database_url)
    app, plain = apps.create_app_with_baseline(), apps.create_plain_app()
    container = app.state.container
    user = container.create_user().execute(CreateUserInput(email="me@example.com", password="Pass-word 1234!"))
    token = container.login().execute(LoginInput("me@example.com", "Pass-word 1234!")).access_token
    scopes = frozenset(s.value for s in USER_SCOPES)
    key = container.create_api_key().execute(CreateApiKeyInput(Principal(user, USER_SCOPES), "bench", scopes)).secret
    scenarios = {
        "plain": (plain, "/bench/bare", []),
        "bare": (app, "/bench/bare", []),
        "jwt": (app, "/api/v1/auth/me", [(b"authorization", b"Bearer " + token.encode())]),
        "api_key": (app, "/api/v1/auth/me", [(b"x-api-key", key.encode())]),
    }

    async def run() -> None:
        for name, (target, path, headers) in scenarios.items():
            sent = await call(target, path, headers)
            assert sent[0]["status"] == 200, (name, sent)
            assert b"me@example.com" in sent[1]["body"] or name in ("plain", "bare"), (name, sent[1]["body"])
        if args.profile:
            import cProfile
            import pstats

            target, path, headers = scenarios[args.profile]
            profiler = cProfile.Profile()
            profiler.enable()
            await cpu_per_request(target, path, headers, args.requests)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(60)
        found: dict[str, list[float]] = {name: [] for name in scenarios}
        for _ in range(args.rounds):
            for name, (target, path, headers) in scenarios.items():
                found[name].append(await cpu_per_request(target, path, headers, args.requests))
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
        print(f"{'scenario':10} {'min us/req':>10} {'median x plain':>15}   rounds (us/req)")
        for name, values in found.items():
            relative = statistics.median(v / p for v, p in zip(values, found["plain"], strict=True))
            print(f"{name:10} {min(values):10.1f} {relative:15.2f}   {[round(v) for v in values]}")

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
