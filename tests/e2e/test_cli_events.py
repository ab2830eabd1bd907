"""`mailagent events tail` prints a user's stored events (what WebSocket clients receive), and only theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.events import DomainEvent, EventType
from domain.identity import new_id
from entrypoints.cli.main import app
from tests.support.app import Api, make_app, make_settings

runner = CliRunner()


def test_tail_shows_the_users_events_oldest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILAGENT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MAILAGENT_JWT_SECRET", "test-secret-" + "x" * 40)
    settings = make_settings(tmp_path)
    app_, container = make_app(settings)
    api = Api(app_, settings)
    ann, ben = api.signup("ann@example.com"), api.signup("ben@example.com")
    with container.uow() as uow:
        for n, owner in enumerate([ann, ben, ann, ann]):
            uow.events.append(
                DomainEvent(
                    id=new_id(),
                    user_id=owner.user_id,
                    type=EventType.EMAIL_RECEIVED,
                    occurred_at=datetime.now(UTC),
                    data={"n": n},
                )
            )
        uow.commit()
    result = runner.invoke(app, ["events", "tail", "--user", "ann@example.com", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [e["data"]["n"] for e in lines] == [0, 2, 3]
    assert all(e["type"] == "email.received" for e in lines)
    after = runner.invoke(app, ["events", "tail", "--user", "ann@example.com", "--json", "--after", lines[0]["id"]])
    assert [json.loads(line)["data"]["n"] for line in after.output.splitlines()] == [2, 3]
    unknown = runner.invoke(app, ["events", "tail", "--user", "nobody@example.com"])
    assert unknown.exit_code == 1 and "No user" in unknown.output


def test_a_negative_after_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILAGENT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MAILAGENT_JWT_SECRET", "test-secret-" + "x" * 40)
    settings = make_settings(tmp_path)
    app_, _ = make_app(settings)
    Api(app_, settings).signup("ann@example.com")
    result = runner.invoke(app, ["events", "tail", "--user", "ann@example.com", "--after", "-1"])
    assert result.exit_code == 1 and "after must be 0 or more" in result.output
