"""Scheduled-send jobs: `scheduled.dispatch` (claim due and abandoned rows in batches and send them; the wake-up
at a send time and the periodic sweep) and `scheduled.send` (one email by id and version, as enqueued by versions
before batches; still honoured).

Crash testing: with MAILAGENT_CRASH_AT=<step>[:<n>] the process kills itself with SIGKILL the n-th time (default:
the first) it reaches <step>: `claimed` (a batch is claimed), `provider_sent` (one email is sent, not yet marked)
or `marked_sent` (marked, not yet relayed). With MAILAGENT_CRASH_LOG=<file> a line `<step> <pid> <ids>` is appended
first (`<ids>`: the email ids concerned, comma-separated). Never set these in a real installation."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from application.ports.job_queue import PERIODIC_LANE, JobPayload, JobRegistry
from application.use_cases.scheduled.common import DISPATCH_JOB, SEND_JOB
from application.use_cases.scheduled.dispatch_due_scheduled_emails import DispatchDueScheduledEmailsInput
from application.use_cases.scheduled.send_scheduled_email import SendScheduledEmailInput
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from entrypoints.container import Container

CRASH_ENV = "MAILAGENT_CRASH_AT"
CRASH_LOG_ENV = "MAILAGENT_CRASH_LOG"
STEPS = frozenset({"claimed", "provider_sent", "marked_sent"})


def crash_hook(spec: str | None = None, log_path: str | None = None) -> Callable[[str, str], None] | None:
    """The checkpoint that kills this process at the configured step, or None when crash testing is off."""
    spec = spec if spec is not None else os.environ.get(CRASH_ENV, "")
    log_path = log_path if log_path is not None else os.environ.get(CRASH_LOG_ENV)
    if not spec:
        return None
    step, _, nth = spec.partition(":")
    if step not in STEPS or (nth and not nth.isdigit()):
        raise ValueError(f"{CRASH_ENV} must be <step>[:<n>] with a step among {sorted(STEPS)}")
    target = int(nth or 1)
    reached = {"count": 0}

    def checkpoint(name: str, detail: str = "") -> None:
        if name != step:
            return
        reached["count"] += 1
        if reached["count"] != target:
            return
        if log_path:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{name} {os.getpid()} {detail}\n")
                log.flush()
                os.fsync(log.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def _owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def register(registry: JobRegistry, container: Container) -> None:
    hook = crash_hook()

    def send(payload: JobPayload) -> None:
        email_id, version = payload.get("id"), payload.get("version")
        if not isinstance(email_id, str) or not isinstance(version, int) or isinstance(version, bool):
            raise ValidationFailed("scheduled.send needs {'id': str, 'version': int}.")
        container.send_scheduled_email().execute(SendScheduledEmailInput(email_id, version, _owner(), checkpoint=hook))

    def dispatch(_: JobPayload) -> None:
        container.dispatch_due_scheduled_emails().execute(DispatchDueScheduledEmailsInput(_owner(), checkpoint=hook))

    registry.register(SEND_JOB, send)
    # Periodic lane: the sweep runs on time whatever else is queued, and every wake-up is as cheap as a sweep.
    registry.register(DISPATCH_JOB, dispatch, lane=PERIODIC_LANE)
