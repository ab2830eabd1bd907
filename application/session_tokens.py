"""Issuing a session's token pair, and the cache key of a revoked external token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.auth_policy import AuthPolicy
from application.ports.clock import Clock
from application.ports.token_issuer import TokenIssuer
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import digest, new_token
from domain.identity import RefreshToken, Session, User, new_id


def revoked_token_cache_key(token_id: str) -> str:
    return f"token:revoked:{token_id}"


@dataclass(frozen=True)
class AuthTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    user: User
    session_id: str | None = None
    token_type: str = "bearer"


def issue_tokens(
    uow: UnitOfWork,
    *,
    tokens: TokenIssuer,
    clock: Clock,
    policy: AuthPolicy,
    user: User,
    session: Session,
) -> AuthTokens:
    """Add a fresh refresh token to the session and sign an access token bound to it (caller commits)."""
    now = clock.now()
    refresh_id = new_id()
    secret = new_token()
    expires_at = min(now + timedelta(seconds=policy.refresh_token_ttl_seconds), session.expires_at)
    uow.sessions.add_refresh_token(
        RefreshToken(
            id=refresh_id,
            session_id=session.id,
            token_hash=digest(secret),
            issued_at=now,
            expires_at=expires_at,
        )
    )
    access = tokens.issue_access_token(
        subject=user.id, session_id=session.id, now=now, ttl_seconds=policy.access_token_ttl_seconds
    )
    return AuthTokens(
        access_token=access,
        refresh_token=f"{refresh_id}.{secret}",
        expires_in=policy.access_token_ttl_seconds,
        user=user,
        session_id=session.id,
    )
