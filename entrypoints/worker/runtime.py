"""Start and stop background work: in `mailagent serve` (embedded default) and `mailagent worker`."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from entrypoints.container import Container

logger = logging.getLogger(__name__)


class InProcessRuntime:
    """The in-process job queue's threads plus the periodic ticker, for the lifetime of the app."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self._started = False

    def start(self) -> None:
        if self._started:
            return
        self._container.job_queue().start()
        self._container.ticker().start()
        self._container.outbox_relay().flush()  # whatever a previous run committed and never relayed
        self._started = True

    def stop(self) -> None:
        if not self._started:
            return
        self._container.ticker().stop()
        self._container.job_queue().stop()
        self._started = False


def run_worker(container: Container, *, burst: bool) -> None:
    """`mailagent worker`: an RQ worker that outlives Redis and database outages in production (see supervisor.py);
    the in-process queue in the local profile (useful without `serve`). `burst` enqueues every periodic job once,
    runs everything due, and returns."""
    if container.settings().profile == "production":
        from entrypoints.worker.supervisor import WorkerSupervisor

        WorkerSupervisor(container, burst=burst).run()
        return

    ticker = container.ticker()
    runtime = InProcessRuntime(container)
    if burst:
        container.job_queue().start()
        ticker.tick()
        container.job_queue().run_until_nothing_due(timeout=3600)
        container.job_queue().stop()
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runtime.start()
    logger.info("worker: running jobs in process; Ctrl-C to stop")
    try:
        stop.wait()
    finally:
        runtime.stop()
