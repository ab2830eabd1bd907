"""Revoke one of the caller's API keys; someone else's key id is answered as not found."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application import principal_cache
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import NotFound
from domain.identity import ApiKey, Principal


@dataclass(frozen=True)
class RevokeApiKeyInput:
    principal: Principal
    key_id: str
    context: AuditContext = AuditContext()


class RevokeApiKey:
    def __init__(self, uow: UnitOfWork, cache: Cache, clock: Clock) -> None:
        self.uow, self.cache, self.clock = uow, cache, clock

    def execute(self, inp: RevokeApiKeyInput) -> ApiKey:
        now = self.clock.now()
        with self.uow as uow:
            key = uow.api_keys.get(inp.key_id)
            if key is None or key.user_id != inp.principal.user_id:
                raise NotFound("No API key with that id.")
            if key.revoked_at is None:
                key = replace(key, revoked_at=now)
                uow.api_keys.update(key)
                uow.audit.append(
                    AuditDraft(
                        AuditAction.API_KEY_REVOKED,
                        actor_id=inp.principal.user_id,
                        target=f"api_key:{key.id}",
                        context=inp.context,
                    ),
                    at=now,
                )
                uow.commit()
        principal_cache.forget(self.cache, api_keys=[key.id])
        return key
