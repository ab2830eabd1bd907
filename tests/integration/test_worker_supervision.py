"""`mailagent worker` processes share the scheduler role: when its holder dies another worker takes it within 15 s
(the role's 10 s lease plus a poll), and at once when the holder stops cleanly; a send due meanwhile is not late by
minutes. A worker waits out a Redis restart (a private Redis the test stops and starts) and goes on by itself,
logging the outage once. Real PostgreSQL, Redis and worker processes."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.sqlalchemy.migrate import upgrade
from application.mail_compose import Compose
from application.use_cases.create_user import CreateUserInput
from application.use_cases.mail.connect_demo_account import ConnectDemoAccountInput
from application.use_cases.scheduled.schedule_email import ScheduleEmailInput
from domain.identity import USER_SCOPES, Principal
from domain.scheduled_email import ScheduledStatus
from tests.support.installation import Installation, wait_until
from tests.support.services import PrivateRedis

TAKEOVER_SECONDS = 15.0  # the promise (docs/operations.md): 10 s lease + 1 s poll, with room for a loaded machine


@pytest.fixture
def installation(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Installation]:
    upgrade(postgres_url)
    # The periodic sweep once a minute: a send due meanwhile can only go out through its wake-up, which needs a
    # scheduler to move it onto the queue.
    found = Installation(tmp_path, postgres_url, redis_url, scheduled_dispatch_seconds="60")
    try:
        yield found
    finally:
        found.close()


def test_the_scheduler_role_moves_on_when_its_holder_dies_or_stops(installation: Installation) -> None:
    container = installation.container
    jobs = container.job_queue()
    workers = [installation.worker(f"worker-{n}") for n in range(3)]
    ids = {installation.wait_for_worker(w): w for w in workers}
    wait_until("one worker to hold the scheduler role", lambda: jobs.status().scheduler in ids, 30)
    holder = ids[jobs.status().scheduler]

    user = container.create_user().execute(CreateUserInput(email="me@example.com", password="Pass-word 1234!"))
    principal = Principal(user, USER_SCOPES)
    container.connect_demo_account().execute(ConnectDemoAccountInput(principal))
    when = container.clock().now() + timedelta(seconds=5)
    email = (
        container.schedule_email()
        .execute(
            ScheduleEmailInput(
                principal, Compose(to=("bob@example.com",), subject="due", text_body="x"), when.isoformat()
            )
        )
        .email
    )

    holder.signal(signal.SIGKILL)
    killed = time.monotonic()
    survivors = {i: w for i, w in ids.items() if w is not holder}
    took = wait_until("a surviving worker to take the scheduler role", lambda: jobs.status().scheduler in survivors, 60)
    assert took <= TAKEOVER_SECONDS, f"the scheduler role took {took:.1f} s to move"
    assert time.monotonic() - killed < 60

    def sent() -> bool:
        with container.uow() as uow:
            row = uow.scheduled_emails.get(email.id)
        return row is not None and row.status is ScheduledStatus.SENT

    wait_until("the email due during the takeover to be sent", sent, 60)
    with container.uow() as uow:
        row = uow.scheduled_emails.get(email.id)
    assert row is not None and row.sent_at is not None
    assert row.sent_at - row.send_at <= timedelta(seconds=TAKEOVER_SECONDS), row.sent_at - row.send_at

    # A clean stop (SIGTERM) hands the role over at once and says goodbye.
    new_holder_id = jobs.status().scheduler
    new_holder = survivors.pop(new_holder_id)
    new_holder.signal(signal.SIGTERM)
    (last_id,) = survivors
    took = wait_until(
        "the last worker to take the role after a clean stop", lambda: jobs.status().scheduler == last_id, 30
    )
    assert took <= 5, f"the scheduler role took {took:.1f} s to move after a clean stop"
    wait_until("the stopped worker to exit", lambda: not new_holder.alive(), 60)
    assert new_holder.proc.returncode == 0, new_holder.output()[-2000:]
    assert new_holder_id not in {w.id for w in jobs.status().workers}  # its heartbeat went with it
    assert "Traceback" not in new_holder.output()
    # The killed one could not say goodbye: it drops out of the live workers when its heartbeat expires.
    wait_until("the killed worker to drop out", lambda: {w.id for w in jobs.status().workers} == {last_id}, 30)


def schedule_one(installation: Installation, subject: str, seconds: float = 1) -> str:
    container = installation.container
    with container.uow() as uow:
        user = uow.users.get_by_email("me@example.com")
    if user is None:
        user = container.create_user().execute(CreateUserInput(email="me@example.com", password="Pass-word 1234!"))
        container.connect_demo_account().execute(ConnectDemoAccountInput(Principal(user, USER_SCOPES)))
    when = (container.clock().now() + timedelta(seconds=seconds)).isoformat()
    compose = Compose(to=("bob@example.com",), subject=subject, text_body="x")
    return str(
        container.schedule_email().execute(ScheduleEmailInput(Principal(user, USER_SCOPES), compose, when)).email.id
    )


def is_sent(installation: Installation, email_id: str) -> bool:
    with installation.container.uow() as uow:
        row = uow.scheduled_emails.get(email_id)
    return row is not None and row.status is ScheduledStatus.SENT


def test_a_worker_waits_out_a_redis_restart_and_goes_on(tmp_path: Path, postgres_url: str) -> None:
    upgrade(postgres_url)
    redis_server = PrivateRedis(tmp_path / "redis")
    redis_server.start()
    installation = Installation(tmp_path, postgres_url, redis_server.url, scheduled_dispatch_seconds="1")
    try:
        worker = installation.worker("worker")
        installation.wait_for_worker(worker)
        before = schedule_one(installation, "before")
        wait_until("a send before the outage", lambda: is_sent(installation, before), 60)

        redis_server.stop()
        wait_until("the worker to notice", lambda: "redis is unreachable" in worker.output(), 30)
        redis_server.start()  # an empty Redis: no persistence, like the shared one in tests
        worker_id = installation.wait_for_worker(worker, timeout=60)
        (status,) = [w for w in installation.container.job_queue().status().workers if w.id == worker_id]
        assert status.outages == {"redis": 1} and status.down == ()
        after = schedule_one(installation, "after")
        wait_until("a send after the outage", lambda: is_sent(installation, after), 60)

        assert worker.alive()
        log = worker.output()
        assert log.count("redis is unreachable") == 1, log[-3000:]  # once per outage, not once per retry
        assert "redis is reachable again after" in log
        assert "Traceback" not in log and "quitting" not in log, log[-3000:]
    finally:
        installation.close()
        redis_server.stop()
