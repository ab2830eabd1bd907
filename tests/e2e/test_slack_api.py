"""Slack over HTTP and the CLI on the embedded default, against a local fake of Slack's webhook and chat.postMessage
APIs: connect (the URL or token never comes back), a test message, a new-mail alert through the relay and the job
queue, the summary preview, `mailagent slack test|summary --preview`, disconnect, and readable refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.events import DomainEvent, EventType
from entrypoints.cli.main import app
from entrypoints.container import Container
from tests.support.app import Api, make_app, make_settings
from tests.support.fake_slack import TOKEN, FakeSlack, running_fake_slack

SLACK = "/api/v1/integrations/slack"
MAIL = {
    "message_id": "m1",
    "from": {"name": "Zoë", "address": "zoe@example.com"},
    "subject": "Quarterly numbers",
    "snippet": "Here they are",
    "label_ids": ["INBOX", "UNREAD"],
}


class World:
    def __init__(self, api: Api, container: Container, fake: FakeSlack) -> None:
        self.api, self.container, self.fake = api, container, fake
        self.me = api.signup("me@example.com")

    def configure(self, **body: Any) -> Any:
        return self.api.post(f"{SLACK}/configure", json=body, headers=self.me.headers)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with running_fake_slack() as fake:
        monkeypatch.setenv("MAILAGENT_DATA_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("MAILAGENT_JWT_SECRET", "test-secret-" + "x" * 40)
        monkeypatch.setenv("MAILAGENT_SLACK_API_URL", fake.api_url)
        settings = make_settings(tmp_path, slack_api_url=fake.api_url, rate_limit_per_minute=100_000)
        app_, container = make_app(settings)
        api = Api(app_, settings)
        yield World(api, container, fake)
        api.client.close()


@pytest.mark.property(43)
def test_connect_test_alert_preview_and_disconnect(world: World) -> None:
    missing = world.api.get(f"{SLACK}/configure", headers=world.me.headers)
    assert missing.status_code == 200 and missing.json()["data"] is None  # not connected: a state, not an error
    r = world.configure(webhook_url=world.fake.webhook_url(), summary_at="08:00", timezone="Europe/Berlin")
    assert r.status_code == 200, r.text
    shown = world.api.get(f"{SLACK}/configure", headers=world.me.headers)
    assert shown.status_code == 200 and shown.json()["data"]["mode"] == "webhook"
    assert world.fake.webhook_url() not in shown.text and "XXXX" not in shown.text

    assert world.api.post(f"{SLACK}/test", headers=world.me.headers).status_code == 200
    (test,) = world.fake.delivered()
    assert "mailagent is connected" in str(test.body)

    with world.container.uow() as uow:
        uow.events.append(DomainEvent("evt-1", world.me.user_id, EventType.EMAIL_RECEIVED, datetime.now(UTC), MAIL))
        uow.commit()
    world.container.outbox_relay().flush()
    queue = world.container.job_queue()
    queue.start()
    try:
        assert queue.run_until_nothing_due(timeout=120)
    finally:
        queue.stop()
    alert = world.fake.delivered()[-1]
    assert "Quarterly numbers" in str(alert.body) and "zoe@example.com" in str(alert.body)

    preview = world.api.get(f"{SLACK}/summary/preview", headers=world.me.headers)
    assert preview.status_code == 200, preview.text
    data = preview.json()["data"]
    assert "Quarterly numbers" in data["text"] and data["message"]["blocks"] and data["next_at"]
    assert len(world.fake.delivered()) == 2  # the preview posted nothing

    assert world.api.delete(f"{SLACK}/configure", headers=world.me.headers).status_code == 200
    assert world.api.get(f"{SLACK}/configure", headers=world.me.headers).json()["data"] is None


def test_bot_token_and_refusals(world: World) -> None:
    r = world.configure(bot_token=TOKEN, channel="#mail")
    assert r.status_code == 200 and r.json()["data"]["channel"] == "#mail"
    assert TOKEN not in r.text
    assert world.api.post(f"{SLACK}/test", headers=world.me.headers).status_code == 200
    assert world.fake.delivered()[-1].body["channel"] == "#mail"
    world.fake.script("/api/chat.postMessage", "invalid")
    failed = world.api.post(f"{SLACK}/test", headers=world.me.headers)
    assert failed.status_code == 502 and "invalid_auth" in failed.json()["error"]["message"]
    assert TOKEN not in failed.text
    for body, words in [
        ({"webhook_url": "https://example.com/hook"}, "hooks.slack.com"),
        ({"webhook_url": world.fake.webhook_url(), "timezone": "Nowhere/City"}, "time zone"),
        ({"webhook_url": world.fake.webhook_url(), "mail_filter": "from:(x"}, ""),
    ]:
        bad = world.configure(**body)
        assert bad.status_code == 422, bad.text
        assert words in bad.json()["error"]["message"]


def test_cli_test_and_summary_preview(world: World) -> None:
    world.configure(webhook_url=world.fake.webhook_url(), summary_at="08:00")
    with world.container.uow() as uow:
        uow.events.append(DomainEvent("evt-2", world.me.user_id, EventType.EMAIL_RECEIVED, datetime.now(UTC), MAIL))
        uow.commit()
    runner = CliRunner()
    me = ["--user", "me@example.com"]
    tested = runner.invoke(app, ["slack", "test", *me])
    assert tested.exit_code == 0, tested.output
    shown = runner.invoke(app, ["slack", "summary", "--preview", *me])
    assert shown.exit_code == 0, shown.output
    assert "Quarterly numbers" in shown.output and "next summary" in shown.output
    assert len(world.fake.delivered()) == 1  # the test message only
    posted = runner.invoke(app, ["slack", "summary", *me])
    assert posted.exit_code == 0 and len(world.fake.delivered()) == 2
