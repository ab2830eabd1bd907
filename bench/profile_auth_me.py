"""Where the server's CPU goes per request of GET /api/v1/auth/me (and the bare baseline), sampled with py-spy.

    .venv/bin/python bench/profile_auth_me.py [--scenario jwt api_key bare] [--seconds 15] [--py-spy PATH]

Same server and sign-up as bench/auth_me.py. While bench/loadgen.py loads one scenario, `py-spy record --gil`
samples the uvicorn process (every thread: the sync dependencies and endpoint run in the thread pool, which an
in-process profiler such as pyinstrument, bound to one thread, would not see). Only the thread holding the GIL is
sampled, so the samples are the Python CPU work; their shares times the server's measured CPU per request give
microseconds per request. Prints buckets (DB, JWT, pydantic, thread pool, ...) and the top functions.

py-spy is not a project dependency: install it outside the venv, e.g.
    .venv/bin/uv pip install --python .venv/bin/python --target /tmp/benchprof py-spy
and pass --py-spy /tmp/benchprof/bin/py-spy (it needs ptrace rights on the server process).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auth_me import SCENARIOS, load, scenarios, serving

# First match wins, tested on the whole stack from the innermost frame outwards.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("sqlite3 / SQLAlchemy (DB)", ("sqlalchemy/", "sqlite3")),
    ("repositories / unit of work (ours)", ("adapters/sqlalchemy/",)),
    ("JWT decode (PyJWT, hmac)", ("jwt/", "hmac.py")),
    ("pydantic validation / serialisation", ("pydantic/", "pydantic_core/", "fastapi/_compat")),
    ("dependency-injector providers", ("dependency_injector",)),
    ("logging / structlog", ("structlog/", "logging/")),
    ("thread pool hand-off (anyio, threading)", ("anyio/to_thread", "anyio/_backends", "threading.py", "queue.py")),
    ("FastAPI dependency solving / routing", ("fastapi/dependencies", "fastapi/routing", "starlette/routing")),
    ("our middleware", ("entrypoints/http/middleware",)),
    ("uvicorn / httptools / asyncio", ("uvicorn/", "httptools", "asyncio/", "uvloop")),
    ("application / domain (ours)", ("application/", "domain/")),
]


def find_py_spy(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    return shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))


def bucket_of(stack: list[str], buckets: Sequence[tuple[str, tuple[str, ...]]] = BUCKETS) -> str:
    for frame in reversed(stack):
        for name, needles in buckets:
            if any(n in frame for n in needles):
                return name
    return "other"


def report(
    raw: Path, cpu_us_per_request: float, top: int, buckets: Sequence[tuple[str, tuple[str, ...]]] = BUCKETS
) -> None:
    stacks: list[tuple[list[str], int]] = []
    for line in raw.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    total = sum(c for _, c in stacks)
    if not total:
        print("  no samples (is the server busy? does py-spy have ptrace rights?)")
        return
    by_bucket: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, count in stacks:
        by_bucket[bucket_of(stack, buckets)] += count
        own[stack[-1]] += count
        for frame in set(stack):
            inclusive[frame] += count

    def us(n: int) -> str:
        return f"{n / total:6.1%} {n / total * cpu_us_per_request:7.0f} us/req"

    print(f"  {total} samples; server CPU {cpu_us_per_request:.0f} us/request")
    print("  by bucket (innermost recognised frame):")
    for name, count in by_bucket.most_common():
        print(f"    {us(count)}  {name}")
    print(f"  top {top} functions, own time:")
    for frame, count in own.most_common(top):
        print(f"    {us(count)}  {frame}")
    print(f"  top {top} functions in our code, inclusive time:")
    mine = ("entrypoints/", "application/", "adapters/")
    ours = [(f, c) for f, c in inclusive.most_common() if any(p in f for p in mine)]
    for frame, count in ours[:top]:
        print(f"    {us(count)}  {frame}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", nargs="+", choices=list(SCENARIOS), default=["jwt", "api_key", "bare"])
    parser.add_argument("--seconds", type=float, default=12.0, help="sampling time per scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--py-spy", dest="py_spy", help="path to the py-spy executable")
    args = parser.parse_args(argv)
    py_spy = find_py_spy(args.py_spy)
    if not py_spy:
        print("py-spy not found; see the module docstring for how to install it outside the venv", file=sys.stderr)
        return 2

    with serving() as served, tempfile.TemporaryDirectory(prefix="mailagent-prof-") as tmp:
        for name in args.scenario:
            raw = Path(tmp) / f"{name}.txt"
            # Warm up first, so that imports and first-request caches are not in the profile.
            load(
                {
                    "base_url": served.base_url,
                    "server_pid": served.pid,
                    "concurrency": args.concurrency,
                    "warmup": 0,
                    "requests": 500,
                    "max_seconds": 10,
                    "rounds": 1,
                    "scenarios": scenarios(served, [name]),
                }
            )
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(served.pid),
                    "--gil",
                    "--nonblocking",
                    "--function",
                    "--rate",
                    str(args.rate),
                    "--format",
                    "raw",
                    "--duration",
                    str(int(args.seconds) + 2),
                    "--output",
                    str(raw),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                time.sleep(1.0)  # let py-spy attach
                result = load(
                    {
                        "base_url": served.base_url,
                        "server_pid": served.pid,
                        "concurrency": args.concurrency,
                        "warmup": 0,
                        "requests": 10**7,
                        "max_seconds": args.seconds,
                        "rounds": 1,
                        "scenarios": scenarios(served, [name]),
                    }
                )[0]
            finally:
                _, err = spy.communicate(timeout=args.seconds + 30)
            cpu_us = 1e6 * result["server_cpu_s"] / max(1, result["requests"])
            print(f"== {SCENARIOS[name][0]}: {result['rps']:.0f} req/s under the profiler ==")
            if spy.returncode != 0 or not raw.exists():
                print(f"  py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-500:]}")
                continue
            report(raw, cpu_us, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
