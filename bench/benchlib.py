"""Shared helpers for the benchmarks: free ports, server processes, health polling, /proc readings, percentiles.

Benchmarks print same-run figures; they are not timed tests and `make test` does not run them.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent

# Fast password hashing (the benchmarks measure requests, not argon2) and limits the load cannot reach.
FAST_ARGON2 = {
    "MAILAGENT_ARGON2_TIME_COST": "1",
    "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
    "MAILAGENT_ARGON2_PARALLELISM": "1",
}
NO_LIMITS = {
    "MAILAGENT_RATE_LIMIT_PER_MINUTE": "1000000000",
    "MAILAGENT_ANONYMOUS_RATE_LIMIT_PER_MINUTE": "1000000000",
    "MAILAGENT_LOGIN_FAILURES_PER_IP": "1000000",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The embedded default profile in a private data dir; no `.env` from the working tree leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
    env.update(
        {
            "MAILAGENT_PROFILE": "local",
            "MAILAGENT_DATA_DIR": str(data_dir),
            "MAILAGENT_HOST": "127.0.0.1",
            "MAILAGENT_PORT": str(port),
            "MAILAGENT_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "MAILAGENT_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # The code of the checkout this bench is in, not whatever the virtualenv's editable install points at
            # (a bench run from a second worktree to compare two commits measured the first one's code).
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
            **FAST_ARGON2,
            **extra,
        }
    )
    return env


def start(cmd: Sequence[str], env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own process group so that stopping it also stops anything it spawned."""
    log = log_path.open("wb")
    return subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


@contextlib.contextmanager
def running(cmd: Sequence[str], env: dict[str, str], cwd: Path, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = start(cmd, env, cwd, log_path)
    try:
        yield proc
    finally:
        stop(proc)


def wait_healthy(base_url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0, interval: float = 0.01) -> float:
    """Poll /healthz until it answers 200; return the monotonic time at which it did."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode} before it was healthy")
            try:
                if client.get("/healthz").status_code == 200:
                    return time.monotonic()
            except httpx.TransportError:
                pass
            time.sleep(interval)
    raise TimeoutError(f"{base_url}/healthz did not answer 200 within {timeout} s")


def children(pid: int) -> list[int]:
    """Every descendant process of pid (Linux /proc)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        path = Path(f"/proc/{parent}/task/{parent}/children")
        try:
            kids = [int(x) for x in path.read_text().split()]
        except OSError:
            kids = []
        found += kids
        frontier += kids
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed by one process so far (Linux /proc/<pid>/stat)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} logical CPUs (nproc {len(os.sched_getaffinity(0))}){', ' + cpu if cpu else ''}; "
        f"{platform.python_implementation()} {platform.python_version()}; {platform.system()} {platform.release()}"
    )


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, summed over CPUs (Linux /proc/stat)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0, 0.0
    ticks = [int(x) for x in first[1:9]]  # user nice system idle iowait irq softirq steal (guest is in user)
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def load_average() -> str:
    """The 1/5/15-minute load averages, as `uptime` prints them (how busy the shared machine was)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


class MachineBusy:
    """How many of the machine's CPUs were busy (everyone's processes, ours included) between start and stop."""

    def __init__(self) -> None:
        self._busy, self._total = machine_cpu_seconds()

    def cpus_busy(self) -> float:
        busy, total = machine_cpu_seconds()
        elapsed = (total - self._total) / max(1, os.cpu_count() or 1)
        return (busy - self._busy) / elapsed if elapsed > 0 else 0.0
