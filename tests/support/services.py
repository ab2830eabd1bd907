"""Private Redis and PostgreSQL servers for fault tests: started on a free port of 127.0.0.1 by the test, and stopped,
hung (SIGSTOP) or restarted by it. The shared servers (6379, 5432) are never touched."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.support.installation import free_port, wait_until

START_CEILING = 60.0  # seconds; a ceiling for a loaded machine, not an expectation


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


class PrivateRedis:
    """`redis-server` without persistence (like the shared one) on its own port; `stop()` and `start()` again
    are a restart that loses every key, `pause()`/`resume()` hang it (SIGSTOP/SIGCONT)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(f"redis on port {self.port} to accept connections", lambda: _accepts(self.port), START_CEILING)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (initdb) on its own port, trust authentication, fsync off. As root the
    cluster belongs to the `postgres` system user (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.datadir = Path(tempfile.mkdtemp(prefix="mailagent-pg-"))
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.datadir, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        binary = shutil.which(tool) or str(next(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}")))
        command = [binary, *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.datadir / "server.log"), "-w", "start"
        )
        wait_until(f"postgres on port {self.port}", lambda: _accepts(self.port), START_CEILING)

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()  # pg_ctl -w returns once the server is down
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.datadir, ignore_errors=True)
