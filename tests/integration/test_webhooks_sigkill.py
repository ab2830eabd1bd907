"""Webhook deliveries survive a worker SIGKILLed mid-delivery (PostgreSQL + Redis + `mailagent worker`).

Three events are relayed into deliveries and RQ jobs. The receiver holds the first request it gets open (a hung
answer), so the worker is inside a POST when the test SIGKILLs its process group. A clean worker starts: it delivers
the other two, and the periodic sweep hands the killed one (its lease ran out, its RQ job died with the worker) to it
again. Every event reaches the receiver — the killed one twice, with the same webhook-id, as at-least-once allows —
every request verifies with standardwebhooks, and every delivery ends `delivered` with its attempt recorded.

Every wait is on a condition with a ceiling sized for a loaded 2-core machine."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from adapters.sqlalchemy.migrate import upgrade
from application.use_cases.create_user import CreateUserInput
from application.use_cases.notifications.manage_webhooks import CreateWebhookInput
from domain.events import DomainEvent, EventType
from domain.identity import USER_SCOPES, Principal, new_id
from domain.webhooks import DeliveryStatus
from tests.support.installation import Installation, wait_until
from tests.support.webhook_receiver import running_receiver

CEILING = 180.0  # a ceiling, not an expectation


@pytest.fixture
def installation(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Installation]:
    upgrade(postgres_url)
    found = Installation(
        tmp_path,
        postgres_url,
        redis_url,
        webhook_allow_loopback="true",
        webhook_timeout_seconds="30",
        webhook_lease_seconds="31",
        webhook_sweep_seconds="1",
        outbox_relay_seconds="1",
        log_level="WARNING",
    )
    try:
        yield found
    finally:
        found.close()


@pytest.mark.property(52, 53)
def test_a_worker_killed_mid_delivery_loses_nothing(installation: Installation) -> None:
    container = installation.container
    user = container.create_user().execute(CreateUserInput(email="me@example.com", password="Pass-word 1234!"))
    principal = Principal(user, USER_SCOPES)
    with running_receiver(hang_seconds=120) as receiver:
        receiver.script("/in", "hang")
        created = container.create_webhook().execute(CreateWebhookInput(principal, receiver.url("/in"), ("*",)))
        events = [new_id() for _ in range(3)]
        with container.uow() as uow:
            for eid in events:
                uow.events.append(DomainEvent(eid, user.id, EventType.EMAIL_RECEIVED, datetime.now(UTC), {"n": eid}))
            uow.commit()
        container.outbox_relay().flush()

        doomed = installation.worker(name="doomed")
        wait_until("the first request to hang at the receiver", lambda: len(receiver.received("/in")) >= 1, CEILING)
        doomed.signal(signal.SIGKILL)
        doomed.kill()
        hung = receiver.received("/in")[0].headers["webhook-id"]

        installation.worker(name="clean")

        def statuses() -> dict[str, DeliveryStatus]:
            with container.uow() as uow:
                found = uow.webhooks.deliveries_for_endpoint(created.endpoint.id, status=None, before=None, limit=10)
            return {d.event_id: d.status for d in found}

        wait_until(
            "every delivery delivered",
            lambda: statuses() == dict.fromkeys(events, DeliveryStatus.DELIVERED),
            CEILING,
        )
        got = receiver.received("/in")
        assert {r.headers["webhook-id"] for r in got} == set(events)  # nothing lost
        assert [r.headers["webhook-id"] for r in got].count(hung) == 2  # the killed one, sent again
        for request in got:
            Webhook(created.secret).verify(request.body, request.headers)
        with container.uow() as uow:
            for d in uow.webhooks.deliveries_for_endpoint(created.endpoint.id, status=None, before=None, limit=10):
                attempts = uow.webhooks.attempts(d.id)
                assert [a.outcome for a in attempts][-1] == "delivered"
