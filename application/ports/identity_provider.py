"""IdentityProvider: an external identity service (e.g. Cognito) that holds credentials and issues tokens.

The embedded default keeps credentials itself (local identity: PasswordHasher + TokenIssuer + sessions); when an
IdentityProvider is configured, the auth use cases delegate registration, confirmation, login, refresh, logout and
access-token verification to it, and keep only the user record (role, status) locally.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class IdentityTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    id_token: str | None = None


@dataclass(frozen=True)
class IdentityClaims:
    subject: str
    email: str | None
    expires_at: datetime
    token_id: str | None = None


class IdentityProvider(ABC):
    name: str = "external"

    @abstractmethod
    def register(self, email: str, password: str) -> str:
        """Create the identity; return its stable subject id. The provider sends its own confirmation code."""

    @abstractmethod
    def confirm(self, email: str, code: str) -> None: ...

    @abstractmethod
    def login(self, email: str, password: str) -> IdentityTokens:
        """Raise AuthenticationFailed for wrong credentials, PermissionDenied for an unconfirmed identity."""

    @abstractmethod
    def refresh(self, refresh_token: str, *, email: str | None = None) -> IdentityTokens: ...

    @abstractmethod
    def logout(self, access_token: str) -> None:
        """Sign the identity out everywhere (invalidates its refresh tokens)."""

    @abstractmethod
    def verify_access_token(self, token: str) -> IdentityClaims:
        """Check signature (JWKS), issuer, audience/client and expiry; raise AuthenticationFailed otherwise."""
