"""Benchmark: GET /api/v1/emails on a 100,000-message demo mailbox, five query shapes, and the server's RSS.

    .venv/bin/python bench/mail_search.py [--messages 100000] [--concurrency 4] [--py-spy PATH] [--keep-mailbox FILE]

A real installation (embedded default profile, fresh data dir in a temp dir, one uvicorn process on 127.0.0.1 as in
bench/auth_me.py): a user signs up over HTTP and connects the demo mailbox through the API
(`POST /api/v1/mail/accounts/demo`, with MAILAGENT_DEMO_MAILBOX_SIZE=0 so the account row exists but is empty). The
benchmark then bulk-loads `--messages` generated messages into that account's key in `<data_dir>/demo-mailbox.db`
with `SqliteMailbox.seed` (the file is shared by every process of an installation, so the running server reads what
was loaded).

The mail comes from `adapters.demo.generator.iter_demo_mailbox` in chunks of `--chunk` messages (default 10,000),
each with its own seed (DEMO_SEED + i) and the same `now`, rendered in `--workers` worker processes while the main
process seeds the chunks in order. Every chunk is exactly what the generator makes for that seed: its ~90 days of
conversations, receipts, newsletters, invoices, travel mail, labels and attachments. Only the Message-IDs of chunks
after the first get a `.c<i>` suffix (in Message-ID, In-Reply-To and References alike), so that two chunks' threads
never merge. (One call for 100k would render and seed one after the other in one process, ~1.1 ms + ~1.1 ms per
message on the benchmark machine; chunks let the workers render while the main process seeds. Per chunk the
generator adds its fixed scenarios again, so 10 chunks hold ~10x the newsletters and invoices of one 100k call.)

Then, with a separate load-generator process (bench/loadgen.py), for each query shape:
  plain page                      limit=50
  from:<a frequent sender>        the most frequent non-owner sender among the generator's cast (asked via the API)
  label:Work is:unread            a user label and the unread flag
  free text                       a word found in some hundreds of messages (chosen via the API's `total`)
  has:attachment newer_than:30d
it measures p50/p99 at `--latency-concurrency` (default 1: one user, no queueing) and req/s at `--concurrency`
(default 4) keep-alive connections, each bounded by request count and time (`--max-seconds` for p50/p99,
`--throughput-seconds` for req/s); and the server's RSS (VmRSS, process + children) after connecting, after
loading and after the queries. The server is always stopped. Not a timed test: it never fails on a figure.

`--py-spy PATH` then samples the server under each shape (one connection, `--profile-seconds` each) and prints where
a request's time goes (install py-spy outside the venv, see bench/profile_auth_me.py). `--keep-mailbox FILE` keeps
a copy of the loaded demo-mailbox.db (about 0.5 GB) to study its queries offline.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import math
import multiprocessing
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auth_me import Served, load, serving
from benchlib import children, cpu_seconds, machine, machine_cpu_seconds, percentile, rss_kib
from profile_auth_me import BUCKETS, find_py_spy, report

Seedable = tuple[bytes, tuple[str, ...], tuple[str, ...], datetime]

USER_LABEL = "Work"
# free-text candidates: the free-text shape wants "a word found in some hundreds of messages"
WORD_CANDIDATES = ("unsubscribe", "lisbon", "invoice", "proposal", "grocer", "birthday")
WORD_TARGET = 300
_MESSAGE_ID = re.compile(rb"<([0-9a-f]{40})@")
# py-spy frames look like `SqliteMailbox.search (adapters/sqlite_mailbox/mailbox.py:287)`; first match wins, tested on
# the innermost frame first. Without --native, time in SQLite's C code shows as the Python frame that called it.
MAIL_BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("SQLite running the mailbox's COUNT + page query", ("SqliteMailbox.search (",)),
    ("mailbox rows -> Message (JSON, datetimes)", ("_row_message", "json/", "_address_from")),
    ("mail query parsing (domain.mail_query)", ("domain/mail_query",)),
    ("SQLAlchemy / sqlite: principal, account, audit row", ("sqlalchemy/", "adapters/sqlalchemy/")),
    *BUCKETS,
]


# ---------------------------------------------------------------- generating (in worker processes)


def _retag(raw: bytes, chunk: int) -> bytes:
    """The generator's Message-IDs are `<sha256[:40]@domain>`, seeded by position and thread key, so two chunks can
    repeat one; suffix them (header block only) so that each chunk's threads stay its own."""
    cut = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    return _MESSAGE_ID.sub(rb"<\1.c%02d@" % chunk, raw[:cut]) + raw[cut:]


def render_chunk(now: datetime, owner: str, chunk: int, size: int) -> tuple[list[Seedable], float]:
    """One chunk of demo mail as SqliteMailbox.seed takes it, and the CPU seconds it took."""
    from adapters.demo.generator import DEMO_SEED, iter_demo_mailbox

    started = time.process_time()
    out = [
        (m.raw if chunk == 0 else _retag(m.raw, chunk), m.system_labels, m.user_labels, m.internal_date)
        for m in iter_demo_mailbox(now, owner, size, seed=DEMO_SEED + chunk)
    ]
    return out, time.process_time() - started


# ---------------------------------------------------------------- the installation


class Api:
    def __init__(self, served: Served) -> None:
        self.client = httpx.Client(
            base_url=served.base_url,
            timeout=60.0,
            headers={"Authorization": f"Bearer {served.access_token}"},
        )

    def call(self, method: str, path: str, expected: int, **kwargs: Any) -> dict[str, Any]:
        response = self.client.request(method, path, **kwargs)
        if response.status_code != expected:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        body: dict[str, Any] = response.json()
        return body

    def search(self, query: str, limit: int = 1) -> tuple[int, int, float]:
        """(total, response bytes, seconds) of one GET /api/v1/emails."""
        started = time.perf_counter()
        response = self.client.get("/api/v1/emails", params={"q": query, "limit": limit} if query else {"limit": limit})
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"search {query!r}: {response.status_code} {response.text[:500]}")
        return int(response.json()["meta"]["total"]), len(response.content), elapsed


def server_rss_mb(pid: int) -> float:
    return sum(rss_kib(p) for p in (pid, *children(pid))) / 1024


def load_mailbox(
    served: Served, account_id: str, address: str, chunks: list[concurrent.futures.Future[Any]]
) -> dict[str, float]:
    """Seed every chunk (in order, as the workers finish them) into the account's key of the shared demo file."""
    from adapters.sqlite_mailbox.mailbox import SqliteMailbox

    path = served.data_dir / "demo-mailbox.db"
    mailbox = SqliteMailbox(path, account_id, address=address)
    waited = seed_s = render_cpu = 0.0
    count = 0
    try:
        for index, future in enumerate(chunks):
            started = time.perf_counter()
            messages, cpu = future.result(timeout=600)
            waited += time.perf_counter() - started
            render_cpu += cpu
            started = time.perf_counter()
            count += mailbox.seed(messages, only_if_empty=False)
            seed_s += time.perf_counter() - started
            print(f"  chunk {index + 1}/{len(chunks)} seeded: {count} messages", flush=True)
        total = mailbox.count()
    finally:
        mailbox.close()
    # a long-lived installation's file has long been checkpointed; do it now so the reads do not walk a large WAL
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(p.stat().st_size for p in path.parent.glob("demo-mailbox.db*"))
    return {
        "seeded": count,
        "count": total,
        "waited_s": waited,
        "seed_s": seed_s,
        "render_cpu_s": render_cpu,
        "file_mb": size / 1e6,
    }


def choose_parameters(api: Api) -> dict[str, Any]:
    """The frequent sender and the free-text word, chosen by asking the API how many messages each matches."""
    from adapters.demo import generator

    cast = [*generator.COLLEAGUES, generator.DANA, generator.ALICE, *generator.RECEIPTS, *generator.NEWSLETTERS]
    senders = {p.address: api.search(f"from:{p.address}")[0] for p in cast}
    sender = max(senders, key=lambda a: senders[a])
    words = {w: api.search(w)[0] for w in WORD_CANDIDATES}
    word = min(words, key=lambda w: abs(math.log(max(1, words[w]) / WORD_TARGET)))
    return {"sender": sender, "senders": senders, "word": word, "words": words}


def shapes(params: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, label, query) of the five query shapes."""
    return [
        ("plain", "plain page (limit=50)", ""),
        ("from", f"from:{params['sender']}", f"from:{params['sender']}"),
        ("label", f"label:{USER_LABEL} is:unread", f"label:{USER_LABEL} is:unread"),
        ("text", f"free text: {params['word']}", params["word"]),
        ("attach", "has:attachment newer_than:30d", "has:attachment newer_than:30d"),
    ]


def plan(served: Served, query_shapes: Sequence[tuple[str, str, str]], concurrency: int, args: Any) -> dict[str, Any]:
    bearer = {"Authorization": f"Bearer {served.access_token}"}
    scenarios = []
    for name, _, query in query_shapes:
        params = {"limit": 50, **({"q": query} if query else {})}
        scenarios.append({"name": name, "path": f"/api/v1/emails?{urlencode(params)}", "headers": bearer})
    return {
        "base_url": served.base_url,
        "server_pid": served.pid,
        "client": "raw",
        "concurrency": concurrency,
        "warmup": args.warmup,
        "requests": args.requests,
        "max_seconds": args.max_seconds,
        "rounds": 1,
        "scenarios": scenarios,
    }


def summarise(results: list[dict[str, Any]], name: str) -> dict[str, Any]:
    rows = [r for r in results if r["name"] == name]
    latencies = sorted(x for r in rows for x in r["latencies_s"])
    requests = sum(r["requests"] for r in rows)
    elapsed = sum(r["elapsed_s"] for r in rows)
    return {
        "requests": requests,
        "rps": requests / elapsed if elapsed else math.nan,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "server_cpu_ms": 1e3 * sum(r["server_cpu_s"] for r in rows) / max(1, requests),
        "bad": sum(v for r in rows for k, v in r["statuses"].items() if k != "200")
        + sum(sum(r["errors"].values()) for r in rows),
    }


def profile(served: Served, query_shapes: Sequence[tuple[str, str, str]], args: Any) -> None:
    """Sample the server with py-spy (all threads, not only the GIL holder: SQLite runs without the GIL) while one
    connection sends one shape; print where a request's time goes."""
    py_spy = find_py_spy(args.py_spy)
    if not py_spy:
        print("py-spy not found: no profile", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="mailagent-prof-") as tmp:
        for name, label, query in query_shapes:
            raw = Path(tmp) / f"{name}.txt"
            cmd = [py_spy, "record", "--pid", str(served.pid), "--nonblocking", "--function", "--rate", "100"]
            cmd += ["--format", "raw", "--duration", str(int(args.profile_seconds) + 2), "--output", str(raw)]
            spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                time.sleep(1.0)  # let py-spy attach
                one = {**vars(args), "warmup": 0, "requests": 10**6, "max_seconds": args.profile_seconds}
                result = load(plan(served, [(name, label, query)], 1, argparse.Namespace(**one)))[0]
            finally:
                _, err = spy.communicate(timeout=args.profile_seconds + 30)
            print(f"\n== profile: {label}, 1 connection, {result['requests']} requests ({result['rps']:.1f} req/s) ==")
            if spy.returncode != 0 or not raw.exists():
                print(f"  py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-500:]}")
                continue
            report(raw, 1e6 * result["server_cpu_s"] / max(1, result["requests"]), 12, MAIL_BUCKETS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="messages to load (default 100000)")
    parser.add_argument("--chunk", type=int, default=10_000, help="messages per generated chunk (default 10000)")
    parser.add_argument("--workers", type=int, default=2, help="processes that render chunks (default 2)")
    parser.add_argument("--latency-concurrency", type=int, default=1, help="connections for p50/p99 (default 1)")
    parser.add_argument("--concurrency", type=int, default=4, help="connections for req/s (default 4)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per shape and pass")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up requests before each measurement")
    parser.add_argument("--max-seconds", type=float, default=4.0, help="time cap per p50/p99 measurement")
    parser.add_argument("--throughput-seconds", type=float, default=2.0, help="time cap per req/s measurement")
    parser.add_argument("--py-spy", dest="py_spy", help="also profile each shape with this py-spy (see below)")
    parser.add_argument("--profile-seconds", type=float, default=8.0, help="py-spy sampling time per shape")
    parser.add_argument(
        "--keep-mailbox", type=Path, help="copy the loaded demo-mailbox.db here before the server stops (to profile)"
    )
    args = parser.parse_args(argv)

    print(f"== GET /api/v1/emails on a {args.messages:,}-message demo mailbox, one uvicorn ==", flush=True)
    print(f"machine: {machine()}", flush=True)
    run_started = time.monotonic()
    now = datetime.now(UTC)
    sizes = [min(args.chunk, args.messages - start) for start in range(0, args.messages, args.chunk)]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.workers), mp_context=context) as pool:
        owner = "you@demo.mailagent.local"
        futures = [pool.submit(render_chunk, now, owner, i, size) for i, size in enumerate(sizes)]
        try:
            with serving(extra_env={"MAILAGENT_DEMO_MAILBOX_SIZE": "0"}, plain_baseline=False) as served:
                api = Api(served)
                account = api.call("POST", "/api/v1/mail/accounts/demo", 201)["data"]
                if account["address"] != owner:
                    raise RuntimeError(f"the demo account's address is {account['address']}, not {owner}")
                rss_connected = server_rss_mb(served.pid)
                print(f"server up, user signed up, demo account {account['id']} connected; loading...", flush=True)
                load_started = time.monotonic()
                loaded = load_mailbox(served, account["id"], owner, futures)
                load_s = time.monotonic() - load_started
                rss_loaded = server_rss_mb(served.pid)
                api_total, _, first_s = api.search("", limit=50)
                params = choose_parameters(api)
                query_shapes = shapes(params)
                checks = {name: api.search(query, limit=50) for name, _, query in query_shapes}
                api.client.close()

                busy0, total0 = machine_cpu_seconds()
                server0, kids0 = cpu_seconds(served.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
                measure_started = time.monotonic()
                latency = load(plan(served, query_shapes, args.latency_concurrency, args))
                short = argparse.Namespace(**{**vars(args), "max_seconds": args.throughput_seconds})
                throughput = load(plan(served, query_shapes, args.concurrency, short))
                measure_s = time.monotonic() - measure_started
                busy1, total1 = machine_cpu_seconds()
                server1, kids1 = cpu_seconds(served.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
                rss_after = server_rss_mb(served.pid)
                loadgen_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
                machine_load = {
                    "seconds": measure_s,
                    "server": (server1 - server0) / measure_s,
                    "loadgen": loadgen_cpu / measure_s,
                    "others": max(0.0, (busy1 - busy0) - (server1 - server0) - loadgen_cpu) / measure_s,
                    "cpus": (total1 - total0) / measure_s,
                }
                print_figures(
                    args,
                    loaded={
                        **loaded,
                        "chunks": len(sizes),
                        "load_s": load_s,
                        "api_total": api_total,
                        "first_s": first_s,
                    },
                    params=params,
                    checks=checks,
                    query_shapes=query_shapes,
                    latency=latency,
                    throughput=throughput,
                    rss=(rss_connected, rss_loaded, rss_after),
                    machine_load=machine_load,
                )
                print(f"measured in {time.monotonic() - run_started:.0f} s from the start", flush=True)
                if args.py_spy:
                    profile(served, query_shapes, args)
                if args.keep_mailbox:
                    with (
                        contextlib.closing(sqlite3.connect(served.data_dir / "demo-mailbox.db")) as db,
                        contextlib.closing(sqlite3.connect(args.keep_mailbox)) as to,
                    ):
                        db.backup(to)
                    print(f"kept the mailbox in {args.keep_mailbox} (account key {account['id']})", flush=True)
                server_log = served.log_path.read_text(errors="replace").strip()
        finally:
            for future in futures:
                future.cancel()
    print(f"whole run: {time.monotonic() - run_started:.0f} s")
    if server_log:
        print(f"server log (last lines):\n{server_log[-1500:]}")
    return 0


def print_figures(
    args: Any,
    *,
    loaded: dict[str, Any],
    params: dict[str, Any],
    checks: dict[str, tuple[int, int, float]],
    query_shapes: Sequence[tuple[str, str, str]],
    latency: list[dict[str, Any]],
    throughput: list[dict[str, Any]],
    rss: tuple[float, float, float],
    machine_load: dict[str, float],
) -> None:
    per_message = 1e3 / max(1, loaded["seeded"])
    print(
        f"\nloaded {loaded['seeded']:,} messages ({loaded['chunks']} chunks of <= {args.chunk:,}, {args.workers} "
        f"render workers) in {loaded['load_s']:.0f} s: seeding {loaded['seed_s']:.0f} s "
        f"({loaded['seed_s'] * per_message:.2f} ms/message), waiting for chunks {loaded['waited_s']:.0f} s, rendering "
        f"{loaded['render_cpu_s']:.0f} CPU s ({loaded['render_cpu_s'] * per_message:.2f} ms/message) in the workers"
    )
    print(
        f"the account holds {loaded['count']:,} messages (API total without a query: {loaded['api_total']:,}; first "
        f"page {1e3 * loaded['first_s']:.0f} ms cold); demo-mailbox.db {loaded['file_mb']:.0f} MB"
    )
    print(f"most frequent senders (API totals): {dict(sorted(params['senders'].items(), key=lambda kv: -kv[1])[:4])}")
    print(f"free-text candidates (API totals): {params['words']}")
    c1, cn = args.latency_concurrency, args.concurrency
    print(
        f"\np50/p99 at {c1} connection(s), req/s at {c1} and {cn}; <= {args.requests} requests or "
        f"{args.max_seconds:g} s (c={c1}) / {args.throughput_seconds:g} s (c={cn}) per measurement after "
        f"{args.warmup} warm-up"
    )
    header = (
        f"{'query shape':<44} {'matches':>8} {'bytes':>7} {'p50 ms':>8} {'p99 ms':>8} {f'req/s c={c1}':>9} "
        f"{f'req/s c={cn}':>9} {f'srv CPU ms/req c={c1}, c={cn}':>22} {'non-200':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, label, _ in query_shapes:
        lat, thr = summarise(latency, name), summarise(throughput, name)
        total, size, _ = checks[name]
        print(
            f"{label:<44} {total:>8,} {size:>7,} {lat['p50_ms']:>8.1f} {lat['p99_ms']:>8.1f} {lat['rps']:>9.1f} "
            f"{thr['rps']:>9.1f} {lat['server_cpu_ms']:>14.1f}, {thr['server_cpu_ms']:>6.1f} "
            f"{lat['bad'] + thr['bad']:>7}"
        )
        print(f"{'':<44} requests measured: {lat['requests']} (c={c1}), {thr['requests']} (c={cn})")
    print(
        f"\nserver RSS: {rss[0]:.0f} MB after connecting the empty demo account, {rss[1]:.0f} MB after loading (the "
        f"server read nothing yet), {rss[2]:.0f} MB after the queries"
    )
    m = machine_load
    print(
        f"measurement took {m['seconds']:.0f} s; on average the server used {m['server']:.2f}, the load generator "
        f"{m['loadgen']:.2f} and other processes {m['others']:.2f} of {m['cpus']:.0f} CPUs",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
