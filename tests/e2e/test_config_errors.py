"""A wrong configuration stops `mailagent` at start-up with one sentence naming the setting and what it expects,
and exit status 2 (systemd does not restart on it), never a traceback: a missing production setting, a JWT secret
shorter than 32 bytes (before the first login, not at it), a value of the wrong type. A database that cannot be
reached is one sentence too (exit 1: a service manager may try again), with the URL's password hidden."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.installation import free_port

GOOD_SECRET = "production-secret-" + "y" * 40


def run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAGENT_")}
    env.update({f"MAILAGENT_{k.upper()}": v for k, v in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        env=env,
        cwd=tmp_path,  # no .env file of the checkout is read
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production(tmp_path: Path, **overrides: str) -> dict[str, str]:
    values = {
        "profile": "production",
        "database_url": f"sqlite:///{tmp_path / 'prod.db'}",
        "jwt_secret": GOOD_SECRET,
        "mailer": "outbox",
        "data_dir": str(tmp_path / "var"),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v}


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


COMMANDS = [("serve", "--port", "1"), ("worker", "--burst"), ("db", "upgrade")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_a_short_jwt_secret_stops_every_long_running_command_at_start(tmp_path: Path, command: tuple[str, ...]):
    done = run(tmp_path, *command, **production(tmp_path, jwt_secret="too-short-secret"))
    assert done.returncode == 2, (done.stdout, done.stderr)
    line = one_sentence(done)
    assert line == (
        "configuration error: MAILAGENT_JWT_SECRET is 16 bytes long; it must be at least 32 bytes "
        "(e.g. the output of `openssl rand -hex 32`)."
    ), line
    assert "too-short-secret" not in done.stderr  # a secret's value is never printed


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"database_url": ""}, "The production profile needs MAILAGENT_DATABASE_URL: set it in the environment"),
        ({"jwt_secret": ""}, "The production profile needs MAILAGENT_JWT_SECRET: set it in the environment"),
        ({"mailer": ""}, "set MAILAGENT_SMTP_HOST, or MAILAGENT_MAILER=outbox"),
        ({"port": "eighty"}, "MAILAGENT_PORT is not valid (it is 'eighty'): input should be a valid integer"),
    ],
    ids=["no-database-url", "no-jwt-secret", "no-smtp", "port-not-a-number"],
)
def test_a_configuration_error_is_one_sentence_and_exit_2(
    tmp_path: Path, overrides: dict[str, str], expected: str
) -> None:
    done = run(tmp_path, "db", "upgrade", **production(tmp_path, **overrides))
    assert done.returncode == 2, (done.stdout, done.stderr)
    line = one_sentence(done)
    assert line.startswith("configuration error: ") and expected in line, line


def test_a_good_configuration_starts(tmp_path: Path) -> None:
    done = run(tmp_path, "db", "upgrade", **production(tmp_path))
    assert done.returncode == 0, done.stderr


def test_an_unreachable_database_is_one_sentence_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://mailagent:s3cret-pw@127.0.0.1:{free_port()}/mailagent"
    done = run(tmp_path, "db", "upgrade", **production(tmp_path, database_url=url))
    assert done.returncode == 1, (done.stdout, done.stderr)
    line = one_sentence(done)
    assert line.startswith("error: The database at postgresql+psycopg://mailagent:***@127.0.0.1:"), line
    assert "check MAILAGENT_DATABASE_URL" in line and "s3cret-pw" not in done.stderr


def test_the_demo_mailbox_refusal_names_the_setting_that_enables_it(tmp_path: Path) -> None:
    from tests.support.app import Api, make_app, make_settings

    app, _ = make_app(make_settings(tmp_path, demo_mailbox=False))
    api = Api(app, make_settings(tmp_path, demo_mailbox=False))
    me = api.signup("ann@example.com")
    response = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert response.status_code == 403, response.text
    assert "set MAILAGENT_DEMO_MAILBOX=true" in response.json()["error"]["message"]
