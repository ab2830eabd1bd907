"""Run every benchmark and print their figures (`make bench`). Not timed tests: a missed target does not fail.

    .venv/bin/python bench/run_all.py

Each benchmark runs in its own interpreter, one after the other, so none disturbs the others' figures.
Exits 0 when every benchmark ran (whatever the figures); 1 if one of them crashed.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = [
    "auth_me.py",
    "cold_start.py",
    "mail_search.py",
    "gmail_quota.py",
    "incremental_sync.py",
    "ws_fanout.py",
    "scheduled_sends.py",
    "scheduled_burst_rq.py",
    "attachments.py",
    "agent_turn.py",
    "web_scroll.py",
]


def main() -> int:
    print(f"mailagent benchmarks, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    failed: list[str] = []
    for script in BENCHMARKS:
        started = time.monotonic()
        print(f"\n$ {Path(sys.executable).name} bench/{script}", flush=True)
        code = subprocess.call([sys.executable, str(BENCH_DIR / script)])
        print(f"({script} took {time.monotonic() - started:.0f} s, exit code {code})", flush=True)
        if code != 0:
            failed.append(script)
    if failed:
        print(f"\nthese benchmarks did not finish: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
