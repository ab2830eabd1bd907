"""List the caller's own API keys (never anyone else's, never the secret)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.unit_of_work import UnitOfWork
from domain.identity import ApiKey, Principal


@dataclass(frozen=True)
class ListApiKeysInput:
    principal: Principal


class ListApiKeys:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListApiKeysInput) -> Sequence[ApiKey]:
        with self.uow as uow:
            keys = uow.api_keys.list_for_user(inp.principal.user_id)
        return sorted(keys, key=lambda k: k.created_at, reverse=True)
