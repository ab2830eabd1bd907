"""Set a new password with a reset token; every existing session of the user ends."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.password_hasher import PasswordHasher
from application.ports.unit_of_work import UnitOfWork
from application.principal_cache import session_key
from application.secrets_util import same_digest, split_compound
from application.use_cases.register_user import password_errors
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import ValidationFailed
from domain.identity import OneTimePurpose, UserStatus

INVALID = "This reset link is invalid, expired or already used. Request a new one."


@dataclass(frozen=True)
class ResetPasswordInput:
    token: str
    new_password: str
    context: AuditContext = AuditContext()


class ResetPassword:
    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, cache: Cache, clock: Clock) -> None:
        self.uow, self.hasher, self.cache, self.clock = uow, hasher, cache, clock

    def execute(self, inp: ResetPasswordInput) -> None:
        parts = split_compound(inp.token)
        if parts is None:
            raise ValidationFailed(INVALID)
        now = self.clock.now()
        with self.uow as uow:
            token = uow.one_time_tokens.get(parts[0])
            if (
                token is None
                or token.purpose is not OneTimePurpose.RESET_PASSWORD
                or not token.is_usable(now)
                or not same_digest(parts[1], token.token_hash)
            ):
                raise ValidationFailed(INVALID)
            user = uow.users.get(token.user_id)
            if user is None or user.status is UserStatus.DISABLED:
                raise ValidationFailed(INVALID)
            password_errors(inp.new_password, user.email)
            uow.one_time_tokens.update(replace(token, used_at=now))
            changes: dict[str, object] = {"password_hash": self.hasher.hash(inp.new_password)}
            if user.status is UserStatus.PENDING:  # the link reached their inbox: the address is proven
                changes.update(status=UserStatus.ACTIVE, email_verified_at=now)
            uow.users.update(user.with_changes(**changes))
            revoked = uow.sessions.revoke_all_for_user(user.id, at=now, reason="password_reset")
            uow.audit.append(
                AuditDraft(
                    AuditAction.RESET_COMPLETED,
                    actor_id=user.id,
                    target=f"user:{user.id}",
                    context=inp.context,
                    details={"sessions_revoked": len(revoked)},
                ),
                at=now,
            )
            uow.commit()
        self.cache.delete(*(session_key(s) for s in revoked))
