"""TokenIssuer: signs and checks this platform's short-lived access tokens."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AccessClaims:
    subject: str  # user id
    session_id: str
    token_id: str
    issued_at: datetime
    expires_at: datetime


class TokenIssuer(ABC):
    @abstractmethod
    def issue_access_token(self, *, subject: str, session_id: str, now: datetime, ttl_seconds: int) -> str: ...

    @abstractmethod
    def decode_access_token(self, token: str, *, now: datetime) -> AccessClaims:
        """Raise AuthenticationFailed for a bad signature, a wrong type or an expired token."""

    @abstractmethod
    def looks_like_own_token(self, token: str) -> bool:
        """Cheap check (no verification) whether a bearer token was issued by this platform."""

    def read_own_token(self, token: str, *, now: datetime) -> AccessClaims | None:
        """The claims of this platform's token (verified as `decode_access_token` does), or None when the token is
        someone else's (e.g. the identity provider's). Implementations may read the token only once."""
        return self.decode_access_token(token, now=now) if self.looks_like_own_token(token) else None
