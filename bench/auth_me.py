"""Benchmark: GET /api/v1/auth/me (JWT, API key) against a bare FastAPI endpoint, same uvicorn settings, same run.

    .venv/bin/python bench/auth_me.py [--concurrency 16] [--requests 3000] [--rounds 3] [--client raw|httpx]

Two uvicorn processes (127.0.0.1, free ports, log level warning, the same options): a plain FastAPI app with only
`/bench/bare`, and the real app from `entrypoints.http.app.create_app` with the same route put first in its routing
table (see bench/app_with_baseline.py), on the embedded default profile with a fresh data dir. A user signs up over
HTTP (register -> verification link from the outbox -> verify -> login) and creates an API key. Before anything is
measured, every route is asked once and must answer what it should (200, JSON, the bare body or this user): a route
that the web app's catch-all answers with index.html stops the benchmark. Then a separate load-generator process
(bench/loadgen.py) measures requests/s, p50 and p99 for
  (a) GET /bench/bare on the plain FastAPI app            the baseline
  (b) GET /api/v1/auth/me  Authorization: Bearer <JWT>
  (c) GET /api/v1/auth/me  X-API-Key: <key>
  (d) GET /bench/bare on the real app                     the same route behind our middleware
  (e) GET /bench/bare-sync on the real app                diagnostic: (d) as a `def`, plus one thread-pool hop
in interleaved rounds after a warm-up, and prints (b)/(a) and (c)/(a) (target >= 0.6x), and (b)/(d), (c)/(d).
Bounded by request count and time; the servers are always stopped. Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (
    BENCH_DIR,
    NO_LIMITS,
    cpu_seconds,
    free_port,
    machine,
    machine_cpu_seconds,
    percentile,
    running,
    server_env,
    wait_healthy,
)

TARGET_RATIO = 0.6
EMAIL = "bench@example.com"
PASSWORD = "Correct-horse 42 battery"

SCENARIOS = {
    "plain": ("(a) /bench/bare, plain FastAPI (baseline)", "/bench/bare"),
    "jwt": ("(b) GET /api/v1/auth/me, JWT", "/api/v1/auth/me"),
    "api_key": ("(c) GET /api/v1/auth/me, API key", "/api/v1/auth/me"),
    "bare": ("(d) /bench/bare behind our middleware", "/bench/bare"),
    "bare_sync": ("(e) /bench/bare-sync behind it (diag.)", "/bench/bare-sync"),
}


def migrate(data_dir: Path) -> None:
    from adapters.sqlalchemy.migrate import upgrade
    from entrypoints.settings import Settings

    settings = Settings(_env_file=None, profile="local", data_dir=data_dir)  # type: ignore[call-arg]
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    upgrade(settings.resolved_database_url)


def verification_token(outbox: Path, to: str) -> str:
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            body = message.get_body(("plain",))
            found = re.search(r"https?://\S+/verify-email\?token=(\S+)", body.get_content() if body else "")
            if found:
                return found.group(1)
    raise RuntimeError(f"no verification mail to {to} in {outbox}")


def sign_up(base_url: str, data_dir: Path) -> tuple[str, str]:
    """Register, verify from the outbox, log in and create an API key; return (access token, API key)."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:

        def call(method: str, path: str, expected: int, **kwargs: Any) -> dict[str, Any]:
            response = client.request(method, path, **kwargs)
            if response.status_code != expected:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            data: dict[str, Any] = response.json()["data"]
            return data

        call("POST", "/api/v1/auth/register", 201, json={"email": EMAIL, "password": PASSWORD})
        token = verification_token(data_dir / "outbox", EMAIL)
        call("POST", "/api/v1/auth/verify-email", 200, json={"token": token})
        access = call("POST", "/api/v1/auth/login", 200, json={"email": EMAIL, "password": PASSWORD})["access_token"]
        bearer = {"Authorization": f"Bearer {access}"}
        key = call("POST", "/api/v1/api-keys", 201, json={"name": "bench"}, headers=bearer)["key"]
        # Sanity: each credential reaches /auth/me the way we think it does.
        assert call("GET", "/api/v1/auth/me", 200, headers=bearer)["auth"] == "session"
        assert call("GET", "/api/v1/auth/me", 200, headers={"X-API-Key": key})["auth"] == "api_key"
        return access, key


def summarise(results: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        rows = [r for r in results if r["name"] == name]
        latencies = sorted(x for r in rows for x in r["latencies_s"])
        requests = sum(r["requests"] for r in rows)
        bad = sum(v for r in rows for k, v in r["statuses"].items() if k != "200")
        errors = sum(sum(r["errors"].values()) for r in rows)
        out[name] = {
            "rps_rounds": [r["rps"] for r in rows],
            "rps": statistics.median(r["rps"] for r in rows),
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "requests": requests,
            "non_200": bad,
            "errors": errors,
            "server_cpu_us": 1e6 * sum(r["server_cpu_s"] for r in rows) / max(1, requests),
            "server_cpu_util": sum(r["server_cpu_s"] for r in rows) / sum(r["elapsed_s"] for r in rows),
            "client_cpu_util": sum(r["client_cpu_s"] for r in rows) / sum(r["elapsed_s"] for r in rows),
        }
    return out


def print_report(summary: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    print(
        f"load: client={args.client}, {args.concurrency} keep-alive connections, {args.requests} measured requests "
        f"per scenario per round after {args.warmup} warm-up, {args.rounds} interleaved rounds, "
        f"cap {args.max_seconds:g} s per measurement; app log level {args.app_log_level}"
    )
    header = (
        f"{'scenario':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'srv CPU us/req':>15} {'srv CPU':>8} "
        f"{'client CPU':>10} {'non-200':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, s in summary.items():
        print(
            f"{SCENARIOS[name][0]:<40} {s['rps']:>8.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
            f"{s['server_cpu_us']:>15.0f} {s['server_cpu_util']:>7.0%} {s['client_cpu_util']:>10.0%} "
            f"{s['non_200'] + s['errors']:>8}"
        )
        print(f"{'':<40} rounds: {', '.join(f'{x:.0f}' for x in s['rps_rounds'])} req/s")
    for base_name in ("plain", "bare"):
        base = summary[base_name]["rps"]
        for name in ("jwt", "api_key", "bare", "bare_sync"):
            if name == base_name or (base_name == "bare" and name == "bare_sync"):
                continue
            ratio = summary[name]["rps"] / base
            target = base_name == "plain" and name in ("jwt", "api_key")
            verdict = (
                (" meets" if ratio >= TARGET_RATIO else " MISSES") + f" the {TARGET_RATIO}x target" if target else ""
            )
            pair = f"{SCENARIOS[name][0].split()[0]}/{SCENARIOS[base_name][0].split()[0]}"
            print(f"ratio {pair} req/s: {ratio:.2f}x{verdict}")
            if target:  # each round against the baseline's measurement next to it: a speed change hits both
                rounds = zip(summary[name]["rps_rounds"], summary[base_name]["rps_rounds"], strict=True)
                paired = [x / b for x, b in rounds]
                print(
                    f"      {pair} round by round: {', '.join(f'{x:.2f}' for x in paired)}; "
                    f"median {statistics.median(paired):.2f}x; by server CPU per request "
                    f"{summary[base_name]['server_cpu_us'] / summary[name]['server_cpu_us']:.2f}x"
                )
    for name, s in summary.items():
        if s["client_cpu_util"] > 0.9 or s["client_cpu_util"] >= s["server_cpu_util"]:
            print(
                f"WARNING: in {name} the load generator used as much CPU as the server ({s['client_cpu_util']:.0%} vs "
                f"{s['server_cpu_util']:.0%}): the client, not the server, sets the pace and the ratios overstate "
                "/auth/me; use --client raw"
            )


@dataclass
class Served:
    base_url: str
    pid: int
    access_token: str
    api_key: str
    log_path: Path
    data_dir: Path
    plain_url: str = ""  # the plain FastAPI baseline app, when served
    plain_pid: int = 0


def uvicorn_cmd(factory: str, app_dir: Path, port: int) -> list[str]:
    """The same uvicorn options for every app the benchmarks serve."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--app-dir",
        str(app_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-server-header",
    ]


def check_answers(served: Served) -> None:
    """Each measured route must answer what it should; otherwise the ratios would compare something else."""
    expected_bare = {"status": "ok"}
    checks = [
        (served.plain_url, "/bench/bare", {}, lambda body: body == expected_bare),
        (served.base_url, "/bench/bare", {}, lambda body: body == expected_bare),
        (served.base_url, "/bench/bare-sync", {}, lambda body: body == expected_bare),
        (
            served.base_url,
            "/api/v1/auth/me",
            {"Authorization": f"Bearer {served.access_token}"},
            lambda body: body["data"]["email"] == EMAIL and body["data"]["auth"] == "session",
        ),
        (
            served.base_url,
            "/api/v1/auth/me",
            {"X-API-Key": served.api_key},
            lambda body: body["data"]["email"] == EMAIL and body["data"]["auth"] == "api_key",
        ),
    ]
    for base, path, headers, good in checks:
        if not base:
            continue
        response = httpx.get(base + path, headers=headers, timeout=30.0)
        kind = response.headers.get("content-type", "")
        answer = f"{response.status_code} {kind} ({len(response.content)} bytes): {response.text[:120]!r}"
        if response.status_code != 200 or not kind.startswith("application/json") or not good(response.json()):
            raise RuntimeError(f"GET {base}{path} does not answer what the benchmark measures: {answer}")


@contextlib.contextmanager
def serving(
    app_log_level: str = "WARNING",
    factory: str = "app_with_baseline:create_app_with_baseline",
    app_dir: Path = BENCH_DIR,
    extra_env: Mapping[str, str] | None = None,
    plain_baseline: bool = True,
) -> Iterator[Served]:
    """Migrate a fresh data dir, start one uvicorn on the real app + baseline routes, sign up; always stop it.

    `factory`/`app_dir` name another app factory (e.g. an experiment that overrides dependencies) to serve instead;
    `extra_env` adds or overrides MAILAGENT_* settings of the server (e.g. the demo mailbox size).
    """
    with tempfile.TemporaryDirectory(prefix="mailagent-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        migrate(data_dir)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = server_env(
            data_dir,
            port,
            MAILAGENT_LOG_LEVEL=app_log_level,
            MAILAGENT_ACCESS_TOKEN_TTL_SECONDS="3600",
            **NO_LIMITS,
            **(extra_env or {}),
        )
        log_path = Path(tmp) / "server.log"
        try:
            with contextlib.ExitStack() as stack:
                server = stack.enter_context(running(uvicorn_cmd(factory, app_dir, port), env, Path(tmp), log_path))
                plain_url, plain_pid = "", 0
                if plain_baseline:
                    plain_port = free_port()
                    cmd = uvicorn_cmd("app_with_baseline:create_plain_app", BENCH_DIR, plain_port)
                    plain = stack.enter_context(running(cmd, env, Path(tmp), Path(tmp) / "plain.log"))
                    plain_url, plain_pid = f"http://127.0.0.1:{plain_port}", plain.pid
                    wait_ready(plain_url + "/bench/bare", plain)
                wait_healthy(base_url, server)
                access, key = sign_up(base_url, data_dir)
                yield Served(base_url, server.pid, access, key, log_path, data_dir, plain_url, plain_pid)
        except BaseException:
            print(f"--- server log ---\n{log_path.read_text(errors='replace')[-4000:]}", file=sys.stderr)
            raise


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with code {proc.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def scenarios(served: Served, names: Sequence[str] = tuple(SCENARIOS)) -> list[dict[str, Any]]:
    headers = {
        "plain": {},
        "bare": {},
        "jwt": {"Authorization": f"Bearer {served.access_token}"},
        "api_key": {"X-API-Key": served.api_key},
        "bare_sync": {},
    }
    out = []
    for name in names:
        scenario: dict[str, Any] = {"name": name, "path": SCENARIOS[name][1], "headers": headers[name]}
        if name == "plain":  # its own server: the plain FastAPI app
            scenario.update(base_url=served.plain_url, server_pid=served.plain_pid)
        out.append(scenario)
    return out


def load(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Run bench/loadgen.py in its own process with this plan; return its per-measurement results."""
    timeout = int(plan["rounds"]) * len(plan["scenarios"]) * 2 * float(plan["max_seconds"]) + 60
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / "loadgen.py")],
        input=json.dumps(plan).encode(),
        capture_output=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed:\n{done.stderr.decode()}")
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (default 16)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per scenario per round")
    parser.add_argument("--warmup", type=int, default=300, help="warm-up requests before each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median req/s is reported)")
    parser.add_argument("--max-seconds", type=float, default=8.0, help="time cap per measurement")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="load generator client")
    parser.add_argument("--app-log-level", default="WARNING", help="MAILAGENT_LOG_LEVEL for the server")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)

    with serving(args.app_log_level) as served:
        check_answers(served)
        plan = {
            "base_url": served.base_url,
            "server_pid": served.pid,
            "client": args.client,
            "concurrency": args.concurrency,
            "warmup": args.warmup,
            "requests": args.requests,
            "max_seconds": args.max_seconds,
            "rounds": args.rounds,
            "scenarios": scenarios(served),
        }
        started = time.monotonic()
        busy0, total0 = machine_cpu_seconds()
        server0 = cpu_seconds(served.pid) + cpu_seconds(served.plain_pid)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        results = load(plan)
        busy1, total1 = machine_cpu_seconds()
        server1 = cpu_seconds(served.pid) + cpu_seconds(served.plain_pid)
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_seconds = time.monotonic() - started
        loadgen_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
        others = (busy1 - busy0) - (server1 - server0) - loadgen_cpu
        cpus = (total1 - total0) / load_seconds if load_seconds else 0.0
        server_log = served.log_path.read_text(errors="replace").strip()
    summary = summarise(results, list(SCENARIOS))
    print("== GET /api/v1/auth/me vs a bare FastAPI endpoint (and the same route behind our middleware), same run ==")
    print_report(summary, args)
    print(
        f"load phase took {load_seconds:.1f} s; on average the servers used {(server1 - server0) / load_seconds:.2f}, "
        f"the load generator {loadgen_cpu / load_seconds:.2f} and other processes on this machine "
        f"{max(0.0, others) / load_seconds:.2f} of {cpus:.0f} CPUs"
    )
    if server_log:
        print(f"server log (last lines):\n{server_log[-1500:]}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
