"""Sign out: revoke the caller's session so its access and refresh tokens stop working at once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.unit_of_work import UnitOfWork
from application.principal_cache import session_key
from application.session_tokens import revoked_token_cache_key
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.identity import Principal


@dataclass(frozen=True)
class LogoutInput:
    principal: Principal
    access_token: str | None = None
    context: AuditContext = AuditContext()


class Logout:
    def __init__(self, uow: UnitOfWork, cache: Cache, clock: Clock, identity: IdentityProvider | None = None) -> None:
        self.uow, self.cache, self.clock, self.identity = uow, cache, clock, identity

    def execute(self, inp: LogoutInput) -> None:
        now = self.clock.now()
        principal = inp.principal
        with self.uow as uow:
            target = f"user:{principal.user_id}"
            if principal.session_id is not None:
                session = uow.sessions.get(principal.session_id)
                if session is not None and session.revoked_at is None:
                    uow.sessions.update(replace(session, revoked_at=now, revoked_reason="logout"))
                target = f"session:{principal.session_id}"
            elif self.identity is not None and inp.access_token:
                claims = self.identity.verify_access_token(inp.access_token)
                self.identity.logout(inp.access_token)
                if claims.token_id:
                    ttl = max(1, int((claims.expires_at - now).total_seconds()))
                    self.cache.set(revoked_token_cache_key(claims.token_id), "1", ttl_seconds=ttl)
            uow.audit.append(
                AuditDraft(AuditAction.LOGOUT, actor_id=principal.user_id, target=target, context=inp.context),
                at=now,
            )
            uow.commit()
        if principal.session_id is not None:
            self.cache.delete(session_key(principal.session_id))
