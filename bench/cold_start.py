"""Benchmark: `mailagent serve` cold start to a healthy /healthz, and the server's idle RSS.

    .venv/bin/python bench/cold_start.py [--repeats 5] [--restarts 2]

Cold start: launch the console script `.venv/bin/mailagent serve` on a fresh, empty data dir (embedded default
profile, so the time includes interpreter start-up, imports, creating the JWT key and running every migration) and
poll GET /healthz every 10 ms until it answers 200. Repeated `--repeats` times; min and median are reported
(targets: <= 3 s). `--restarts` more starts on an already migrated data dir show how much of it is migrations.

Idle RSS: one more fresh server serves a handful of requests (health probes, the OpenAPI document, register ->
verify from the outbox -> login with the default argon2 parameters -> /auth/me -> an API key -> /auth/me with
it), then settles for a few seconds; VmRSS from /proc/<pid>/status, summed over the process and any children
(target: <= 250 MB). Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auth_me import EMAIL, PASSWORD, verification_token
from benchlib import VENV_BIN, children, cpu_seconds, free_port, machine, rss_kib, running, server_env, wait_healthy

TARGET_START_S = 3.0
TARGET_RSS_MB = 250.0


def mailagent_exe() -> str:
    exe = VENV_BIN / "mailagent"
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run `make setup` first")
    return str(exe)


def start_once(data_dir: Path, work: Path, tag: str) -> tuple[float, float]:
    """(seconds from launch to the first 200 on /healthz, CPU seconds the server had used by then)."""
    port = free_port()
    env = server_env(data_dir, port, MAILAGENT_LOG_LEVEL="INFO")
    log_path = work / f"serve-{tag}.log"
    started = time.monotonic()
    try:
        with running([mailagent_exe(), "serve"], env, work, log_path) as proc:
            healthy = wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=60.0)
            cpu = cpu_seconds(proc.pid)
    except (RuntimeError, TimeoutError):
        print(f"--- {log_path.name} ---\n{log_path.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    return healthy - started, cpu


def idle_rss(work: Path, settle_seconds: float) -> tuple[float, float, int, list[str]]:
    """(RSS MB right after healthy, RSS MB after requests + settling, number of processes, request log)."""
    data_dir = work / "rss-var"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(data_dir, port, MAILAGENT_LOG_LEVEL="INFO")
    for name in ("MAILAGENT_ARGON2_TIME_COST", "MAILAGENT_ARGON2_MEMORY_KIB", "MAILAGENT_ARGON2_PARALLELISM"):
        env.pop(name)  # the defaults, as a real server hashes
    done: list[str] = []

    def total_rss(pid: int) -> tuple[float, int]:
        pids = [pid, *children(pid)]
        return sum(rss_kib(p) for p in pids) / 1024, len(pids)

    with running([mailagent_exe(), "serve"], env, work, work / "serve-rss.log") as proc:
        wait_healthy(base, proc)
        time.sleep(0.5)
        at_start, _ = total_rss(proc.pid)
        with httpx.Client(base_url=base, timeout=30.0) as client:

            def call(method: str, path: str, expected: int, **kwargs: object) -> httpx.Response:
                response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
                if response.status_code != expected:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
                done.append(f"{method} {path} {response.status_code}")
                return response

            for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
                call("GET", path, 200)
            call("GET", "/api/v1/auth/me", 401)
            call("POST", "/api/v1/auth/register", 201, json={"email": EMAIL, "password": PASSWORD})
            token = verification_token(data_dir / "outbox", EMAIL)
            call("POST", "/api/v1/auth/verify-email", 200, json={"token": token})
            login = call("POST", "/api/v1/auth/login", 200, json={"email": EMAIL, "password": PASSWORD})
            bearer = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
            call("GET", "/api/v1/auth/me", 200, headers=bearer)
            key = call("POST", "/api/v1/api-keys", 201, json={"name": "rss"}, headers=bearer).json()["data"]["key"]
            for _ in range(20):
                call("GET", "/api/v1/auth/me", 200, headers={"X-API-Key": key})
        time.sleep(settle_seconds)
        settled, processes = total_rss(proc.pid)
    return at_start, settled, processes, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="cold starts on fresh data dirs")
    parser.add_argument("--restarts", type=int, default=1, help="starts on an already migrated data dir")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before reading idle RSS")
    args = parser.parse_args(argv)

    print("== `mailagent serve` cold start to 200 on /healthz, and idle RSS ==")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="mailagent-cold-") as tmp:
        work = Path(tmp)
        cold_runs = [start_once(work / f"var-{i}", work, f"cold-{i}") for i in range(args.repeats)]
        warm_runs = [start_once(work / "var-0", work, f"warm-{i}") for i in range(args.restarts)]
        at_start, settled, processes, requests = idle_rss(work, args.settle)

    def line(label: str, values: list[float]) -> None:
        if values:
            print(
                f"{label:<44} min {min(values):.2f} s   median {statistics.median(values):.2f} s   "
                f"max {max(values):.2f} s   ({', '.join(f'{v:.2f}' for v in values)})"
            )

    cold, warm = [t for t, _ in cold_runs], [t for t, _ in warm_runs]
    line(f"cold start, fresh data dir (n={len(cold)})", cold)
    line("  server CPU (user+sys) used by then", [c for _, c in cold_runs])
    line(f"restart, migrated data dir (n={len(warm)})", warm)
    line("  server CPU (user+sys) used by then", [c for _, c in warm_runs])
    verdict = "meets" if statistics.median(cold) <= TARGET_START_S else "MISSES"
    print(f"cold start median {statistics.median(cold):.2f} s: {verdict} the <= {TARGET_START_S:g} s target")
    print(f"RSS right after healthy: {at_start:.0f} MB")
    print(
        f"idle RSS after {len(requests)} requests and {args.settle:g} s settling: {settled:.0f} MB "
        f"({processes} process{'es' if processes != 1 else ''}): "
        f"{'meets' if settled <= TARGET_RSS_MB else 'MISSES'} the <= {TARGET_RSS_MB:g} MB target"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
