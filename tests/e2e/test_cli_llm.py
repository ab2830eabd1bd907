"""`mailagent llm set-key|status|clear-key`: the key goes to the secret store, is used by the wiring, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from entrypoints.cli.main import app
from entrypoints.llm_wiring_hosted import resolve_llm_api_key
from entrypoints.settings import Settings

runner = CliRunner()
KEY = "sk-ant-cli-Qw3rTy5uIo7pAs9d"


def test_set_key_stores_it_encrypted_status_never_shows_it_and_clear_key_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "var"
    monkeypatch.setenv("MAILAGENT_DATA_DIR", str(data))
    monkeypatch.setenv("MAILAGENT_LLM_PROVIDER", "anthropic")
    monkeypatch.delenv("MAILAGENT_LLM_API_KEY", raising=False)

    stored = runner.invoke(app, ["llm", "set-key"], input=KEY + "\n")
    assert stored.exit_code == 0, stored.output
    assert KEY not in stored.output
    assert not [p for p in data.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]

    status = runner.invoke(app, ["llm", "status"])
    assert status.exit_code == 0, status.output
    assert "provider: anthropic" in status.output and "API key:  secret store" in status.output
    assert KEY not in status.output

    from entrypoints.container import build_container

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert resolve_llm_api_key(settings, build_container(settings).secret_store()) == (KEY, "secret store")

    cleared = runner.invoke(app, ["llm", "clear-key"])
    assert cleared.exit_code == 0, cleared.output
    assert "API key:  none" in runner.invoke(app, ["llm", "status"]).output


def test_set_key_refuses_an_empty_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILAGENT_DATA_DIR", str(tmp_path / "var"))
    result = runner.invoke(app, ["llm", "set-key"], input="\n")
    assert result.exit_code == 1
    assert "no key given" in result.output
