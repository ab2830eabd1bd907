"""The `mailagent` CLI acts on the same data as the server: migrations, users, the audit chain, `serve`."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from adapters.sqlalchemy.migrate import head
from entrypoints.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output


def test_db_upgrade_current_downgrade(env: dict[str, str]) -> None:
    code, out = invoke("db", "current")
    assert code == 0 and "base (empty)" in out and "mailagent db upgrade" in out
    code, out = invoke("db", "upgrade")
    assert code == 0 and f"revision {head()}" in out
    code, out = invoke("db", "downgrade")
    assert code == 0 and f"revision {head()}" not in out
    code, out = invoke("db", "downgrade", "base")
    assert code == 0 and "base" in out


def test_user_create_scriptable_and_prompted_and_rules_enforced(env: dict[str, str]) -> None:
    invoke("db", "upgrade")
    code, out = invoke("user", "create", "--email", "ops@example.com", "--password", "Ops-password 123", "--admin")
    assert code == 0 and "created admin" in out
    code, out = invoke("user", "create", "--email", "ops@example.com", "--password", "Ops-password 123")
    assert code == 1 and "already exists" in out
    code, out = invoke("user", "create", "--email", "weak@example.com", "--password", "weak")
    assert code == 1 and "at least 12 characters" in out
    code, out = invoke("user", "create", "--email", "not-an-email", "--password", "Ops-password 123")
    assert code == 1 and "not a valid e-mail" in out
    code, out = invoke("user", "create", input="typed@example.com\nSecret-phrase 9!\nSecret-phrase 9!\n")
    assert code == 0 and "created user typed@example.com" in out
    db = sqlite3.connect(Path(env["MAILAGENT_DATA_DIR"]) / "mailagent.db")
    roles = dict(db.execute("SELECT email, role FROM users").fetchall())
    assert roles == {"ops@example.com": "admin", "typed@example.com": "user"}


def test_audit_verify_reports_the_unsealed_tail_then_a_tampered_chain(env: dict[str, str]) -> None:
    invoke("db", "upgrade")
    for n in range(3):
        invoke("user", "create", "--email", f"u{n}@example.com", "--password", "Ops-password 123")
    code, out = invoke("audit", "verify")  # no server ran: written, not sealed yet
    assert code == 0 and "0 sealed entries" in out and "3 newer entries are not sealed yet" in out, out
    code, out = invoke("audit", "seal")
    assert code == 0 and "sealed 3 entries" in out
    code, out = invoke("audit", "verify")
    assert code == 0 and "intact" in out and "3 sealed entries" in out and "not sealed" not in out, out
    db = sqlite3.connect(Path(env["MAILAGENT_DATA_DIR"]) / "mailagent.db")
    db.execute("UPDATE audit_logs SET target = 'user:someone-else' WHERE seq = 2")
    db.commit()
    code, out = invoke("audit", "verify")
    assert code == 1 and "BROKEN at seq 2" in out and "changed" in out
    db.execute("DELETE FROM audit_logs WHERE seq = 2")
    db.commit()
    code, out = invoke("audit", "verify")
    assert code == 1 and "BROKEN" in out


def test_audit_verify_notices_removed_newest_entries(env: dict[str, str]) -> None:
    invoke("db", "upgrade")
    for n in range(3):
        invoke("user", "create", "--email", f"u{n}@example.com", "--password", "Ops-password 123")
    invoke("audit", "seal")
    db = sqlite3.connect(Path(env["MAILAGENT_DATA_DIR"]) / "mailagent.db")
    db.execute("DELETE FROM audit_logs WHERE seq = 3")
    db.commit()
    code, out = invoke("audit", "verify")
    assert code == 1 and "newest entries were removed" in out


def test_a_head_printed_earlier_catches_a_truncation_that_rewrote_the_stored_head(env: dict[str, str]) -> None:
    invoke("db", "upgrade")
    for n in range(4):
        invoke("user", "create", "--email", f"u{n}@example.com", "--password", "Ops-password 123")
    invoke("audit", "seal")
    code, out = invoke("audit", "verify")
    head = re.search(r"head: (\d+:[0-9a-f]{64})", out)
    assert code == 0 and head is not None and head.group(1).startswith("4:"), out
    code, out = invoke("audit", "verify", "--head", head.group(1))
    assert code == 0 and "still holds" in out, out
    # Someone with write access removes the last two entries and sets the stored head back to match.
    db = sqlite3.connect(Path(env["MAILAGENT_DATA_DIR"]) / "mailagent.db")
    (hash2,) = db.execute("SELECT hash FROM audit_logs WHERE seq = 2").fetchone()
    db.execute("DELETE FROM audit_logs WHERE seq > 2")
    db.execute("UPDATE audit_chain_head SET seq = 2, hash = ?", (hash2,))
    db.commit()
    code, out = invoke("audit", "verify")
    assert code == 0 and "2 sealed entries" in out  # consistent in itself...
    code, out = invoke("audit", "verify", "--head", head.group(1))
    assert code == 1 and "entries were removed" in out, out  # ...but not with the head kept elsewhere
    code, out = invoke("audit", "verify", "--head", "4:nothex")
    assert code == 2 and "SEQ:HASH" in out


def test_demo_admin_is_created_once_and_its_credentials_are_kept_private(env: dict[str, str]) -> None:
    invoke("db", "upgrade")
    code, first = invoke("demo-admin")
    code2, second = invoke("demo-admin")
    assert code == code2 == 0 and first == second and "admin@mailagent.local" in first
    creds = Path(env["MAILAGENT_DATA_DIR"]) / "demo-admin.txt"
    assert oct(creds.stat().st_mode & 0o777) == "0o600"
    # ...and those credentials sign in through the API, as `make run` promises.
    from fastapi.testclient import TestClient

    from entrypoints.container import build_container
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    email, password = creds.read_text().splitlines()[:2]
    client = TestClient(create_app(build_container(Settings())))
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    assert login.json()["data"]["user"]["role"] == "admin"


def test_serve_starts_migrates_and_answers(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli.main", "serve", "--port", str(port)],
        env={**os.environ, **env},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180  # a generous ceiling: start-up imports take long on a busy machine
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["data"]["status"] == "ok"
        ready = httpx.get(f"http://127.0.0.1:{port}/api/v1/readyz", timeout=60)
        assert ready.json()["data"]["checks"] == {"database": "ok"}
        docs = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=60)
        assert "/api/v1/auth/login" in docs.json()["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (Path(env["MAILAGENT_DATA_DIR"]) / "mailagent.db").exists()  # migrated on start


def test_every_command_on_a_fresh_local_data_dir_migrates_it_first(env: dict[str, str]) -> None:
    code, out = invoke("audit", "verify")
    assert code == 0 and "intact" in out and "0 sealed entries" in out
    code, out = invoke("db", "current")
    assert code == 0 and f"current: {head()}" in out


def test_demo_admin_and_user_create_on_a_fresh_local_data_dir(env: dict[str, str]) -> None:
    code, out = invoke("demo-admin")
    assert code == 0 and "admin@mailagent.local" in out, out
    data = Path(env["MAILAGENT_DATA_DIR"])
    invoke("db", "downgrade")  # an older data dir, as after updating mailagent
    code, out = invoke("user", "create", "--email", "late@example.com", "--password", "Ops-password 123")
    assert code == 0 and "created user" in out, out
    assert sqlite3.connect(data / "mailagent.db").execute("SELECT version_num FROM alembic_version").fetchone() == (
        head(),
    )


def _production_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
    env.update(
        {
            "MAILAGENT_PROFILE": "production",
            "MAILAGENT_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
            "MAILAGENT_JWT_SECRET": "production-secret-" + "y" * 40,
            "MAILAGENT_MAILER": "outbox",
            "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_commands_on_an_unmigrated_database_say_run_db_upgrade_first(tmp_path: Path) -> None:
    user_create = ("user", "create", "--email", "a@example.com", "--password", "x")
    for args in (("audit", "verify"), ("demo-admin",), user_create):
        done = _production_cli(tmp_path, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        message = " ".join((done.stdout + done.stderr).split())
        assert "not migrated yet" in message and "Run `mailagent db upgrade` first." in message, message
        assert "Traceback" not in done.stderr
    assert _production_cli(tmp_path, "db", "upgrade").returncode == 0
    assert _production_cli(tmp_path, "db", "downgrade").returncode == 0
    done = _production_cli(tmp_path, "audit", "verify")
    assert done.returncode == 2 and "at revision" in done.stderr and head() in done.stderr, done.stderr
    assert _production_cli(tmp_path, "db", "upgrade").returncode == 0
    done = _production_cli(tmp_path, "audit", "verify")
    assert done.returncode == 0 and "intact" in done.stdout, done.stdout + done.stderr
