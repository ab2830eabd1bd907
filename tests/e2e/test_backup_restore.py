"""`mailagent backup` / `restore` on the embedded default: back up while the app runs, destroy the data directory,
restore, and the same users, mail, audit chain (verified) and scheduled sends are there, none sent twice."""

from __future__ import annotations

import shutil
import tarfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from tests.support.app import PASSWORD, Account, Api, make_app, make_settings

SCHEDULED = "/api/v1/emails/scheduled"


def cli_env(settings: Any) -> dict[str, str]:
    return {
        "MAILAGENT_PROFILE": "local",
        "MAILAGENT_DATA_DIR": str(settings.data_dir),
        "MAILAGENT_JWT_SECRET": settings.jwt_secret.get_secret_value(),
    }


def said(result: Any) -> str:
    """The command's output on one line (Rich wraps long messages at the terminal width)."""
    return " ".join(result.output.split())


def wait_status(api: Api, who: Account, scheduled_id: str, status: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        data = api.get(f"{SCHEDULED}/{scheduled_id}", headers=who.headers).json()["data"]
        if data["status"] == status:
            return data  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, data
        time.sleep(0.1)


def copies(api: Api, who: Account, message_id: str) -> list[dict[str, Any]]:
    r = api.get("/api/v1/emails", params={"q": f"rfc822msgid:{message_id}"}, headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_backup_destroy_restore_keeps_everything_and_sends_nothing_twice(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo_mailbox_size=5, scheduled_dispatch_seconds=1)
    runner = CliRunner()
    archive = tmp_path / "backups" / "mailagent.tar.gz"

    app, container = make_app(settings)
    api = Api(app, settings)
    with api.client:  # jobs run in this process, as under `mailagent serve`
        me = api.signup("ada@example.com")
        assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
        sent = api.post(
            "/api/v1/emails/send",
            json={"to": ["bob@example.com"], "subject": "Before the backup", "text_body": "kept"},
            headers=me.headers,
        )
        assert sent.status_code in (200, 201), sent.text
        soon = datetime.now(UTC) + timedelta(seconds=1)
        later = datetime.now(UTC) + timedelta(days=30)
        due = api.post(
            "/api/v1/emails/schedule",
            json={"to": ["bob@example.com"], "subject": "Due now", "text_body": "once", "send_at": soon.isoformat()},
            headers=me.headers,
        ).json()["data"]
        pending = api.post(
            "/api/v1/emails/schedule",
            json={
                "to": ["bob@example.com"],
                "subject": "Next month",
                "text_body": "later",
                "send_at": later.isoformat(),
            },
            headers=me.headers,
        ).json()["data"]
        done = wait_status(api, me, due["id"], "sent")
        # the backup is taken while the app is running
        out = runner.invoke(cli, ["backup", str(archive)], env=cli_env(settings))
        assert out.exit_code == 0, out.output
        assert "databases" in said(out)
    container.engine().dispose()
    assert archive.stat().st_mode & 0o077 == 0  # it holds the keys
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "data/mailagent.db" in names and "data/keys/jwt.key" not in names  # the JWT key came from settings
    assert any(n.startswith("data/secrets") or n.startswith("data/keys/secrets.key") for n in names)

    shutil.rmtree(settings.data_dir)  # the disaster

    refused = runner.invoke(cli, ["restore", str(tmp_path / "nope.tar.gz")], env=cli_env(settings))
    assert refused.exit_code == 1 and "No backup at" in said(refused)
    out = runner.invoke(cli, ["restore", str(archive)], env=cli_env(settings))
    assert out.exit_code == 0, out.output
    assert "audit chain intact" in said(out)

    app, container = make_app(settings, migrate=False)
    api = Api(app, settings)
    with api.client:
        again = api.login("ada@example.com", PASSWORD)  # the same user, the same password
        headers = again.headers
        found = api.get("/api/v1/emails", params={"q": "subject:(Before the backup)"}, headers=headers).json()["data"]
        assert [m["subject"] for m in found] == ["Before the backup"]
        assert wait_status(api, again, due["id"], "sent")["sent_message_id"] == done["sent_message_id"]
        assert api.get(f"{SCHEDULED}/{pending['id']}", headers=headers).json()["data"]["status"] == "scheduled"
        time.sleep(3)  # several dispatch sweeps (every second) run over the restored data: nothing is re-sent
        assert [c["id"] for c in copies(api, again, due["message_id"])] == [done["sent_message_id"]]
        assert copies(api, again, pending["message_id"]) == []
        assert api.get(f"{SCHEDULED}/{pending['id']}", headers=headers).json()["data"]["status"] == "scheduled"
    audit = runner.invoke(cli, ["audit", "verify"], env=cli_env(settings))
    assert audit.exit_code == 0 and "intact" in said(audit)
    container.engine().dispose()


def test_restore_refuses_a_live_directory_and_a_damaged_archive(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    make_app(settings)[1].engine().dispose()
    runner = CliRunner()
    archive = tmp_path / "b.tar.gz"
    assert runner.invoke(cli, ["backup", str(archive)], env=cli_env(settings)).exit_code == 0

    busy = runner.invoke(cli, ["restore", str(archive)], env=cli_env(settings))
    assert busy.exit_code == 1 and "not empty" in said(busy)

    forced = runner.invoke(cli, ["restore", str(archive), "--force"], env=cli_env(settings))
    assert forced.exit_code == 0, forced.output
    assert list(tmp_path.glob("var.before-restore-*")), "the replaced directory is kept aside"

    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[:200])
    shutil.rmtree(settings.data_dir)
    bad = runner.invoke(cli, ["restore", str(damaged)], env=cli_env(settings))
    assert bad.exit_code == 1 and "not a readable mailagent backup" in said(bad)
    assert not settings.data_dir.exists() or not any(settings.data_dir.iterdir())


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_production_is_pointed_at_pg_dump(tmp_path: Path, command: str) -> None:
    env = {
        "MAILAGENT_PROFILE": "production",
        "MAILAGENT_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/x",
        "MAILAGENT_JWT_SECRET": "x" * 40,
        "MAILAGENT_MAILER": "outbox",
    }
    out = CliRunner().invoke(cli, [command, str(tmp_path / "b.tar.gz")], env=env)
    assert out.exit_code == 1 and "pg_dump" in said(out)
