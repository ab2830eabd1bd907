"""GoogleOAuthClient: the authorization-code flow for Gmail, Calendar and Contacts access (incremental: a reconnect
asks for every scope with include_granted_scopes, so an account connected before Calendar was asked for gains it)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from application.ports.oauth_client import OAuthClient, OAuthTokens
from domain.errors import ServiceUnavailable, UpstreamError, ValidationFailed

# requests-oauthlib and oauthlib log whole token responses at DEBUG: never let those records exist.
for _noisy in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_noisy).setLevel(logging.INFO)

# Google may grant fewer scopes than asked (granular consent); we record what was granted instead of failing.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")

GOOGLE_SCOPES = (
    "https://www.googleapis.com/auth/gmail.modify",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/contacts",
    "https://www.googleapis.com/auth/contacts.other.readonly",  # people the user wrote to ("other contacts")
)


@dataclass(frozen=True)
class GoogleOAuthConfig:
    client_id: str
    client_secret: str
    redirect_uri: str
    auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    token_uri: str = "https://oauth2.googleapis.com/token"
    revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    gmail_root: str = "https://gmail.googleapis.com/"
    scopes: tuple[str, ...] = GOOGLE_SCOPES
    timeout: float = 10.0

    def __repr__(self) -> str:  # the client secret never reaches a log line
        return f"GoogleOAuthConfig(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"


class GoogleOAuthClient(OAuthClient):
    def __init__(self, config: GoogleOAuthConfig) -> None:
        self.config = config

    def _flow(self, code_verifier: str | None = None) -> Flow:
        c = self.config
        client_config = {
            "web": {
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "auth_uri": c.auth_uri,
                "token_uri": c.token_uri,
                "redirect_uris": [c.redirect_uri],
            }
        }
        return Flow.from_client_config(
            client_config,
            scopes=list(c.scopes),
            redirect_uri=c.redirect_uri,
            code_verifier=code_verifier,
            autogenerate_code_verifier=False,
        )

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        url, _ = self._flow().authorization_url(
            access_type="offline",
            prompt="consent",
            include_granted_scopes="true",
            state=state,
            code_challenge=code_challenge,
            code_challenge_method="S256",
        )
        return str(url)

    def exchange_code(self, *, code: str, code_verifier: str) -> OAuthTokens:
        flow = self._flow(code_verifier)
        try:
            flow.fetch_token(code=code, timeout=self.config.timeout)
        except OAuth2Error as exc:
            raise ValidationFailed(
                "Google refused the authorization code (it may have expired or been used). Connect again."
            ) from exc
        except (OSError, ValueError) as exc:
            raise ServiceUnavailable("Google's sign-in service cannot be reached.", service="google-oauth") from exc
        creds = flow.credentials
        granted = getattr(creds, "granted_scopes", None) or creds.scopes or self.config.scopes
        return OAuthTokens(
            access_token=str(creds.token),
            refresh_token=creds.refresh_token,
            expires_at=_aware(creds.expiry),
            scopes=tuple(sorted(granted)),
        )

    def revoke(self, token: str) -> None:
        try:
            response = httpx.post(
                self.config.revoke_uri,
                data={"token": token},
                headers={"content-type": "application/x-www-form-urlencoded"},
                timeout=self.config.timeout,
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("Google's sign-in service cannot be reached.", service="google-oauth") from exc
        if response.status_code not in (200, 400):  # 400 = already invalid: the goal is reached either way
            raise UpstreamError(f"Google answered {response.status_code} to the revocation.", service="google-oauth")

    def account_address(self, access_token: str) -> str:
        url = self.config.gmail_root.rstrip("/") + "/gmail/v1/users/me/profile"
        try:
            response = httpx.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=self.config.timeout)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("Gmail cannot be reached.", service="gmail") from exc
        if response.status_code != 200:
            raise UpstreamError(f"Gmail answered {response.status_code} when asked for the address.", service="gmail")
        return str(response.json()["emailAddress"])


def _aware(expiry: datetime | None) -> datetime | None:
    # google-auth keeps expiry as naive UTC.
    return expiry.replace(tzinfo=UTC) if expiry is not None and expiry.tzinfo is None else expiry
