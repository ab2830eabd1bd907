"""`mailagent webhooks ...`: a user's outgoing webhooks from a terminal — the same use cases as the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from application.use_cases.notifications.manage_webhooks import CreateWebhookInput, ListWebhooksInput
from application.use_cases.notifications.webhook_deliveries import (
    ListDeliveriesInput,
    ReplayDeliveryInput,
    ReplayFailedSinceInput,
    TestWebhookInput,
)
from domain.webhooks import ALL_EVENTS, WEBHOOK_EVENT_TYPES, DeliveryStatus
from entrypoints.cli.mail import UserOpt, _container, _fail, _principal, _run

webhooks_app = typer.Typer(help="Outgoing webhooks: signed deliveries of your mail events.", no_args_is_help=True)
console = Console()


@webhooks_app.command("list")
def list_webhooks(user: UserOpt = None) -> None:
    """Your endpoints."""
    container = _container()
    found = _run(lambda: container.list_webhooks().execute(ListWebhooksInput(_principal(container, user))))
    table = Table(title="webhook endpoints")
    for column in ("id", "url", "events", "enabled", "description"):
        table.add_column(column, overflow="fold")
    for e in found:
        state = "yes" if e.enabled else f"no ({e.disabled_reason.value if e.disabled_reason else 'off'})"
        table.add_row(e.id, e.url, ", ".join(sorted(e.event_types)), state, e.description)
    console.print(table)


@webhooks_app.command("create")
def create(
    url: Annotated[str, typer.Argument(help="https URL of the receiver (http://127.0.0.1 in the embedded default)")],
    event: Annotated[
        list[str] | None,
        typer.Option(
            "--event", "-e", help=f"Event type (repeat; default '{ALL_EVENTS}'): {', '.join(WEBHOOK_EVENT_TYPES)}"
        ),
    ] = None,
    description: Annotated[str, typer.Option(help="What it is for")] = "",
    user: UserOpt = None,
) -> None:
    """Register an endpoint and print its signing secret (shown this once)."""
    container = _container()
    principal = _principal(container, user)
    created = _run(
        lambda: container.create_webhook().execute(
            CreateWebhookInput(principal, url, tuple(event or [ALL_EVENTS]), description)
        )
    )
    console.print(f"endpoint [bold]{created.endpoint.id}[/bold] → {created.endpoint.url}")
    console.print("signing secret (shown once; verify deliveries with a Standard Webhooks library):")
    print(created.secret, flush=True)


@webhooks_app.command("test")
def test(endpoint_id: str, user: UserOpt = None) -> None:
    """Send a signed webhook.test event now and show how it went."""
    container = _container()
    principal = _principal(container, user)
    report = _run(lambda: container.test_webhook().execute(TestWebhookInput(principal, endpoint_id)))
    attempt = report.attempt
    if attempt is None:
        _fail("Nothing was sent (the endpoint is disabled or gone).")
    assert attempt is not None
    status = attempt.status_code if attempt.status_code is not None else "no answer"
    console.print(f"{report.delivery.status.value}: {status} in {attempt.latency_ms} ms {attempt.error or ''}")
    if report.delivery.status is not DeliveryStatus.DELIVERED:
        raise typer.Exit(1)


@webhooks_app.command("deliveries")
def deliveries(
    endpoint_id: str,
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    user: UserOpt = None,
) -> None:
    """An endpoint's deliveries, newest first, with every attempt."""
    container = _container()
    principal = _principal(container, user)
    found = _run(
        lambda: container.list_webhook_deliveries().execute(
            ListDeliveriesInput(principal, endpoint_id, status=status, limit=limit)
        )
    )
    table = Table(title=f"deliveries of {endpoint_id}")
    for column in ("id", "created", "type", "status", "attempts"):
        table.add_column(column, overflow="fold")
    for d, attempts in found:
        log = "; ".join(
            f"#{a.number} {a.status_code if a.status_code is not None else '-'} {a.latency_ms}ms"
            + (f" {a.error}" if a.error else "")
            for a in attempts
        )
        table.add_row(d.id, f"{d.created_at:%Y-%m-%d %H:%M:%S}", d.event_type, d.status.value, log or "-")
    console.print(table)


@webhooks_app.command("replay")
def replay(
    delivery_id: Annotated[str | None, typer.Argument(help="The delivery to send again")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="With --since: the endpoint whose failed deliveries to replay")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Replay every failed delivery created since (ISO 8601, UTC if no offset)")
    ] = None,
    user: UserOpt = None,
) -> None:
    """Send one delivery again, or every failed one of an endpoint since a time (--endpoint ID --since TIME)."""
    container = _container()
    principal = _principal(container, user)
    if delivery_id:
        again = _run(lambda: container.replay_webhook_delivery().execute(ReplayDeliveryInput(principal, delivery_id)))
        console.print(f"delivery {again.id} queued again (webhook-id {again.event_id})")
        return
    if not (endpoint and since):
        _fail("Give a delivery id, or --endpoint ID --since TIME.")
    assert endpoint is not None and since is not None
    from datetime import UTC

    moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    count = _run(
        lambda: container.replay_failed_webhooks().execute(ReplayFailedSinceInput(principal, endpoint, moment))
    )
    console.print(f"{count} failed deliveries queued again")
