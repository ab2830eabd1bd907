"""What a CLI command runs on, built on demand: its settings, the one or two context containers it needs, or the
whole application container (serve, worker, mail, chat) — with the database checked first.

Sub-commands take their containers from here instead of importing `main.py` (no import circles), and a cheap
command (`audit verify`, `user create`) imports and builds only its contexts: no mail, agent, LangGraph or Google
stack. Every command that touches the database calls `ready_database()` first: in the local profile it migrates a
fresh or older data dir; in production it stops with "run `mailagent db upgrade` first"."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from domain.errors import InfrastructureError

if TYPE_CHECKING:
    from entrypoints.container import Container
    from entrypoints.containers.admin import AdminContainer
    from entrypoints.containers.core import CoreContainer
    from entrypoints.containers.identity import IdentityContainer
    from entrypoints.settings import Settings


class DatabaseNotReady(InfrastructureError):
    """The database is behind the code's migrations (production: the operator migrates, never a side effect)."""


def settings() -> Settings:
    """This process's settings, with logging configured (quiet unless MAILAGENT_CLI_LOG_LEVEL says otherwise) and,
    in the local profile, the data dir created."""
    from entrypoints.logging_setup import configure_logging
    from entrypoints.settings import Settings

    current = Settings()
    configure_logging(json_logs=current.json_logs, level=os.environ.get("MAILAGENT_CLI_LOG_LEVEL", "WARNING"))
    if current.profile == "local":
        current.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return current


def ready_database(current: Settings, *, migrate: bool | None = None) -> None:
    """Bring the database to the newest revision when `migrate` (default: in the local profile), else refuse to run
    on one that is behind. One query when it is up to date; Alembic is imported only to migrate."""
    from adapters.sqlalchemy.migrate import schema_state, upgrade

    url = current.resolved_database_url
    state = schema_state(url)
    if state.up_to_date:
        return
    if migrate if migrate is not None else current.profile == "local":
        upgrade(url)
        return
    at = f"at revision {state.current}" if state.current else "not migrated yet"
    raise DatabaseNotReady(
        f"The database is {at}; this version of mailagent needs revision {state.head}. "
        "Run `mailagent db upgrade` first."
    )


def _leave_relaying_to_the_server(container: Any, current: Settings) -> None:
    """In the local profile a CLI process runs no jobs and serves no clients: it leaves what it commits in the
    outbox for the serving process (see cli/local_relay.py)."""
    from dependency_injector import providers

    from entrypoints.cli.local_relay import LeaveForServerRelay

    if current.profile == "local":
        container.outbox_relay.override(providers.Object(LeaveForServerRelay()))


def application(current: Settings | None = None, *, runs_jobs: bool = False, migrate: bool = True) -> Container:
    """The whole application container. `runs_jobs`: this process runs jobs and serves clients (serve, worker)."""
    from entrypoints.container import build_container

    current = current or settings()
    if migrate:
        ready_database(current)
    container = build_container(current)
    if not runs_jobs:
        _leave_relaying_to_the_server(container, current)
    return container


def core(*, migrate: bool = True) -> CoreContainer:
    """The shared providers only (settings, database, clock, secret store...). Enqueuing a job, which no cheap
    command does, would build the full job registry on first use."""
    from dependency_injector import providers

    from entrypoints.containers.core import CoreContainer

    current = settings()
    if migrate:
        ready_database(current)
    container = CoreContainer(
        job_registry=providers.Singleton(lambda: application(current, migrate=False).job_registry())
    )
    container.settings.override(providers.Object(current))
    _leave_relaying_to_the_server(container, current)
    return container


def identity() -> IdentityContainer:
    from entrypoints.containers.compose import build
    from entrypoints.containers.identity import IdentityContainer

    return build(IdentityContainer, core())  # type: ignore[no-any-return]


def admin() -> AdminContainer:
    from entrypoints.containers.admin import AdminContainer
    from entrypoints.containers.compose import build

    return build(AdminContainer, core())  # type: ignore[no-any-return]
