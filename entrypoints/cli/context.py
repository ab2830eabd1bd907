"""What a CLI command runs on, built on demand: its settings, a narrow build of exactly what it uses (units of work
and one or two adapters: `audit verify`, `audit seal`, `user create`, `demo-admin`), the core container, or the whole
application container (serve, worker, mail, chat) — with the database checked first.

Sub-commands take these from here instead of importing `main.py` (no import circles), and a cheap command imports
and builds only what it uses: no dependency-injector, no other context's use cases, repositories or models, no mail,
agent, LangGraph or Google stack (tests/unit/test_containers.py). Every command that touches the database calls
`ready_database()` first: in the local profile it migrates a fresh or older data dir; in production it stops with
"run `mailagent db upgrade` first"."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from domain.errors import InfrastructureError

if TYPE_CHECKING:
    from collections.abc import Callable

    from application.ports.unit_of_work import UnitOfWork
    from application.use_cases.create_user import CreateUser
    from application.use_cases.seal_audit_log import SealAuditLog
    from application.use_cases.verify_audit_chain import VerifyAuditChain
    from entrypoints.container import Container
    from entrypoints.containers.core import CoreContainer
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


# Narrow builds: the commands that need the database and one or two adapters get exactly those, built by the same
# functions as the containers' providers (entrypoints/containers/builders.py), without dependency-injector, the core
# container's job, event and cache wiring, or any other context's use cases and models (issue 13: <= 1 s).


def unit_of_work(current: Settings | None = None, *, migrate: bool = True) -> Callable[[], UnitOfWork]:
    """Units of work on this process's database (checked or migrated first), and nothing else. In the local profile
    what they commit to the outbox waits there for the serving process, as with the containers."""
    from adapters.sqlalchemy.engine import make_session_factory
    from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
    from entrypoints.containers.builders import database_engine

    current = current or settings()
    if migrate:
        ready_database(current)
    factory = make_session_factory(database_engine(current))
    return lambda: SqlAlchemyUnitOfWork(factory)


def verify_audit_chain() -> VerifyAuditChain:
    from application.use_cases.verify_audit_chain import VerifyAuditChain

    return VerifyAuditChain(unit_of_work()())


def seal_audit_log() -> SealAuditLog:
    from adapters.system.clock import SystemClock
    from application.use_cases.seal_audit_log import SealAuditLog

    return SealAuditLog(unit_of_work()(), SystemClock())


class UserCreation:
    """What `user create` and `demo-admin` run on: the settings, units of work and the use case."""

    def __init__(self) -> None:
        self.settings = settings()
        self.uow = unit_of_work(self.settings)

    def create_user(self) -> CreateUser:
        from adapters.system.clock import SystemClock
        from application.use_cases.create_user import CreateUser
        from entrypoints.containers.builders import password_hasher

        return CreateUser(self.uow(), password_hasher(self.settings), SystemClock())
