"""The outbox relay of a CLI process in the embedded default: it leaves committed jobs and events in the outbox.

A CLI process (`mailagent mail ...`, `mailagent demo deliver`) runs no jobs and serves no live clients: its
in-process job queue is never started and its in-process event bus has no subscribers. Relaying there would mark
the rows relayed and lose them. So it relays nothing, and the serving process (`mailagent serve`, or `mailagent
worker`) picks the rows up with its periodic `outbox.relay` job (every MAILAGENT_OUTBOX_RELAY_SECONDS, 5 s) and
publishes the events to ITS clients. In production the CLI keeps the normal relay: RQ and Redis pub/sub are shared
by every process."""

from __future__ import annotations

from application.outbox import OutboxRelay


class LeaveForServerRelay(OutboxRelay):
    def __init__(self) -> None:  # needs nothing: it never touches the outbox
        pass

    def flush(self) -> tuple[int, int]:
        return 0, 0
