"""JwtTokenIssuer: HS256 access tokens carrying the user and session ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from application.ports.token_issuer import AccessClaims, TokenIssuer
from domain.errors import AuthenticationFailed

ISSUER = "mailagent"
TOKEN_TYPE = "access"


class JwtTokenIssuer(TokenIssuer):
    def __init__(self, secret: bytes, *, issuer: str = ISSUER, leeway_seconds: int = 0) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT signing secret must be at least 32 bytes")
        self._secret = secret
        self._issuer = issuer
        self._leeway = leeway_seconds

    def issue_access_token(self, *, subject: str, session_id: str, now: datetime, ttl_seconds: int) -> str:
        payload = {
            "iss": self._issuer,
            "sub": subject,
            "sid": session_id,
            "jti": uuid.uuid4().hex,
            "typ": TOKEN_TYPE,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        }
        return jwt.encode(payload, self._secret, algorithm="HS256", headers={"kid": self._issuer})

    def decode_access_token(self, token: str, *, now: datetime) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "sid", "iss"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("The access token is not valid. Sign in again.") from exc
        # Time claims are checked against the injected clock (not the wall clock) so they are testable.
        if payload.get("typ") != TOKEN_TYPE:
            raise AuthenticationFailed("The access token is not valid. Sign in again.")
        if payload["iat"] > now.timestamp() + self._leeway + 60:
            raise AuthenticationFailed("The access token is not valid yet. Check the clock and sign in again.")
        if now.timestamp() >= payload["exp"] + self._leeway:
            raise AuthenticationFailed("The access token has expired. Refresh it or sign in again.")
        return AccessClaims(
            subject=str(payload["sub"]),
            session_id=str(payload["sid"]),
            token_id=str(payload.get("jti", "")),
            issued_at=datetime.fromtimestamp(payload["iat"], UTC),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )

    def looks_like_own_token(self, token: str) -> bool:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return False
        return header.get("kid") == self._issuer and header.get("alg") == "HS256"
