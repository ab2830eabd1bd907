"""`mailagent webhooks list|create|test|deliveries|replay` against a real local receiver: the secret printed once
verifies what the receiver got, the deliveries log shows every attempt, a dead-lettered delivery is replayed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from typer.testing import CliRunner

from domain.webhooks import MAX_ATTEMPTS
from entrypoints.cli.main import app
from tests.support.app import Api, make_app, make_settings
from tests.support.webhook_receiver import running_receiver

runner = CliRunner()


def test_webhooks_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILAGENT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MAILAGENT_JWT_SECRET", "test-secret-" + "x" * 40)
    monkeypatch.setenv("COLUMNS", "250")
    settings = make_settings(tmp_path)
    app_, container = make_app(settings)
    Api(app_, settings).signup("ann@example.com")
    me = ["--user", "ann@example.com"]
    with running_receiver() as receiver:
        created = runner.invoke(app, ["webhooks", "create", receiver.url("/in"), "-e", "email.received", *me])
        assert created.exit_code == 0, created.output
        secret = re.search(r"whsec_\S+", created.output)
        endpoint = re.search(r"endpoint (\w+)", created.output)
        assert secret and endpoint
        endpoint_id = endpoint.group(1)

        listed = runner.invoke(app, ["webhooks", "list", *me])
        assert listed.exit_code == 0 and endpoint_id in listed.output and "email.received" in listed.output
        assert secret.group(0) not in listed.output

        tested = runner.invoke(app, ["webhooks", "test", endpoint_id, *me])
        assert tested.exit_code == 0, tested.output
        assert "delivered: 200" in tested.output
        (got,) = receiver.received("/in")
        assert Webhook(secret.group(0)).verify(got.body, got.headers)["type"] == "webhook.test"

        receiver.script("/in", *["500"] * MAX_ATTEMPTS)
        failing = runner.invoke(app, ["webhooks", "test", endpoint_id, *me])
        assert failing.exit_code == 1 and "pending: 500" in failing.output
        (pending,) = [
            d
            for d, _ in container.list_webhook_deliveries().execute(_list(container, endpoint_id))
            if d.status.value == "pending"
        ]
        for _ in range(MAX_ATTEMPTS - 1):
            container.deliver_webhook().execute(pending.id)

        log = runner.invoke(app, ["webhooks", "deliveries", endpoint_id, "--status", "failed", *me])
        assert log.exit_code == 0, log.output
        assert pending.id in log.output and f"#{MAX_ATTEMPTS} 500" in log.output

        replayed = runner.invoke(app, ["webhooks", "replay", pending.id, *me])
        assert replayed.exit_code == 0 and "queued again" in replayed.output
        container.deliver_webhook().execute(pending.id)
        assert len(receiver.received("/in")) == 2 + MAX_ATTEMPTS
        again = runner.invoke(app, ["webhooks", "replay", "--endpoint", endpoint_id, "--since", "2000-01-01", *me])
        assert again.exit_code == 0 and "0 failed deliveries" in again.output
        bad = runner.invoke(app, ["webhooks", "create", "http://example.com/x", *me])
        assert bad.exit_code == 1 and "https" in bad.output


def _list(container: object, endpoint_id: str) -> object:
    from application.use_cases.notifications.webhook_deliveries import ListDeliveriesInput
    from domain.identity import Principal, scopes_for_role

    with container.uow() as uow:  # type: ignore[attr-defined]
        user = uow.users.get_by_email("ann@example.com")
    return ListDeliveriesInput(Principal(user=user, scopes=scopes_for_role(user.role)), endpoint_id)
