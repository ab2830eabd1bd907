"""`mailagent db check`: 1 until migrated (naming both revisions), 0 after; --wait gives up with the same message."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from adapters.sqlalchemy.migrate import head
from entrypoints.cli.main import app


def test_db_check_fails_until_the_database_is_migrated(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAILAGENT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MAILAGENT_PROFILE", "local")
    runner = CliRunner()
    before = runner.invoke(app, ["db", "check", "--wait", "0.3"])
    assert before.exit_code == 1
    assert "base (empty)" in before.output and head() in before.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    after = runner.invoke(app, ["db", "check"])
    assert after.exit_code == 0, after.output
    assert head() in after.output
