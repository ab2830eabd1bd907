"""Benchmark: GET /api/v1/emails on a 100,000-message demo mailbox, five query shapes, and the server's RSS.

    .venv/bin/python bench/mail_search.py [--messages 100000] [--concurrency 4] [--requests 200] [--max-seconds 5]

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
never merge. Generating 100k in one call would take ~2 x as long on one core and is not faster to seed.

Then, with a separate load-generator process (bench/loadgen.py), for each query shape:
  plain page                      limit=50
  from:<a frequent sender>        the most frequent non-owner sender among the generator's cast (asked via the API)
  label:Work is:unread            a user label and the unread flag
  free text                       a word found in some hundreds of messages (chosen via the API's `total`)
  has:attachment newer_than:30d
it measures p50/p99 at `--latency-concurrency` (default 1: one user, no queueing) and req/s at `--concurrency`
(default 4) keep-alive connections, each bounded by request count and `--max-seconds`; and the server's RSS (VmRSS,
process + children) after connecting, after loading and after the queries. The server is always stopped.
Not a timed test: it never fails on a figure.
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
import sys
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

Seedable = tuple[bytes, tuple[str, ...], tuple[str, ...], datetime]

USER_LABEL = "Work"
# free-text candidates: the first shape asks for "a word found in some hundreds of messages"
WORD_CANDIDATES = ("unsubscribe", "lisbon", "invoice", "proposal", "grocer", "birthday")
WORD_TARGET = 300
_MESSAGE_ID = re.compile(rb"<([0-9a-f]{40})@")


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="messages to load (default 100000)")
    parser.add_argument("--chunk", type=int, default=10_000, help="messages per generated chunk (default 10000)")
    parser.add_argument("--workers", type=int, default=2, help="processes that render chunks (default 2)")
    parser.add_argument("--latency-concurrency", type=int, default=1, help="connections for p50/p99 (default 1)")
    parser.add_argument("--concurrency", type=int, default=4, help="connections for req/s (default 4)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per shape and pass")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up requests before each measurement")
    parser.add_argument("--max-seconds", type=float, default=4.0, help="time cap per measurement")
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
            with serving(extra_env={"MAILAGENT_DEMO_MAILBOX_SIZE": "0"}) as served:
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

                busy0, total0 = machine_cpu_seconds()
                server0, kids0 = cpu_seconds(served.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
                measure_started = time.monotonic()
                latency = load(plan(served, query_shapes, args.latency_concurrency, args))
                throughput = load(plan(served, query_shapes, args.concurrency, args))
                measure_s = time.monotonic() - measure_started
                busy1, total1 = machine_cpu_seconds()
                server1, kids1 = cpu_seconds(served.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
                rss_after = server_rss_mb(served.pid)
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

    loadgen_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    others = max(0.0, (busy1 - busy0) - (server1 - server0) - loadgen_cpu)
    cpus = (total1 - total0) / measure_s if measure_s else 0.0

    per_message = 1e3 / max(1, loaded["seeded"])
    print(
        f"\nloaded {loaded['seeded']:,} messages ({len(sizes)} chunks of <= {args.chunk:,}, {args.workers} render "
        f"workers) in {load_s:.0f} s: seeding {loaded['seed_s']:.0f} s ({loaded['seed_s'] * per_message:.2f} "
        f"ms/message), waiting for chunks {loaded['waited_s']:.0f} s, rendering {loaded['render_cpu_s']:.0f} CPU s "
        f"({loaded['render_cpu_s'] * per_message:.2f} ms/message) in the workers"
    )
    print(
        f"the account holds {loaded['count']:,} messages (API total without a query: {api_total:,}; first page "
        f"{1e3 * first_s:.0f} ms cold); demo-mailbox.db {loaded['file_mb']:.0f} MB"
    )
    print(f"most frequent senders (API totals): {dict(sorted(params['senders'].items(), key=lambda kv: -kv[1])[:4])}")
    print(f"free-text candidates (API totals): {params['words']}")
    print(
        f"\np50/p99 at {args.latency_concurrency} connection(s), req/s at {args.concurrency} connections; "
        f"<= {args.requests} requests or {args.max_seconds:g} s per measurement after {args.warmup} warm-up"
    )
    header = (
        f"{'query shape':<44} {'matches':>8} {'bytes':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s c=1':>9} "
        f"{'req/s c=' + str(args.concurrency):>9} {'srv CPU ms/req c=1, c=' + str(args.concurrency):>22} {'non-200':>7}"
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
        print(f"{'':<44} requests measured: {lat['requests']} (c=1), {thr['requests']} (c={args.concurrency})")
    print(
        f"\nserver RSS: {rss_connected:.0f} MB after connecting the empty demo account, {rss_loaded:.0f} MB after "
        f"loading (the server read nothing yet), {rss_after:.0f} MB after the queries"
    )
    print(
        f"measurement took {measure_s:.0f} s; on average the server used {(server1 - server0) / measure_s:.2f}, the "
        f"load generator {loadgen_cpu / measure_s:.2f} and other processes {others / measure_s:.2f} of {cpus:.0f} CPUs"
    )
    print(f"whole run: {time.monotonic() - run_started:.0f} s")
    if server_log:
        print(f"server log (last lines):\n{server_log[-1500:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
