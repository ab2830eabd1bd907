"""`mailagent chat`: the interactive loop shows each pending action's card (from its snapshot: recipients with flags,
subject, full body) and asks y/n/e; only y sends, exactly what was shown; e shows the edited card and asks again; n
sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from typer.testing import CliRunner

import entrypoints.cli.agent as cli_agent
from entrypoints.cli.main import app
from tests.support.agent_world import ScriptedAgent, Step
from tests.support.app import Api, make_app, make_settings

runner = CliRunner()
TIDY: list[str] = []  # the messages "tidy" marks read


def script(message: str) -> list[Step]:
    if message.startswith("send"):
        word = message.split()[-1]
        return [("send_email", {"to": ["carol@example.com"], "subject": f"cli {word}", "body": "hello"})]
    if message.startswith("find"):
        return [("search_emails", {"query": "", "limit": 2})]
    if message.startswith("tidy"):
        return [("search_emails", {"query": "", "limit": 2}), ("mark_read", {"message_ids": TIDY})]
    return []


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Api, Any]:
    env = {
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JWT_SECRET": "test-secret-" + "x" * 40,
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "10",
        "COLUMNS": "200",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    settings = make_settings(tmp_path, demo_mailbox_size=10)
    app_, _ = make_app(settings)
    api = Api(app_, settings)
    me = api.signup("cli@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code in (200, 201)

    real = cli_agent._container

    def container() -> Any:
        c = real()
        c.email_agent.override(providers.Object(ScriptedAgent(c.agent_toolbox(), script)))
        return c

    monkeypatch.setattr(cli_agent, "_container", container)
    return api, me


def sent_subjects(api: Api, me: Any) -> list[str]:
    r = api.get("/api/v1/emails", params={"label": "SENT"}, headers=me.headers)
    return sorted(m["subject"] for m in r.json()["data"])


def test_chat_asks_before_sending_and_runs_exactly_what_was_approved(setup: tuple[Api, Any]) -> None:
    api, me = setup
    edited = {"to": ["dave@example.com"], "subject": "cli edited", "body": "changed"}
    lines = ["find mail", "send yes", "y", "send no", "n", "send edit", "maybe", "e", json.dumps(edited), "y", "exit"]
    result = runner.invoke(app, ["chat", "--user", "cli@example.com"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "search_emails → ok" in out and "Done." in out
    assert "pending: Send an email: 'cli yes'" in out
    assert "To: carol@example.com  [never written to before; outside your organisation]" in out  # with its flags
    assert "Subject: cli no" in out and "    hello" in out  # the card: subject and the full body
    assert "the edited action, to approve or not:" in out
    assert "pending: Send an email: 'cli edited'" in out and "To: dave@example.com" in out
    assert "→ done" in out and "→ rejected" in out and "answer y, n or e" in out
    assert "Outcome:" in out  # the agent heard the decision
    assert sent_subjects(api, me) == ["cli edited", "cli yes"]
    conversations = api.get("/api/v1/agent/conversations", headers=me.headers).json()["data"]
    assert len(conversations) == 1 and f"conversation {conversations[0]['id']}" in out


def test_chat_ends_on_end_of_input(setup: tuple[Api, Any]) -> None:
    result = runner.invoke(app, ["chat", "--user", "cli@example.com"], input="")
    assert result.exit_code == 0, result.output


def test_chat_lists_what_the_agent_changed_and_undo_reverses_it(setup: tuple[Api, Any]) -> None:
    api, me = setup
    unread = api.get("/api/v1/emails", params={"q": "is:unread", "limit": 2}, headers=me.headers).json()["data"]
    TIDY[:] = [m["id"] for m in unread]
    result = runner.invoke(app, ["chat", "--user", "cli@example.com"], input="tidy up\nundo\nundo\nexit\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "· changed: Mark 2 messages read" in out and "type undo to reverse these" in out
    assert "undone: Mark 2 messages read" in out
    assert "nothing to undo" in out  # the second undo
    again = api.get("/api/v1/emails", params={"q": "is:unread", "limit": 50}, headers=me.headers).json()["data"]
    assert set(TIDY) <= {m["id"] for m in again}
