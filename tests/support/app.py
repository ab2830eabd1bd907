"""Build the real app on the embedded default (or production services) for e2e tests, plus a small client."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dependency_injector import providers
from fastapi.testclient import TestClient

from adapters.sqlalchemy.migrate import upgrade
from entrypoints.container import Container, build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

FAST_HASH = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
PASSWORD = "Correct-horse 42 battery"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "profile": "local",
        "data_dir": tmp_path / "var",
        "jwt_secret": "test-secret-" + "x" * 40,
        "mailer": "outbox",  # tests read the links from the outbox, in the production profile too
        **FAST_HASH,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_app(settings: Settings, *, clock: Any = None, migrate: bool = True) -> tuple[Any, Container]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(settings.resolved_database_url)
    container = build_container(settings)
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return create_app(container), container


def outbox_link(settings: Settings, to: str, kind: str) -> str:
    """The newest link of a kind (verify-email / reset-password) mailed to an address, read from the .eml outbox."""
    files = sorted(settings.outbox_dir.glob("*.eml"))
    for path in reversed(files):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            body = message.get_body(("plain",))
            found = re.search(rf"https?://\S+/{kind}\?token=(\S+)", body.get_content() if body else "")
            if found:
                return found.group(1)
    raise AssertionError(f"no {kind} mail to {to} in {settings.outbox_dir}")


@dataclass
class Account:
    email: str
    password: str
    user_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    """TestClient plus the steps most tests repeat."""

    def __init__(self, app: Any, settings: Settings, client_ip: str = "testclient") -> None:
        self.client = TestClient(app, raise_server_exceptions=False)
        self.settings = settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def register(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        r = self.client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert r.status_code == 201, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def verify(self, email: str) -> None:
        token = outbox_link(self.settings, email, "verify-email")
        r = self.client.post("/api/v1/auth/verify-email", json={"token": token})
        assert r.status_code == 200, r.text

    def login(self, email: str, password: str = PASSWORD) -> Account:
        r = self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        return Account(email, password, data["user"]["id"], data["access_token"], data["refresh_token"])

    def signup(self, email: str, password: str = PASSWORD) -> Account:
        self.register(email, password)
        self.verify(email)
        return self.login(email, password)
