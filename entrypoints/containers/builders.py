"""Adapters built from the settings alone, without dependency-injector: the containers' providers call these, and so
do the CLI's narrow builds (entrypoints/cli/context.py), so a cheap command is wired the same way as the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adapters.argon2.password_hasher import Argon2PasswordHasher
    from entrypoints.settings import Settings


def database_engine(settings: Settings) -> Engine:
    """SQLite in the local profile, pooled PostgreSQL in production: the same adapter, another URL. The pool keeps
    as many connections as a process runs request threads (ADR 0029)."""
    from adapters.sqlalchemy.engine import make_engine

    return make_engine(
        settings.resolved_database_url,
        pool_size=settings.resolved_db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


def password_hasher(settings: Settings) -> Argon2PasswordHasher:
    from adapters.argon2.password_hasher import Argon2PasswordHasher

    return Argon2PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
