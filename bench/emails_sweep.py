"""Benchmark: `GET /api/v1/emails?limit=20` on the production profile (PostgreSQL + Redis, 2 replicas), concurrency
4 -> 16 -> 64, and whether requests wait on each other in PostgreSQL.

    .venv/bin/python bench/emails_sweep.py [--concurrency 4 16 64] [--seconds 10] [--label NAME] [--code DIR]
                                           [--set MAILAGENT_NAME=VALUE ...]
                                           [--profile DIR [--profile-at 16] [--py-spy PATH]]

What runs, all on 127.0.0.1 and free ports: a private `redis-server` (never the shared one), a brand-new database
in the local PostgreSQL (dropped afterwards), `mailagent db upgrade`, two `mailagent serve` replicas and one
`mailagent worker` (production runs jobs there, including the audit sealer), all from `.venv/bin/mailagent` with
MAILAGENT_PROFILE=production. A user signs up over HTTP, connects the demo mailbox (MAILAGENT_DEMO_MAILBOX=true) and
gets a token. Every listing is audited (`mail.search`), so each request writes one audit entry.

For each concurrency, bench/loadgen.py (its own process) opens that many keep-alive connections, split evenly over
the two replicas, warms up, then sends requests for `--seconds`; the table gives req/s, p50 and p99 and non-200
answers. Meanwhile a sampler reads `pg_stat_activity` every 50 ms: how many of the database sessions were waiting
on a lock (`wait_event_type = 'Lock'`), and on which statements. It also counts the connections opened to the database
during the run (`pg_stat_database.sessions`): a pool smaller than the request threads opens and closes them all the
time (ADR 0029). After the sweep it reports how long the sealer
took to seal everything the sweep wrote, and verifies the chain.

It also prints the CPU time per request of every process of the set-up during each measured run: both replicas,
the worker, the private Redis, the bench database's PostgreSQL backends (/proc of the pids in pg_stat_activity) and
the load generator, with how many of the machine's CPUs were busy (everyone's work: on a shared machine the
difference is other sessions'). `--profile DIR` py-spies (`--gil`) the replicas and the worker during the measured
run at `--profile-at` and prints where their CPU went (py-spy itself takes CPU: read that run's req/s as lower).

`--label` only names the run in the output (e.g. to compare with the same script run from an older checkout).
Not a timed test: it never fails on a figure. Target (issue 13): throughput grows with concurrency until the CPUs
are busy; p50 <= 60 ms at 16; no request waits on another user's audit entry.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
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
    cpu_seconds,
    free_port,
    load_average,
    machine,
    percentile,
    running,
    wait_healthy,
)
from profile_auth_me import report

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
    """Samples pg_stat_activity of one database: sessions waiting on a lock, and on what; and the CPU time of every
    backend of the database (/proc/<pid>/stat at first and last sight), i.e. PostgreSQL's share of the work."""

    def __init__(self, url: str, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(url, pool_size=1)
        self.interval = interval
        self.stop_event = threading.Event()
        self.samples: list[tuple[int, int]] = []  # (active sessions, sessions waiting on a lock)
        self.statements: Counter[str] = Counter()
        self.backend_cpu: dict[int, tuple[float, float]] = {}  # pid -> (CPU s at first sight, at last sight)
        self.sessions_opened = 0  # connections made to the database while sampling (pg_stat_database.sessions)

    def run(self) -> None:
        from sqlalchemy import text

        sessions = text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        with self.engine.connect() as conn:
            opened_before = int(conn.execute(sessions).scalar_one())
        query = text(
            "SELECT pid, state, wait_event_type, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as conn:
            while not self.stop_event.is_set():
                rows = conn.execute(query).all()
                active = [(kind, q) for _, state, kind, q in rows if state == "active"]
                waiting = [q for kind, q in active if kind == "Lock"]
                self.samples.append((len(active), len(waiting)))
                self.statements.update(waiting)
                for pid, *_ in rows:
                    now = cpu_seconds(pid)
                    first = self.backend_cpu.get(pid, (now, now))[0]
                    self.backend_cpu[pid] = (first, now)
                conn.rollback()
                self.stop_event.wait(self.interval)
            # A backend reports its connection with its stats, at most once a second: wait for the last ones.
            time.sleep(1.2)
            conn.rollback()
            self.sessions_opened = int(conn.execute(sessions).scalar_one()) - opened_before  # ±1: this one
        self.engine.dispose()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)

    def backends_cpu_seconds(self) -> float:
        """CPU the database's backends used while sampled (a backend that came and went between two samples, or
        whose first sample was late, is undercounted)."""
        return sum(last - first for first, last in self.backend_cpu.values())


EXTRA_SETTINGS: dict[str, str] = {}  # --set


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
    env.update(EXTRA_SETTINGS)
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


def loadgen(plan: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "loadgen.py")],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        check=True,
    )
    (result,) = json.loads(done.stdout)
    return result  # type: ignore[no-any-return]


def sweep_point(
    bases: list[str],
    token: str,
    concurrency: int,
    seconds: float,
    watch: dict[str, int],
    sampler: LockSampler,
    on_measure: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Warm up (its own run, so the pools have grown before anything is counted), then measure for `seconds` with
    the sampler running; `watch` names the processes whose CPU time the load generator reads around the
    measurement; `on_measure` starts (and its result's `stop()` ends) a profiler for the measured run."""
    plan: dict[str, Any] = {
        "base_url": bases[0],
        "base_urls": bases,
        "concurrency": concurrency,
        "warmup": 0,
        "requests": 4 * concurrency,
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
    loadgen(plan)
    profiler = on_measure() if on_measure else None
    sampler.start()
    try:
        return loadgen({**plan, "requests": 1_000_000, "watch_pids": watch})  # bounded by time
    finally:
        sampler.stop()
        if profiler is not None:
            profiler.stop()


class PySpy:
    """`py-spy record --gil` on several processes at once (raw collapsed stacks, one file per process)."""

    def __init__(self, exe: str, pids: dict[str, int], out: Path, rate: int = 100) -> None:
        self.files = {name: out / f"{name}.txt" for name in pids}
        self.procs = [
            subprocess.Popen(
                [
                    *(exe, "record", "--pid", str(pid), "--gil", "--nonblocking", "--function", "--rate", str(rate)),
                    *("--format", "raw", "--output", str(self.files[name])),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]
        time.sleep(1.0)  # let py-spy attach before the measured run begins

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def redis_pid(redis_url: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


# py-spy buckets for the request path of GET /emails (first match from the innermost frame outwards)
SWEEP_BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("psycopg (PostgreSQL driver)", ("psycopg/", "psycopg_pool")),
    ("redis-py", ("redis/",)),
    ("sqlite3 (demo mailbox)", ("sqlite3",)),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("repositories / unit of work (ours)", ("adapters/sqlalchemy/",)),
    ("demo mailbox adapter (ours)", ("adapters/demo/", "adapters/sqlite_mailbox/")),
    ("JWT decode (PyJWT, hmac)", ("jwt/", "hmac.py")),
    ("json", ("json/",)),
    ("pydantic validation / serialisation", ("pydantic/", "pydantic_core/", "fastapi/_compat")),
    ("dependency-injector providers", ("dependency_injector",)),
    ("logging / structlog", ("structlog/", "logging/")),
    ("RQ", ("rq/",)),
    ("thread pool hand-off (anyio, threading)", ("anyio/to_thread", "anyio/_backends", "threading.py", "queue.py")),
    ("FastAPI dependency solving / routing", ("fastapi/dependencies", "fastapi/routing", "starlette/routing")),
    ("our middleware", ("entrypoints/http/middleware",)),
    ("uvicorn / httptools / asyncio", ("uvicorn/", "httptools", "asyncio/", "uvloop")),
    ("application / domain (ours)", ("application/", "domain/")),
]


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
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the replicas and the worker during the measured run at --profile-at; raw stacks kept in DIR",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MAILAGENT_NAME=VALUE",
        help="a setting for the replicas and the worker, e.g. MAILAGENT_REQUEST_THREADS=40 (repeatable)",
    )
    parser.add_argument("--profile-at", type=int, default=16, help="the concurrency to profile (default 16)")
    parser.add_argument("--py-spy", dest="py_spy", help="path to py-spy (default: on PATH or beside the venv)")
    args = parser.parse_args(argv)
    py_spy = None
    if args.profile:
        from profile_auth_me import find_py_spy

        py_spy = find_py_spy(args.py_spy)
        if not py_spy:
            print("py-spy not found: see bench/profile_auth_me.py for how to install it outside the venv")
            return 2
        args.profile.mkdir(parents=True, exist_ok=True)
    CHECKOUT["code"] = args.code.resolve()
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("MAILAGENT_"):
            parser.error(f"--set {item!r}: expected MAILAGENT_NAME=VALUE")
        EXTRA_SETTINGS[name] = value

    print("== GET /api/v1/emails?limit=20, production profile: PostgreSQL + Redis, 2 replicas + 1 worker ==")
    print(f"machine: {machine()}{'; run: ' + args.label if args.label else ''}")
    print(f"code: {CHECKOUT['code']}; load average at start: {load_average()}")
    if EXTRA_SETTINGS:
        print(f"settings: {' '.join(f'{k}={v}' for k, v in EXTRA_SETTINGS.items())}")
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
                worker = stack.enter_context(running([*mailagent(), "worker"], env, work, work / "worker.log"))
                bases = [f"http://127.0.0.1:{p}" for p in ports]
                for base, proc in zip(bases, procs, strict=True):
                    wait_healthy(base, proc, timeout=120)
                token = sign_up(bases[0], work / "var")
                watch = {"replica 1": procs[0].pid, "replica 2": procs[1].pid, "worker": worker.pid}
                watch["redis"] = redis_pid(redis_url)
                for concurrency in args.concurrency:
                    sampler = LockSampler(database_url)
                    spy = None
                    if py_spy and concurrency == args.profile_at:
                        spy = functools.partial(
                            PySpy, py_spy, {k: v for k, v in watch.items() if k != "redis"}, args.profile
                        )
                    result = sweep_point(bases, token, concurrency, args.seconds, watch, sampler, spy)
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
    print(
        "| concurrency | req/s | p50 ms | p99 ms | non-200 | sessions waiting on a lock (mean / max) "
        "| database connections opened |"
    )
    print("|---|---|---|---|---|---|---|")
    for concurrency, result, sampler in rows:
        lat = sorted(result["latencies_s"])
        non_200 = sum(v for k, v in result["statuses"].items() if k != "200") + sum(result["errors"].values())
        waits = [w for _, w in sampler.samples] or [0]
        p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
        print(
            f"| {concurrency} | {result['rps']:.0f} | {p50:.1f} | {p99:.1f} | {non_200} "
            f"| {statistics.mean(waits):.2f} / {max(waits)} | {sampler.sessions_opened} |"
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
    print()
    print("CPU per request, ms (every process of the set-up; PostgreSQL = the bench database's backends):")
    names = [*rows[0][1]["watched_cpu_s"], "PostgreSQL", "load generator"] if rows else []
    print(f"| concurrency | {' | '.join(names)} | all | CPUs busy (machine) |")
    print(f"|---|{'---|' * (len(names) + 2)}")
    for concurrency, result, sampler in rows:
        n = max(1, result["requests"])
        parts = [*result["watched_cpu_s"].values(), sampler.backends_cpu_seconds(), result["client_cpu_s"]]
        cells = " | ".join(f"{1000 * v / n:.2f}" for v in parts)
        print(f"| {concurrency} | {cells} | {1000 * sum(parts) / n:.2f} | {result['machine_cpus_busy']:.2f} |")
    if args.profile:
        at = [r for c, r, _ in rows if c == args.profile_at]
        for name in ("replica 1", "replica 2", "worker"):
            raw = args.profile / f"{name}.txt"
            print(f"\n== py-spy --gil, {name}, c={args.profile_at} ({raw}) ==")
            if at and raw.exists():
                per_request = 1e6 * at[0]["watched_cpu_s"][name] / max(1, at[0]["requests"])
                report(raw, per_request, 25, SWEEP_BUCKETS)
            else:
                print("  no profile")
    at16 = [r for c, r, _ in rows if c == 16]
    if at16:
        p50 = percentile(sorted(at16[0]["latencies_s"]), 50) * 1000
        print(f"p50 at 16: {p50:.1f} ms: {'meets' if p50 <= TARGET_P50_AT_16_MS else 'MISSES'} the <= 60 ms target")
    print(f"load average at end: {load_average()}; CPUs busy during the run: {cpus_busy:.2f} of {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
