"""Benchmark: `GET /api/v1/emails?limit=20` on the production profile (PostgreSQL + Redis, 2 replicas), concurrency
4 -> 16 -> 64, and whether requests wait on each other in PostgreSQL.

    .venv/bin/python bench/emails_sweep.py [--concurrency 4 16 64] [--seconds 10] [--label NAME]

What runs, all on 127.0.0.1 and free ports: a private `redis-server` (never the shared one), a brand-new database
in the local PostgreSQL (dropped afterwards), `mailagent db upgrade`, two `mailagent serve` replicas and one
`mailagent worker` (production runs jobs there, including the audit sealer), all from `.venv/bin/mailagent` with
MAILAGENT_PROFILE=production. A user signs up over HTTP, connects the demo mailbox (MAILAGENT_DEMO_MAILBOX=true) and
gets a token. Every listing is audited (`mail.search`), so each request writes one audit entry.

For each concurrency, bench/loadgen.py (its own process) opens that many keep-alive connections, split evenly over
the two replicas, warms up, then sends requests for `--seconds`; the table gives req/s, p50 and p99 and non-200
answers. Meanwhile a sampler reads `pg_stat_activity` every 50 ms: how many of the database sessions were waiting
on a lock (`wait_event_type = 'Lock'`), and on which statements. After the sweep it reports how long the sealer
took to seal everything the sweep wrote, and verifies the chain.

`--label` only names the run in the output (e.g. to compare with the same script run from an older checkout).
Not a timed test: it never fails on a figure. Target (issue 13): throughput grows with concurrency until the CPUs
are busy; p50 <= 60 ms at 16; no request waits on another user's audit entry.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auth_me import EMAIL, PASSWORD, verification_token
from benchlib import (
    BENCH_DIR,
    FAST_ARGON2,
    NO_LIMITS,
    VENV_BIN,
    MachineBusy,
    free_port,
    load_average,
    machine,
    percentile,
    running,
    wait_healthy,
)

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_P50_AT_16_MS = 60.0


CHECKOUT = {"code": BENCH_DIR.parent}  # which checkout's code the servers run (--code)


def mailagent() -> list[str]:
    """`mailagent` from the checkout under test: PYTHONPATH (see production_env) puts it before the installed one."""
    return [str(VENV_BIN / "python"), "-m", "entrypoints.cli.main"]


@contextlib.contextmanager
def private_redis(work: Path) -> Iterator[str]:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    cmd = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)]
    with running(cmd, dict(os.environ), work, work / "redis.log"):
        deadline = time.monotonic() + 30
        while True:
            try:
                import redis

                redis.Redis(port=port, socket_connect_timeout=1).ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"mailagent_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class LockSampler(threading.Thread):
    """Samples pg_stat_activity of one database: sessions waiting on a lock, and on what."""

    def __init__(self, url: str, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(url, pool_size=1)
        self.interval = interval
        self.stop_event = threading.Event()
        self.samples: list[tuple[int, int]] = []  # (active sessions, sessions waiting on a lock)
        self.statements: Counter[str] = Counter()

    def run(self) -> None:
        from sqlalchemy import text

        query = text(
            "SELECT wait_event_type, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
        )
        with self.engine.connect() as conn:
            while not self.stop_event.is_set():
                rows = conn.execute(query).all()
                waiting = [q for kind, q in rows if kind == "Lock"]
                self.samples.append((len(rows), len(waiting)))
                self.statements.update(waiting)
                conn.rollback()
                self.stop_event.wait(self.interval)
        self.engine.dispose()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)


def production_env(work: Path, database_url: str, redis_url: str, port: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
    env.update(
        {
            "MAILAGENT_PROFILE": "production",
            "MAILAGENT_DATABASE_URL": database_url,
            "MAILAGENT_REDIS_URL": redis_url,
            "MAILAGENT_JWT_SECRET": "bench-secret-" + "x" * 40,
            "MAILAGENT_DATA_DIR": str(work / "var"),
            "MAILAGENT_DEMO_MAILBOX": "true",
            "MAILAGENT_MAILER": "outbox",  # verification links land in <data dir>/outbox, where sign_up reads them
            "MAILAGENT_DEMO_MAILBOX_SIZE": "300",
            "MAILAGENT_HOST": "127.0.0.1",
            "MAILAGENT_PORT": str(port),
            "MAILAGENT_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "MAILAGENT_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(CHECKOUT["code"]),
            **FAST_ARGON2,
            **NO_LIMITS,
        }
    )
    return env


def sign_up(base: str, data_dir: Path) -> str:
    with httpx.Client(base_url=base, timeout=60.0) as client:

        def call(method: str, path: str, expected: tuple[int, ...], **kwargs: Any) -> dict[str, Any]:
            r = client.request(method, path, **kwargs)
            if r.status_code not in expected:
                raise RuntimeError(f"{method} {path}: {r.status_code} {r.text}")
            return r.json()["data"]  # type: ignore[no-any-return]

        call("POST", "/api/v1/auth/register", (201,), json={"email": EMAIL, "password": PASSWORD})
        token = verification_token(data_dir / "outbox", EMAIL)
        call("POST", "/api/v1/auth/verify-email", (200,), json={"token": token})
        access = call("POST", "/api/v1/auth/login", (200,), json={"email": EMAIL, "password": PASSWORD})["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        call("POST", "/api/v1/mail/accounts/demo", (200, 201), headers=headers)
        page = call("GET", "/api/v1/emails", (200,), params={"limit": 20}, headers=headers)
        if len(page) != 20:
            raise RuntimeError(f"expected a page of 20 messages, got {len(page)}")
        return str(access)


def sweep_point(bases: list[str], token: str, concurrency: int, seconds: float) -> dict[str, Any]:
    plan = {
        "base_url": bases[0],
        "base_urls": bases,
        "concurrency": concurrency,
        "warmup": 4 * concurrency,
        "requests": 1_000_000,  # bounded by time
        "max_seconds": seconds,
        "rounds": 1,
        "scenarios": [
            {
                "name": f"c{concurrency}",
                "path": "/api/v1/emails?limit=20",
                "headers": {"Authorization": f"Bearer {token}"},
            }
        ],
    }
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "loadgen.py")],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        check=True,
    )
    (result,) = json.loads(done.stdout)
    return result  # type: ignore[no-any-return]


def audit_state(database_url: str) -> tuple[int | None, int]:
    """(unsealed entries or None if this schema has no sealer, entries in total)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            total = int(conn.execute(text("SELECT count(*) FROM audit_logs")).scalar() or 0)
            nullable = conn.execute(
                text(
                    "SELECT is_nullable FROM information_schema.columns "
                    "WHERE table_name = 'audit_logs' AND column_name = 'seq'"
                )
            ).scalar()
            if nullable != "YES":
                return None, total
            return int(conn.execute(text("SELECT count(*) FROM audit_logs WHERE seq IS NULL")).scalar() or 0), total
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16, 64])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per concurrency")
    parser.add_argument("--label", default="", help="a name for this run in the output")
    parser.add_argument("--code", type=Path, default=BENCH_DIR.parent, help="the checkout whose code the servers run")
    args = parser.parse_args(argv)
    CHECKOUT["code"] = args.code.resolve()

    print("== GET /api/v1/emails?limit=20, production profile: PostgreSQL + Redis, 2 replicas + 1 worker ==")
    print(f"machine: {machine()}{'; run: ' + args.label if args.label else ''}")
    print(f"code: {CHECKOUT['code']}; load average at start: {load_average()}")
    busy = MachineBusy()
    rows: list[tuple[int, dict[str, Any], LockSampler]] = []
    with tempfile.TemporaryDirectory(prefix="mailagent-sweep-") as tmp, fresh_database() as database_url:
        work = Path(tmp)
        (work / "var").mkdir()
        with private_redis(work) as redis_url:
            env = production_env(work, database_url, redis_url)
            subprocess.run([*mailagent(), "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True)
            ports = [free_port(), free_port()]
            with contextlib.ExitStack() as stack:
                procs = []
                for n, port in enumerate(ports):
                    replica_env = production_env(work, database_url, redis_url, port)
                    procs.append(
                        stack.enter_context(
                            running([*mailagent(), "serve"], replica_env, work, work / f"serve-{n}.log")
                        )
                    )
                stack.enter_context(running([*mailagent(), "worker"], env, work, work / "worker.log"))
                bases = [f"http://127.0.0.1:{p}" for p in ports]
                for base, proc in zip(bases, procs, strict=True):
                    wait_healthy(base, proc, timeout=120)
                token = sign_up(bases[0], work / "var")
                for concurrency in args.concurrency:
                    sampler = LockSampler(database_url)
                    sampler.start()
                    try:
                        result = sweep_point(bases, token, concurrency, args.seconds)
                    finally:
                        sampler.stop()
                    rows.append((concurrency, result, sampler))
                    print(f"  c={concurrency}: {result['rps']:.0f} req/s", flush=True)
                written_by = time.monotonic()
                unsealed, total = audit_state(database_url)
                while unsealed and time.monotonic() - written_by < 120:
                    time.sleep(0.2)
                    unsealed, total = audit_state(database_url)
                caught_up = time.monotonic() - written_by
                verify = subprocess.run(
                    [*mailagent(), "audit", "verify"], env=env, cwd=work, capture_output=True, text=True, check=False
                )
    cpus_busy = busy.cpus_busy()

    print()
    print("| concurrency | req/s | p50 ms | p99 ms | non-200 | sessions waiting on a lock (mean / max) |")
    print("|---|---|---|---|---|---|")
    for concurrency, result, sampler in rows:
        lat = sorted(result["latencies_s"])
        non_200 = sum(v for k, v in result["statuses"].items() if k != "200") + sum(result["errors"].values())
        waits = [w for _, w in sampler.samples] or [0]
        p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
        print(
            f"| {concurrency} | {result['rps']:.0f} | {p50:.1f} | {p99:.1f} | {non_200} "
            f"| {statistics.mean(waits):.2f} / {max(waits)} |"
        )
    for concurrency, _, sampler in rows:
        if sampler.statements:
            top = ", ".join(f"{n}x `{q}`" for q, n in sampler.statements.most_common(3))
            print(f"lock waits at c={concurrency}: {top}")
    if unsealed is None:
        print(f"audit: {total} entries; this code seals at write time (no sealer)")
    else:
        print(
            f"audit: {total} entries; the worker's sealer had sealed all of them {caught_up:.1f} s after the load ended"
            if not unsealed
            else f"audit: {unsealed} of {total} entries still unsealed after 120 s"
        )
    print(f"`mailagent audit verify`: {' '.join(verify.stdout.split())[:160]}{verify.stderr.strip()[:200]}")
    at16 = [r for c, r, _ in rows if c == 16]
    if at16:
        p50 = percentile(sorted(at16[0]["latencies_s"]), 50) * 1000
        print(f"p50 at 16: {p50:.1f} ms: {'meets' if p50 <= TARGET_P50_AT_16_MS else 'MISSES'} the <= 60 ms target")
    print(f"load average at end: {load_average()}; CPUs busy during the run: {cpus_busy:.2f} of {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
