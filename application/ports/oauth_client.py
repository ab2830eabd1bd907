"""OAuthClient: the OAuth 2.0 authorization-code flow with a mail provider (Google). Refreshing a token is the
mailbox adapter's job (it holds the grant while it works)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: tuple[str, ...]

    def __repr__(self) -> str:  # never print the tokens themselves
        return f"OAuthTokens(scopes={self.scopes!r}, expires_at={self.expires_at!r})"


class OAuthClient(ABC):
    @abstractmethod
    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The consent URL: offline access, prompt=consent, our scopes, PKCE S256 challenge."""

    @abstractmethod
    def exchange_code(self, *, code: str, code_verifier: str) -> OAuthTokens:
        """Trade the authorization code for tokens; ValidationFailed for a bad or used code."""

    @abstractmethod
    def revoke(self, token: str) -> None:
        """Revoke the grant at the provider (best effort; an already invalid token is fine)."""

    @abstractmethod
    def account_address(self, access_token: str) -> str:
        """The e-mail address the tokens belong to."""
