"""Run every benchmark and print their figures (`make bench`). Not timed tests: a missed target does not fail.

    .venv/bin/python bench/run_all.py [--only NAME ...]

The production-profile ones (`emails_sweep`, `scheduled_burst_rq`) start a private redis-server and create (and
drop) a fresh database on the PostgreSQL of DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
The load average is printed before and after each one: the figures only mean something next to how busy the
machine was (docs/benchmarks.md records both).

Each benchmark runs in its own interpreter, one after the other, so none disturbs the others' figures.
Exits 0 when every benchmark ran (whatever the figures); 1 if one of them crashed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = [
    "auth_me.py",
    "request_cpu.py",
    "cold_start.py",
    "mail_search.py",
    "emails_sweep.py",
    "gmail_quota.py",
    "incremental_sync.py",
    "imap_sync.py",
    "ws_fanout.py",
    "scheduled_sends.py",
    "scheduled_burst_rq.py",
    "attachments.py",
    "agent_turn.py",
    "web_scroll.py",
]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (e.g. auth_me agent_turn)")
    args = parser.parse_args(argv)
    chosen = [
        s for s in BENCHMARKS if not args.only or s.removesuffix(".py") in {o.removesuffix(".py") for o in args.only}
    ]
    print(f"mailagent benchmarks, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    failed: list[str] = []
    for script in chosen:
        started = time.monotonic()
        print(f"\n$ {Path(sys.executable).name} bench/{script}   (load average {load()})", flush=True)
        code = subprocess.call([sys.executable, str(BENCH_DIR / script)])
        print(
            f"({script} took {time.monotonic() - started:.0f} s, exit code {code}; load average {load()})", flush=True
        )
        if code != 0:
            failed.append(script)
    if failed:
        print(f"\nthese benchmarks did not finish: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
