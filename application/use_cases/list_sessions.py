"""List the caller's own sessions (devices), newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.unit_of_work import UnitOfWork
from domain.identity import Principal, Session


@dataclass(frozen=True)
class ListSessionsInput:
    principal: Principal


class ListSessions:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListSessionsInput) -> Sequence[Session]:
        with self.uow as uow:
            sessions = uow.sessions.list_for_user(inp.principal.user_id)
        return sorted(sessions, key=lambda s: s.created_at, reverse=True)
