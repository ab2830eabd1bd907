"""`mailagent calendar list|create|free` and `mailagent contacts search` on the same demo calendar the API serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from entrypoints.cli.main import app
from tests.support.app import Account, Api, make_app, make_settings

runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Api, Account]:
    env = {
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JWT_SECRET": "test-secret-" + "x" * 40,
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "30",
        "COLUMNS": "200",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = make_settings(tmp_path, demo_mailbox_size=30)
    app_, _ = make_app(settings)
    api = Api(app_, settings)
    me = api.signup("cli@example.com")
    r = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert r.status_code == 201, r.text
    return api, me


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_lists_creates_and_finds_free_time_on_the_api_calendar(setup: tuple[Api, Account]) -> None:
    api, me = setup
    listed = cli("calendar", "list", "--days", "14")
    assert "Team offsite" in listed and "Europe/Lisbon" in listed
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    out = cli(
        "calendar",
        "create",
        "Review",
        "--start",
        f"{day}T11:00",
        "--minutes",
        "45",
        "--with",
        "alice@northwind.example",
    )
    assert "created" in out and "invited alice@northwind.example" in out
    event_id = out.split()[1].rstrip(":")
    r = api.get(f"/api/v1/calendar/events/{event_id}", headers=me.headers)
    assert r.status_code == 200 and r.json()["data"]["local_start"].startswith(f"{day}T11:00")
    free = cli("calendar", "free", "--date", str(day), "--minutes", "30", "--with", "alice@northwind.example")
    assert "–11:00" in free and "11:45–" in free  # the new event splits the day
    assert "not visible: alice@northwind.example" in free
    found = cli("contacts", "search", "john")
    assert "John Smith" in found and "John Park" in found and "Alice" not in found


def test_cli_calendar_errors_are_plain(setup: tuple[Api, Account]) -> None:
    result = runner.invoke(app, ["calendar", "create", "X", "--start", "tomorrow-ish"])
    assert result.exit_code == 1 and "not a date or time" in result.output
    result = runner.invoke(app, ["calendar", "create", "X", "--start", "2026-12-10T10:00", "--timezone", "Mars/Base"])
    assert result.exit_code == 1 and "Unknown time zone" in result.output
