"""Fixtures for tests that drive the whole app over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.in_memory.clock import InMemoryClock
from tests.support.app import Api, make_app, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return make_settings(tmp_path)


@pytest.fixture
def api(settings: Any) -> Iterator[Api]:
    app, _ = make_app(settings)
    client = Api(app, settings)
    yield client
    client.client.close()


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[Api, InMemoryClock, Any]]:
    """The app with a clock the test moves (token expiry, windows)."""
    from datetime import UTC, datetime

    clock = InMemoryClock(datetime.now(UTC))
    settings = make_settings(tmp_path)
    app, container = make_app(settings, clock=clock)
    client = Api(app, settings)
    yield client, clock, container
    client.client.close()


@pytest.fixture
def admin(api: Api, settings: Any) -> Any:
    """An administrator created the way an operator does it (the CLI's use case)."""
    from application.use_cases.create_user import CreateUserInput
    from entrypoints.container import build_container

    build_container(settings).create_user().execute(
        CreateUserInput(email="root@example.com", password="Admin-pass 1234!", admin=True)
    )
    return api.login("root@example.com", "Admin-pass 1234!")
