"""`mailagent mail send --attach FILE ...` uploads through the same use case as the API (scanned, sniffed, 25 MB)
and the sent message carries the files; an infected file is refused with its name and nothing is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.in_memory.malware_scanner import EICAR
from entrypoints.cli.main import app
from tests.support.app import Api, make_app, make_settings
from tests.support.clamd import Clamd, clamd  # noqa: F401  (fixture)

runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clamd: Clamd) -> tuple[Api, object]:  # noqa: F811
    env = {
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JWT_SECRET": "test-secret-" + "x" * 40,
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "5",
        "MAILAGENT_CLAMD_ADDRESS": clamd.tcp,
        "COLUMNS": "200",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = make_settings(tmp_path, demo_mailbox_size=5, clamd_address=clamd.tcp)
    app_, _ = make_app(settings)
    api = Api(app_, settings)
    me = api.signup("cli@example.com")
    assert runner.invoke(app, ["mail", "connect-demo", "--user", "cli@example.com"]).exit_code == 0
    return api, me


def test_send_with_attachments_from_the_terminal(setup: tuple[Api, object], tmp_path: Path) -> None:
    api, me = setup
    report, notes = tmp_path / "report.pdf", tmp_path / "notes.txt"
    report.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    notes.write_text("three things")
    args = ["mail", "send", "--user", "cli@example.com", "--to", "bob@example.com", "--subject", "Q3 files"]
    result = runner.invoke(app, [*args, "--attach", str(report), "--attach", str(notes)])
    assert result.exit_code == 0, result.output
    assert "attached report.pdf" in result.output and "application/pdf, clean" in result.output
    found = api.get("/api/v1/emails", params={"q": "subject:Q3 in:sent"}, headers=me.headers).json()["data"]  # type: ignore[attr-defined]
    message = api.get(f"/api/v1/emails/{found[0]['id']}", headers=me.headers).json()["data"]  # type: ignore[attr-defined]
    assert [a["filename"] for a in message["attachments"]] == ["report.pdf", "notes.txt"]
    body = api.get(message["attachments"][1]["download_url"], headers=me.headers)  # type: ignore[attr-defined]
    assert body.content == b"three things"


def test_infected_file_is_refused_by_name(setup: tuple[Api, object], tmp_path: Path) -> None:
    api, me = setup
    bad = tmp_path / "totally-fine.com"
    bad.write_bytes(EICAR)
    args = ["mail", "send", "--user", "cli@example.com", "--to", "bob@example.com", "--subject", "oops"]
    result = runner.invoke(app, [*args, "--attach", str(bad)])
    assert result.exit_code == 1
    assert "'totally-fine.com' was refused on upload" in result.output
    sent = api.get("/api/v1/emails", params={"q": "subject:oops"}, headers=me.headers).json()["data"]  # type: ignore[attr-defined]
    assert sent == []
    missing = runner.invoke(app, [*args, "--attach", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 1 and "no such file" in missing.output
