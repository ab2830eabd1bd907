"""Benchmark: start-up of `mailagent serve` and of cheap CLI commands, and the server's idle RSS.

    .venv/bin/python bench/cold_start.py [--repeats 5] [--restarts 1] [--cli-repeats 5]
                                         [--baseline DIR [--compare-only]]

`serve` cold start: launch the console script `.venv/bin/mailagent serve` on a fresh, empty data dir (embedded
default profile, so the time includes interpreter start-up, imports, creating the keys and running every migration)
and poll GET /healthz every 10 ms until it answers 200. Repeated `--repeats` times; min and median are reported
(target <= 3 s). `--restarts` more starts on an already migrated data dir show how much of it is migrations.

CLI: wall time and CPU of `.venv/bin/mailagent --help`, `db current`, `audit verify` (on a fresh data dir, which the
local profile migrates first, and on a migrated one) and `user create` (fast argon2), each `--cli-repeats` times
(target <= 1 s).

Bytecode: Python caches compiled modules (`__pycache__`); a normal installation writes that cache on its first
run and reads it from then on. The measured runs read a warm cache (the benchmark warms it first, even where
PYTHONDONTWRITEBYTECODE is set); one more `serve` cold start and `audit verify` run with an empty cache
(PYTHONPYCACHEPREFIX pointing at an empty directory) show what the very first run after installing costs.

Idle RSS: one more fresh server serves a handful of requests (health probes, the OpenAPI document, register ->
verify from the outbox -> login with the default argon2 parameters -> /auth/me -> an API key -> /auth/me with
it), then settles for a few seconds; VmRSS from /proc/<pid>/status, summed over the process and any children
(target: <= 250 MB). Not a timed test: it never fails on a figure.

Baseline (`--baseline DIR`, e.g. `git archive f2df043 | tar -x -C /tmp/base`): the same CLI commands and fresh-dir
cold starts on another source tree (same interpreter and packages, the tree first on sys.path), interleaved run by
run with this checkout's, and the ratio of the medians. On a shared, busy machine wall time says little; this
same-run ratio is the figure to compare. `--compare-only` skips everything else.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auth_me import EMAIL, PASSWORD, verification_token
from benchlib import (
    VENV_BIN,
    MachineBusy,
    children,
    cpu_seconds,
    free_port,
    load_average,
    machine,
    rss_kib,
    running,
    server_env,
    wait_healthy,
)

TARGET_START_S = 3.0
TARGET_CLI_S = 1.0
TARGET_RSS_MB = 250.0


def mailagent_exe() -> str:
    exe = VENV_BIN / "mailagent"
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run `make setup` first")
    return str(exe)


def code_version() -> str:
    """The commit the measured code is at (and whether the tree differs from it), for the figures' record."""
    repo = Path(__file__).resolve().parents[1]
    git = ["git", "-C", str(repo)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return f"{repo} at {head.stdout.strip() or '?'}{' plus local changes' if dirty.stdout.strip() else ''}"


def cold_bytecode(env: dict[str, str], cache_dir: Path) -> dict[str, str]:
    """The same environment with an empty bytecode cache: every module is compiled from source."""
    return {**env, "PYTHONPYCACHEPREFIX": str(cache_dir), "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Code:
    """Which code a run starts: this checkout's console script, or (--baseline) another source tree run by the same
    interpreter and packages, first on sys.path."""

    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def this_checkout() -> Code:
    return Code("this checkout", (mailagent_exe(),))


def source_tree(path: Path) -> Code:
    if not (path / "entrypoints" / "cli" / "main.py").exists():
        raise SystemExit(f"{path} holds no mailagent source tree (e.g. `git archive COMMIT | tar -x -C DIR`)")
    launch = "import sys; from entrypoints.cli.main import main; sys.argv[0] = 'mailagent'; main()"
    return Code(f"baseline {path}", (str(VENV_BIN / "python"), "-c", launch), (("PYTHONPATH", str(path)),))


def start_once(
    data_dir: Path, work: Path, tag: str, *, no_cache: Path | None = None, code: Code | None = None
) -> tuple[float, float]:
    """(seconds from launch to the first 200 on /healthz, CPU seconds the server had used by then)."""
    code = code or this_checkout()
    port = free_port()
    env = {**server_env(data_dir, port, MAILAGENT_LOG_LEVEL="INFO"), **dict(code.env)}
    if no_cache is not None:
        env = cold_bytecode(env, no_cache)
    log_path = work / f"serve-{tag}.log"
    started = time.monotonic()
    try:
        with running([*code.argv, "serve"], env, work, log_path) as proc:
            healthy = wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=120.0)
            cpu = cpu_seconds(proc.pid)
    except (RuntimeError, TimeoutError):
        print(f"--- {log_path.name} ---\n{log_path.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    return healthy - started, cpu


def cli_once(
    args: Sequence[str], data_dir: Path, work: Path, *, no_cache: Path | None = None, code: Code | None = None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `mailagent ARGS` run, which must exit 0."""
    code = code or this_checkout()
    env = {**server_env(data_dir, free_port()), **dict(code.env)}
    if no_cache is not None:
        env = cold_bytecode(env, no_cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([*code.argv, *args], env=env, cwd=work, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"mailagent {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def warm_bytecode(work: Path) -> None:
    """Run the measured commands once with bytecode writing allowed, as any installation's first run does."""
    env = server_env(work / "warm-var", free_port())
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    code = "import entrypoints.cli.main, entrypoints.http.app, uvicorn, alembic.command, adapters.sqlalchemy.migrate"
    subprocess.run([str(VENV_BIN / "python"), "-c", code], env=env, cwd=work, check=True)
    for args in (["--help"], ["db", "upgrade"], ["audit", "verify"]):
        subprocess.run([mailagent_exe(), *args], env=env, cwd=work, capture_output=True, check=True)


def cli_runs(work: Path, repeats: int) -> dict[str, list[tuple[float, float]]]:
    migrated = work / "cli-var"
    cli_once(["db", "upgrade"], migrated, work)
    runs: dict[str, list[tuple[float, float]]] = {}
    runs["mailagent --help"] = [cli_once(["--help"], migrated, work) for _ in range(repeats)]
    runs["db current"] = [cli_once(["db", "current"], migrated, work) for _ in range(repeats)]
    runs["audit verify, fresh data dir (migrates)"] = [
        cli_once(["audit", "verify"], work / f"cli-fresh-{i}", work) for i in range(repeats)
    ]
    runs["audit verify, migrated data dir"] = [cli_once(["audit", "verify"], migrated, work) for _ in range(repeats)]
    runs["user create (fast argon2)"] = [
        cli_once(["user", "create", "--email", f"u{i}@example.com", "--password", PASSWORD], migrated, work)
        for i in range(repeats)
    ]
    return runs


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


def compare(work: Path, baseline: Code, repeats: int) -> None:
    """The same commands on this checkout and on the baseline, interleaved run by run (both see the same machine),
    with the ratio of their medians: on a busy machine the ratio is the figure to read."""
    codes = (this_checkout(), baseline)
    for code in codes:  # warm each tree's bytecode cache; a migrated data dir each
        env = {**server_env(work / "cmp-warm", free_port()), **dict(code.env)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for args in (["--help"], ["db", "upgrade"], ["audit", "verify"]):
            subprocess.run([*code.argv, *args], env=env, cwd=work, capture_output=True, check=True)
    migrated = {code.name: work / f"cmp-migrated-{n}" for n, code in enumerate(codes)}
    for code in codes:
        cli_once(["db", "upgrade"], migrated[code.name], work, code=code)
    rows: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for i in range(repeats):
        for n, code in enumerate(codes):
            runs = {
                "db current": cli_once(["db", "current"], migrated[code.name], work, code=code),
                "audit verify, fresh data dir": cli_once(["audit", "verify"], work / f"cmp-{n}-{i}", work, code=code),
                "audit verify, migrated data dir": cli_once(["audit", "verify"], migrated[code.name], work, code=code),
                "user create (fast argon2)": cli_once(
                    ["user", "create", "--email", f"c{n}-{i}@example.com", "--password", PASSWORD],
                    migrated[code.name],
                    work,
                    code=code,
                ),
                "serve cold start, fresh data dir": start_once(
                    work / f"cmp-serve-{n}-{i}", work, f"cmp-{n}-{i}", code=code
                ),
            }
            for label, run in runs.items():
                rows.setdefault(label, {}).setdefault(code.name, []).append(run)
    print(f"\n-- same run, interleaved: this checkout vs {baseline.name} (n={repeats} each; median wall / median CPU)")
    for label, by_code in rows.items():
        mine, theirs = by_code[codes[0].name], by_code[codes[1].name]
        wall = [statistics.median(w for w, _ in runs) for runs in (mine, theirs)]
        cpu = [statistics.median(c for _, c in runs) for runs in (mine, theirs)]
        print(
            f"{label:<36} this {wall[0]:.2f} / {cpu[0]:.2f} s   baseline {wall[1]:.2f} / {cpu[1]:.2f} s   "
            f"ratio wall {wall[0] / wall[1]:.2f}x, CPU {cpu[0] / cpu[1]:.2f}x"
        )


def line(label: str, values: list[float], unit: str = "s") -> None:
    if values:
        print(
            f"{label:<44} min {min(values):.2f} {unit}   median {statistics.median(values):.2f} {unit}   "
            f"max {max(values):.2f} {unit}   ({', '.join(f'{v:.2f}' for v in values)})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="serve cold starts on fresh data dirs")
    parser.add_argument("--restarts", type=int, default=1, help="serve starts on an already migrated data dir")
    parser.add_argument("--cli-repeats", type=int, default=5, help="runs of each CLI command")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before reading idle RSS")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another source tree (e.g. `git archive COMMIT | tar -x -C DIR`): also run the commands and cold starts "
        "on it, interleaved with this checkout's, and print the ratios",
    )
    parser.add_argument("--compare-only", action="store_true", help="with --baseline: only the comparison")
    args = parser.parse_args(argv)
    if args.baseline is not None:
        baseline = source_tree(args.baseline.resolve())
        if args.compare_only:
            print(f"machine: {machine()}")
            print(f"code: {code_version()}; UTC {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}")
            print(f"load average at start: {load_average()}")
            busy = MachineBusy()
            with tempfile.TemporaryDirectory(prefix="mailagent-cold-") as tmp:
                compare(Path(tmp), baseline, args.cli_repeats)
            print(f"\nload average at end: {load_average()}; CPUs busy: {busy.cpus_busy():.2f} of {os.cpu_count()}")
            return 0

    print("== start-up: `mailagent serve` to 200 on /healthz, cheap CLI commands, idle RSS ==")
    print(f"machine: {machine()}")
    print(f"code: {code_version()}; UTC {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}")
    print(f"load average at start: {load_average()}")
    busy = MachineBusy()
    with tempfile.TemporaryDirectory(prefix="mailagent-cold-") as tmp:
        work = Path(tmp)
        warm_bytecode(work)
        cli = cli_runs(work, args.cli_repeats)
        cold_runs = [start_once(work / f"var-{i}", work, f"cold-{i}") for i in range(args.repeats)]
        warm_runs = [start_once(work / "var-0", work, f"warm-{i}") for i in range(args.restarts)]
        at_start, settled, processes, requests = idle_rss(work, args.settle)
        first_serve = start_once(work / "var-nocache", work, "nocache", no_cache=work / "pycache-serve")
        first_cli = cli_once(["audit", "verify"], work / "cli-nocache", work, no_cache=work / "pycache-cli")
        if args.baseline is not None:
            compare(work, baseline, args.cli_repeats)
    cpus_busy = busy.cpus_busy()

    print(f"\n-- CLI commands (wall time; warm bytecode cache; n={args.cli_repeats}; target <= {TARGET_CLI_S:g} s)")
    for label, runs in cli.items():
        line(label, [w for w, _ in runs])
        line("  CPU (user+sys)", [c for _, c in runs])
    for label, runs in cli.items():
        median = statistics.median(w for w, _ in runs)
        if label != "mailagent --help":
            verdict = "meets" if median <= TARGET_CLI_S else "MISSES"
            print(f"{label}: median {median:.2f} s, {verdict} the <= {TARGET_CLI_S:g} s target")

    print(f"\n-- `mailagent serve` (warm bytecode cache; target <= {TARGET_START_S:g} s)")
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

    print("\n-- first run after installing (empty bytecode cache: every module compiled from source)")
    print(f"serve cold start: {first_serve[0]:.2f} s (CPU {first_serve[1]:.2f} s)")
    print(f"audit verify, fresh data dir: {first_cli[0]:.2f} s (CPU {first_cli[1]:.2f} s)")
    print(f"\nload average at end: {load_average()}; CPUs busy during the run: {cpus_busy:.2f} of {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
