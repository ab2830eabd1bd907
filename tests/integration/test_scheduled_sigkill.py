"""Scheduled sends survive SIGKILL at every step (PostgreSQL + Redis + `mailagent worker`, the demo mailbox).

For each step of a send — after the row is claimed (`claimed`), after the provider sent but before the row is
marked (`provider_sent`), after marking but before the event relay (`marked_sent`), and in the dispatcher after it
claimed but before it enqueued the send jobs (`dispatch_claimed`) — a batch of mails is scheduled while a worker runs
with MAILAGENT_CRASH_AT=<step>: every RQ work horse reaching that step kills itself with SIGKILL, and then the whole
worker is SIGKILLed too. Finally a clean worker starts; once the leases expire it takes the mails back. Every mail
ends `sent`, its Message-ID is in the mailbox's Sent exactly once, and one `scheduled_email.sent` event is stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.sqlalchemy.migrate import upgrade
from application.mail_compose import Compose
from application.use_cases.create_user import CreateUserInput
from application.use_cases.mail.connect_demo_account import ConnectDemoAccountInput
from application.use_cases.scheduled.schedule_email import ScheduleEmailInput
from domain.events import EventType
from domain.identity import USER_SCOPES, Principal, new_id
from domain.mail import SENT, EmailAddress, OutgoingMessage
from domain.mime import deterministic_message_id
from domain.scheduled_email import ResolvedSendTime, ScheduledEmail, ScheduledStatus
from entrypoints.container import build_container
from entrypoints.settings import Settings
from tests.contract.test_job_queue import remove_rq_queue

PER_STEP = 5
LEASE_SECONDS = 12.0  # long enough that a crash phase does not take its own batch back, short for the test
MAILAGENT = Path(sys.executable).parent / "mailagent"
SEND_STEPS = ["claimed", "provider_sent", "marked_sent"]


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [str(MAILAGENT), "worker"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the RQ worker and its work horses
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()


def wait_until(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def installation(tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any) -> Iterator[dict[str, Any]]:
    queue = f"mailagent-sigkill-{uuid.uuid4().hex[:10]}"
    env_values = {
        "MAILAGENT_PROFILE": "production",
        "MAILAGENT_DATABASE_URL": postgres_url,
        "MAILAGENT_REDIS_URL": redis_url,
        "MAILAGENT_JWT_SECRET": "sigkill-test-secret-" + "x" * 40,
        "MAILAGENT_MAILER": "outbox",
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_DEMO_MAILBOX": "true",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "3",
        "MAILAGENT_JOB_QUEUE_NAME": queue,
        "MAILAGENT_EVENT_CHANNEL": f"mailagent-test:{queue}",
        "MAILAGENT_SCHEDULED_LEASE_SECONDS": str(LEASE_SECONDS),
        "MAILAGENT_SCHEDULED_DISPATCH_SECONDS": "1",
        "MAILAGENT_OUTBOX_RELAY_SECONDS": "1",
        "MAILAGENT_LOG_LEVEL": "WARNING",
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
    }
    (tmp_path / "var").mkdir()
    upgrade(postgres_url)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
    settings = Settings(_env_file=None, **{k.removeprefix("MAILAGENT_").lower(): v for k, v in env_values.items()})  # type: ignore[arg-type]
    container = build_container(settings)
    workers: list[Worker] = []
    try:
        yield {
            "env": {**base_env, **env_values},
            "container": container,
            "workers": workers,
            "tmp": tmp_path,
            "queue": queue,
        }
    finally:
        for worker in workers:
            worker.kill()
        remove_rq_queue(redis_client, queue)
        redis_client.delete(f"rq:scheduler-lock:{queue}")
        container.engine().dispose()


def test_sigkill_at_every_step_loses_nothing_and_sends_nothing_twice(installation: dict[str, Any]) -> None:
    started = time.monotonic()
    container = installation["container"]
    tmp: Path = installation["tmp"]
    user = container.create_user().execute(CreateUserInput(email="me@example.com", password="Pass-word 1234!"))
    principal = Principal(user, USER_SCOPES)
    account = container.connect_demo_account().execute(ConnectDemoAccountInput(principal))
    mailbox = container.mailboxes().open(account)
    clock = container.clock()

    def status(ids: list[str]) -> Counter[ScheduledStatus]:
        with container.uow() as uow:
            return Counter(uow.scheduled_emails.get(i).status for i in ids)

    def crashed(log: Path) -> list[list[str]]:
        return [line.split() for line in log.read_text().splitlines()] if log.exists() else []

    def start(crash_at: str | None, log: Path | None = None) -> Worker:
        env = dict(installation["env"])
        if crash_at:
            env["MAILAGENT_CRASH_AT"] = crash_at
            env["MAILAGENT_CRASH_LOG"] = str(log)
        installation["workers"].append(Worker(env, tmp / f"worker-{crash_at or 'clean'}.log"))
        return installation["workers"][-1]

    batches: dict[str, list[str]] = {}
    for step in SEND_STEPS:
        log = tmp / f"crash-{step}.log"
        worker = start(step, log)
        ids = []
        for n in range(PER_STEP):
            when = (clock.now() + timedelta(seconds=1)).isoformat()
            compose = Compose(to=(f"bob+{step}{n}@example.com",), subject=f"{step} {n}", text_body="hello")
            ids.append(container.schedule_email().execute(ScheduleEmailInput(principal, compose, when)).email.id)
        batches[step] = ids
        wait_until(
            f"every mail of the batch to crash at {step}",
            lambda: set(ids) <= {parts[2] for parts in crashed(log) if parts[0] == step},  # noqa: B023
            timeout=30,
        )
        worker.kill()  # the worker itself dies by SIGKILL too, with whatever it was doing
        installation["container"].redis_client().delete(f"rq:scheduler-lock:{installation['queue']}")
        counts = status(ids)
        if step == "marked_sent":
            assert counts == Counter({ScheduledStatus.SENT: PER_STEP})  # marked; only the relay was cut short
        else:
            assert counts == Counter({ScheduledStatus.SENDING: PER_STEP})

    # The dispatcher's own crash: rows due with no delayed job (as if Redis lost it), claimed, never enqueued.
    lost = []
    with container.uow() as uow:
        for n in range(PER_STEP):
            email_id = new_id()
            message = OutgoingMessage(
                to=(EmailAddress(address=f"carol+{n}@example.com"),),
                subject=f"dispatch {n}",
                text_body="hello",
                from_=EmailAddress(address=account.address),
                message_id=deterministic_message_id(f"scheduled:{account.id}:{email_id}", "demo.mailagent.local"),
            )
            when = ResolvedSendTime(clock.now(), "UTC")
            uow.scheduled_emails.add(
                ScheduledEmail.new(
                    id=email_id, user_id=user.id, account_id=account.id, message=message, when=when, now=clock.now()
                )
            )
            lost.append(email_id)
        uow.commit()
    batches["dispatch_claimed"] = lost
    log = tmp / "crash-dispatch_claimed.log"
    worker = start("dispatch_claimed", log)
    wait_until(
        "the dispatcher to claim the batch and crash",
        lambda: bool(crashed(log)) and status(lost) == Counter({ScheduledStatus.SENDING: PER_STEP}),
        timeout=30,
    )
    worker.kill()
    with container.uow() as uow:
        assert all(uow.scheduled_emails.get(i).lease_owner for i in lost)

    everything = [i for ids in batches.values() for i in ids]
    assert not any(status(everything)[s] for s in (ScheduledStatus.FAILED, ScheduledStatus.SCHEDULED))
    start(None)  # a clean worker: takes back what the dead ones held once their leases expire
    wait_until(
        "every mail to be sent",
        lambda: status(everything) == Counter({ScheduledStatus.SENT: len(everything)}),
        timeout=LEASE_SECONDS + 90,  # generous: on a loaded 2-core machine RQ workers start slowly
    )

    with container.uow() as uow:
        rows = {i: uow.scheduled_emails.get(i) for i in everything}
        events = [
            e for e in uow.events.after(user.id, 0, limit=10_000) if e.event.type is EventType.SCHEDULED_EMAIL_SENT
        ]
    for email_id, row in rows.items():
        assert row is not None and row.status is ScheduledStatus.SENT
        copies = mailbox.search(f"rfc822msgid:{row.message_id}", label_ids=[SENT], limit=10).messages
        assert [m.id for m in copies] == [row.provider_message_id], email_id  # in Sent exactly once
    sent_ids = [m.message_id_header for m in mailbox.search("in:sent", label_ids=[SENT], limit=500).messages]
    ours = {row.message_id for row in rows.values() if row is not None}
    assert Counter(m for m in sent_ids if m in ours) == Counter(dict.fromkeys(ours, 1))
    assert sorted(e.event.data["scheduled_id"] for e in events) == sorted(everything)  # one event each
    # The crashed attempts really happened where they were meant to: each mail of a send step died there.
    for step in SEND_STEPS:
        assert set(batches[step]) <= {p[2] for p in crashed(tmp / f"crash-{step}.log") if p[0] == step}
    assert all(rows[i].attempts >= 2 for i in batches["claimed"] + batches["provider_sent"])  # type: ignore[union-attr]
    assert time.monotonic() - started < 120
