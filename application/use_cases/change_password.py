"""A signed-in person changes their password: the current one is required, the new one meets the policy, and every
other session is signed out (this one stays)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application import principal_cache
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.password_hasher import PasswordHasher
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from domain.identity import Principal
from domain.password_policy import check_password

WRONG_CURRENT = "Your current password is not right."


@dataclass(frozen=True)
class ChangePasswordInput:
    principal: Principal
    current_password: str
    new_password: str
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class PasswordChanged:
    other_sessions_signed_out: int


class ChangePassword:
    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, cache: Cache, clock: Clock) -> None:
        self.uow, self.hasher, self.cache, self.clock = uow, hasher, cache, clock

    def execute(self, inp: ChangePasswordInput) -> PasswordChanged:
        if inp.principal.session_id is None:
            # An API key (perhaps with few scopes, perhaps on a server somewhere) must not take over the account.
            raise PermissionDenied("Change your password while signed in to the app, not with an API key.")
        now = self.clock.now()
        with self.uow as uow:
            user = uow.users.get(inp.principal.user_id)
            if user is None:
                raise NotFound("Your account no longer exists.")
            if user.password_hash is None:
                raise Conflict("Your password is kept by your organisation's sign-in service; change it there.")
            if not self.hasher.verify(user.password_hash, inp.current_password):
                uow.audit.append(
                    AuditDraft(
                        AuditAction.PASSWORD_CHANGE_FAILED,
                        actor_id=user.id,
                        target=f"user:{user.id}",
                        context=inp.context,
                        details={"reason": "wrong_current_password"},
                    ),
                    at=now,
                )
                uow.commit()
                raise ValidationFailed(
                    WRONG_CURRENT,
                    details=[{"field": "current_password", "issue": "wrong", "message": WRONG_CURRENT}],
                )
            if inp.new_password == inp.current_password:
                message = "Choose a new password that differs from the current one."
                raise ValidationFailed(
                    message, details=[{"field": "new_password", "issue": "unchanged", "message": message}]
                )
            violations = check_password(inp.new_password, user.email)
            if violations:
                raise ValidationFailed(
                    "The new password does not meet the rules: " + " ".join(v.message for v in violations),
                    details=[{"field": "new_password", "rule": v.rule, "message": v.message} for v in violations],
                )
            uow.users.update(user.with_changes(password_hash=self.hasher.hash(inp.new_password)))
            others = [
                s
                for s in uow.sessions.list_for_user(user.id)
                if s.revoked_at is None and s.id != inp.principal.session_id
            ]
            for session in others:
                uow.sessions.update(replace(session, revoked_at=now, revoked_reason="password_changed"))
            uow.audit.append(
                AuditDraft(
                    AuditAction.PASSWORD_CHANGED,
                    actor_id=user.id,
                    target=f"user:{user.id}",
                    context=inp.context,
                    details={"other_sessions_signed_out": len(others)},
                ),
                at=now,
            )
            uow.commit()
        principal_cache.forget(self.cache, sessions=[s.id for s in others])
        return PasswordChanged(len(others))
