"""`mailagent mail ...` works on the same demo mailbox the API serves: what one door changes, the other sees."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from entrypoints.cli.main import app
from tests.support.app import Api, make_app, make_settings

runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Api, object]:
    env = {
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JWT_SECRET": "test-secret-" + "x" * 40,
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "80",
        "COLUMNS": "200",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = make_settings(tmp_path, demo_mailbox_size=80)
    app_, _ = make_app(settings)
    api = Api(app_, settings)
    me = api.signup("cli@example.com")
    return api, me


def mail(*args: str) -> str:
    result = runner.invoke(app, ["mail", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_and_api_share_one_mailbox(setup: tuple[Api, object]) -> None:
    api, me = setup
    out = mail("connect-demo", "--user", "cli@example.com")
    assert "connected demo mailbox" in out
    # The API sees the account the CLI connected.
    accounts = api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]  # type: ignore[attr-defined]
    assert [a["provider"] for a in accounts] == ["demo"]

    listing = mail("search", "is:unread", "--limit", "5")
    ids = re.findall(r"^│ ([0-9a-f]{16}) ", listing, flags=re.M)
    assert len(ids) == 5, listing
    shown = mail("show", ids[0], "--thread")
    assert "From:" in shown and "Labels:" in shown

    mail("send", "--reply-to", ids[0], "--to", "ignored@example.com", "--body", "Replying from the terminal")
    api_sent = api.get("/api/v1/emails", params={"q": '"Replying from the terminal"'}, headers=me.headers)  # type: ignore[attr-defined]
    assert len(api_sent.json()["data"]) == 1

    draft = mail("draft", "--to", "pat@example.com", "--subject", "CLI draft", "--body", "hello")
    draft_id = re.search(r"saved draft (\S+)", draft).group(1)  # type: ignore[union-attr]
    assert draft_id in mail("draft", "--list")
    mail("draft", "--send", draft_id)
    assert "CLI draft" in mail("search", 'in:sent subject:"CLI draft"')

    mail("label", "--create", "Terminal")
    mail("label", *ids[:3], "--add", "Terminal", "--remove", "UNREAD")
    tagged = api.get("/api/v1/emails", params={"q": "label:Terminal"}, headers=me.headers).json()["data"]  # type: ignore[attr-defined]
    assert sorted(m["id"] for m in tagged) == sorted(ids[:3]) and not any(m["unread"] for m in tagged)
    labels = mail("label", "--list")
    assert "Terminal" in labels and "INBOX" in labels


def test_cli_mail_errors_are_plain_messages(setup: tuple[Api, object]) -> None:
    result = runner.invoke(app, ["mail", "search", "--user", "nobody@example.com"])
    assert result.exit_code == 1 and "No user nobody@example.com" in result.output
    result = runner.invoke(app, ["mail", "search", "--user", "cli@example.com"])
    assert result.exit_code == 1 and "Connect a mailbox first" in result.output


def test_cli_schedules_lists_and_cancels_like_the_api(setup: tuple[Api, object]) -> None:
    api, me = setup
    mail("connect-demo", "--user", "cli@example.com")
    gap = next_paris_spring_forward()
    out = mail(
        "schedule",
        "--to",
        "bob@example.com",
        "--subject",
        "Later, from the terminal",
        "--body",
        "hi",
        "--at",
        f"{gap:%Y-%m-%d}T02:30",  # a time that does not exist in Paris (clocks go forward at 02:00)
        "--timezone",
        "Europe/Paris",
    )
    scheduled_id = re.search(r"\(id ([0-9a-f]{32})\)", out).group(1)  # type: ignore[union-attr]
    assert f"{gap:%Y-%m-%d} 03:30 CEST" in out and "01:30 UTC" in out and "note:" in out
    api_view = api.get(f"/api/v1/emails/scheduled/{scheduled_id}", headers=me.headers).json()["data"]  # type: ignore[attr-defined]
    assert api_view["status"] == "scheduled" and api_view["subject"] == "Later, from the terminal"
    listing = mail("scheduled", "--status", "scheduled")
    assert scheduled_id in listing and "Later, from the terminal" in listing
    assert "cancelled" in mail("scheduled", "--cancel", scheduled_id)
    again = runner.invoke(app, ["mail", "scheduled", "--cancel", scheduled_id])
    assert again.exit_code == 1 and "cancelled" in again.output  # a clear answer, nothing changed
    bad = runner.invoke(
        app,
        ["mail", "schedule", "--to", "b@example.com", "--at", f"{gap:%Y-%m-%d}T09:00", "--timezone", "Mars/Olympus"],
    )
    assert bad.exit_code == 1 and "Mars/Olympus" in bad.output


def next_paris_spring_forward() -> date:
    """The next last Sunday of March (Europe's spring-forward day), within the 366 days a schedule may reach."""
    today = date.today()
    for year in (today.year, today.year + 1):
        last = date(year, 3, 31)
        day = last - timedelta(days=(last.weekday() - 6) % 7)
        if day > today:
            return day
    raise AssertionError("unreachable")
