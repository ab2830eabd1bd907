"""Exchange a refresh token for a new pair; a reused refresh token ends its whole session family."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.auth_policy import AuthPolicy
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.token_issuer import TokenIssuer
from application.ports.unit_of_work import UnitOfWork
from application.principal_cache import session_key
from application.secrets_util import same_digest, split_compound
from application.session_tokens import AuthTokens, issue_tokens
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import AuthenticationFailed
from domain.identity import UserStatus

INVALID = "Your session has ended. Sign in again."


@dataclass(frozen=True)
class RefreshSessionInput:
    refresh_token: str
    context: AuditContext = AuditContext()
    email: str | None = None  # some external providers need it to refresh


class RefreshSession:
    def __init__(
        self,
        uow: UnitOfWork,
        tokens: TokenIssuer,
        cache: Cache,
        clock: Clock,
        policy: AuthPolicy,
        identity: IdentityProvider | None = None,
    ) -> None:
        self.uow, self.tokens, self.cache, self.clock = uow, tokens, cache, clock
        self.policy, self.identity = policy, identity

    def execute(self, inp: RefreshSessionInput) -> AuthTokens:
        if self.identity is not None:
            return self._external(inp)
        parts = split_compound(inp.refresh_token)
        if parts is None:
            raise AuthenticationFailed(INVALID)
        now = self.clock.now()
        with self.uow as uow:
            token = uow.sessions.get_refresh_token(parts[0])
            if token is None or not same_digest(parts[1], token.token_hash):
                raise AuthenticationFailed(INVALID)
            session = uow.sessions.get(token.session_id)
            if session is None:
                raise AuthenticationFailed(INVALID)
            if token.used_at is not None or not uow.sessions.consume_refresh_token(token.id, at=now):
                # Someone presented a token that was already rotated: assume it was stolen, end the family.
                if session.revoked_at is None:
                    uow.sessions.update(replace(session, revoked_at=now, revoked_reason="refresh_token_reuse"))
                uow.audit.append(
                    AuditDraft(
                        AuditAction.REFRESH_REUSE,
                        actor_id=session.user_id,
                        target=f"session:{session.id}",
                        context=inp.context,
                    ),
                    at=now,
                )
                uow.commit()
                self.cache.delete(session_key(session.id))
                raise AuthenticationFailed(
                    "This refresh token was already used, so the session was ended for your safety. Sign in again."
                )
            user = uow.users.get(session.user_id)
            if not session.is_valid(now) or now >= token.expires_at or user is None:
                raise AuthenticationFailed(INVALID)
            if user.status is not UserStatus.ACTIVE:
                raise AuthenticationFailed(INVALID)
            uow.sessions.update(replace(session, last_used_at=now))
            result = issue_tokens(
                uow, tokens=self.tokens, clock=self.clock, policy=self.policy, user=user, session=session
            )
            uow.audit.append(
                AuditDraft(AuditAction.REFRESH, actor_id=user.id, target=f"session:{session.id}", context=inp.context),
                at=now,
            )
            uow.commit()
            return result

    def _external(self, inp: RefreshSessionInput) -> AuthTokens:
        assert self.identity is not None
        issued = self.identity.refresh(inp.refresh_token, email=inp.email)
        claims = self.identity.verify_access_token(issued.access_token)
        with self.uow as uow:
            user = uow.users.get_by_external_subject(claims.subject)
            if user is None or user.status is not UserStatus.ACTIVE:
                raise AuthenticationFailed(INVALID)
            uow.audit.append(
                AuditDraft(AuditAction.REFRESH, actor_id=user.id, target=f"user:{user.id}", context=inp.context),
                at=self.clock.now(),
            )
            uow.commit()
        return AuthTokens(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token or inp.refresh_token,
            expires_in=issued.expires_in,
            user=user,
        )
