"""A production installation for tests: settings on a given PostgreSQL and Redis, a container to drive use cases
with, and real `mailagent worker` / `mailagent serve` processes started (and killed) by the test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

MAILAGENT = Path(sys.executable).parent / "mailagent"
# Ceilings, not expectations: a process starting on a loaded 2-core machine takes seconds to import and connect.
PROCESS_START_CEILING = 90.0


def wait_until(what: str, check: Callable[[], bool], timeout: float, poll: float = 0.2) -> float:
    """Poll `check` until it holds; returns the seconds it took. Fails after `timeout` seconds."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A `mailagent` command in its own process group, its output in `log`."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [str(MAILAGENT), *args],
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        if self.alive():
            self.signal(signal.SIGKILL)
        self.proc.wait(10)
        if not self._log.closed:
            self._log.close()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


class Installation:
    """Settings (as MAILAGENT_* variables) for one test's production installation, its container, and its
    processes; `close()` kills them and removes the queue's keys."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str, **overrides: str) -> None:
        from entrypoints.container import build_container
        from entrypoints.settings import Settings

        self.tmp = tmp
        self.queue = f"mailagent-t-{uuid.uuid4().hex[:10]}"
        (tmp / "var").mkdir(exist_ok=True)
        self.values = {
            "MAILAGENT_PROFILE": "production",
            "MAILAGENT_DATABASE_URL": database_url,
            "MAILAGENT_REDIS_URL": redis_url,
            "MAILAGENT_JWT_SECRET": "installation-test-secret-" + "x" * 40,
            "MAILAGENT_MAILER": "outbox",
            "MAILAGENT_DATA_DIR": str(tmp / "var"),
            "MAILAGENT_DEMO_MAILBOX": "true",
            "MAILAGENT_DEMO_MAILBOX_SIZE": "3",
            "MAILAGENT_JOB_QUEUE_NAME": self.queue,
            "MAILAGENT_EVENT_CHANNEL": f"mailagent-test:{self.queue}",
            "MAILAGENT_LOG_LEVEL": "INFO",
            "MAILAGENT_ARGON2_TIME_COST": "1",
            "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
            "MAILAGENT_ARGON2_PARALLELISM": "1",
            "MAILAGENT_REQUIRE_VERIFIED_EMAIL": "false",
            **{k if k.startswith("MAILAGENT_") else f"MAILAGENT_{k.upper()}": v for k, v in overrides.items()},
        }
        self.redis_url = redis_url
        base = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
        self.env = {**base, **self.values}
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            **{k.removeprefix("MAILAGENT_").lower(): v for k, v in self.values.items()},
        )
        self.container: Any = build_container(settings)
        self.processes: list[Process] = []

    def start(self, *args: str, name: str | None = None, **env: str) -> Process:
        extra = {k if k.startswith("MAILAGENT_") else f"MAILAGENT_{k.upper()}": v for k, v in env.items()}
        label = name or f"{args[0]}-{len(self.processes)}"
        process = Process(list(args), {**self.env, **extra}, self.tmp / f"{label}.log")
        self.processes.append(process)
        return process

    def worker(self, name: str | None = None, **env: str) -> Process:
        return self.start("worker", name=name, **env)

    def live_worker(self, process: Process) -> str | None:
        """The heartbeat id of `process` if it is among the live workers."""
        found = [w.id for w in self.container.job_queue().status().workers if w.pid == process.pid]
        return found[0] if found else None

    def wait_for_worker(self, process: Process, timeout: float = PROCESS_START_CEILING) -> str:
        wait_until(f"worker {process.pid}'s first heartbeat", lambda: self.live_worker(process) is not None, timeout)
        found = self.live_worker(process)
        assert found is not None
        return found

    def close(self) -> None:
        from tests.contract.test_job_queue import remove_rq_queue

        for process in self.processes:
            process.kill()
        with contextlib.suppress(Exception):
            import redis

            remove_rq_queue(redis.Redis.from_url(self.redis_url, socket_timeout=5), self.queue)
        with contextlib.suppress(Exception):
            self.container.engine().dispose()
