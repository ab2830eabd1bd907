"""Verify an e-mail address with the single-use link token (or the external provider's code)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import same_digest, split_compound
from application.use_cases.register_user import normalize_email
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import ValidationFailed
from domain.identity import OneTimePurpose, User, UserStatus

INVALID_LINK = "This verification link is invalid or has expired. Request a new one."


@dataclass(frozen=True)
class VerifyEmailInput:
    token: str | None = None
    email: str | None = None
    code: str | None = None
    context: AuditContext = AuditContext()


class VerifyEmail:
    def __init__(self, uow: UnitOfWork, clock: Clock, identity: IdentityProvider | None = None) -> None:
        self.uow, self.clock, self.identity = uow, clock, identity

    def execute(self, inp: VerifyEmailInput) -> User:
        now = self.clock.now()
        with self.uow as uow:
            if self.identity is not None:
                if not inp.email or not inp.code:
                    raise ValidationFailed("Give the e-mail address and the confirmation code you received.")
                self.identity.confirm(normalize_email(inp.email), inp.code)
                user = uow.users.get_by_email(normalize_email(inp.email))
                if user is None:
                    raise ValidationFailed(INVALID_LINK)
            else:
                parts = split_compound(inp.token or "")
                if parts is None:
                    raise ValidationFailed(INVALID_LINK)
                token = uow.one_time_tokens.get(parts[0])
                if (
                    token is None
                    or token.purpose is not OneTimePurpose.VERIFY_EMAIL
                    or not token.is_usable(now)
                    or not same_digest(parts[1], token.token_hash)
                ):
                    raise ValidationFailed(INVALID_LINK)
                uow.one_time_tokens.update(replace(token, used_at=now))
                found = uow.users.get(token.user_id)
                if found is None:
                    raise ValidationFailed(INVALID_LINK)
                user = found
            if user.status is UserStatus.PENDING:
                user = user.with_changes(status=UserStatus.ACTIVE, email_verified_at=now)
                uow.users.update(user)
            uow.audit.append(
                AuditDraft(AuditAction.VERIFY_EMAIL, actor_id=user.id, target=f"user:{user.id}", context=inp.context),
                at=now,
            )
            uow.commit()
        return user
