"""Admin: list users, paged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.authorization import require_admin
from application.ports.unit_of_work import UnitOfWork
from domain.identity import Principal, User


@dataclass(frozen=True)
class ListUsersInput:
    principal: Principal
    offset: int = 0
    limit: int = 50


class ListUsers:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListUsersInput) -> tuple[Sequence[User], int]:
        require_admin(inp.principal)
        with self.uow as uow:
            return uow.users.list(offset=inp.offset, limit=inp.limit), uow.users.count()
