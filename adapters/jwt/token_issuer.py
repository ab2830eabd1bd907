"""JwtTokenIssuer: HS256 access tokens carrying the user and session ids."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import jwt
from jwt.algorithms import HMACAlgorithm

from application.ports.token_issuer import AccessClaims, TokenIssuer
from domain.errors import AuthenticationFailed

ISSUER = "mailagent"
TOKEN_TYPE = "access"
VERIFIED_TOKENS_KEPT = 10_000  # ~1 KB each: live sessions' tokens, verified once


class _Checked(NamedTuple):
    """A verified token's claims, read once; `issued_at` and `expires_at` as the token's numbers."""

    claims: AccessClaims
    issued_at: float
    expires_at: float


class _PreparedHmac(HMACAlgorithm):
    """HS256 whose key is checked and prepared once. PyJWT re-checks the key on every decode (that it is no PEM,
    SSH, DER or JWK key), which costs ~0.2 ms a request here; the key never changes, so its check need not."""

    def __init__(self, secret: bytes) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._secret = secret
        self._prepared = super().prepare_key(secret)

    def prepare_key(self, key: str | bytes) -> bytes:
        return self._prepared if key == self._secret else super().prepare_key(key)


class JwtTokenIssuer(TokenIssuer):
    def __init__(self, secret: bytes, *, issuer: str = ISSUER, leeway_seconds: int = 0) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT signing secret must be at least 32 bytes")
        self._secret = secret
        self._issuer = issuer
        self._leeway = leeway_seconds
        self._jws = jwt.PyJWS(algorithms=["HS256"])
        self._jws.unregister_algorithm("HS256")
        self._jws.register_algorithm("HS256", _PreparedHmac(secret))
        # A session sends the same token with every request until it expires: verify its signature and read its
        # claims once, then only their time is checked per request (whether the session still lives is the
        # caller's question, asked every time: Authenticate). Tokens with a bad signature are not kept.
        self._verified = functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify)

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
            _, checked = self._verified(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("The access token is not valid. Sign in again.") from exc
        return self._in_time(checked, now)

    def read_own_token(self, token: str, *, now: datetime) -> AccessClaims | None:
        # One parse for our own tokens (header, payload and signature together); only a token that fails is looked
        # at again, to tell someone else's token (not ours: None) from a broken or forged one of ours (refused).
        try:
            header, checked = self._verified(token)
        except jwt.PyJWTError as exc:
            if not self.looks_like_own_token(token):
                return None
            raise AuthenticationFailed("The access token is not valid. Sign in again.") from exc
        if header.get("kid") != self._issuer:
            return None
        return self._in_time(checked, now)

    def _verify(self, token: str) -> tuple[dict[str, Any], _Checked | None]:
        """The header of a token whose HS256 signature is ours, and its claims if they are well formed (None if not);
        raises PyJWTError for a bad signature or a payload that is not JSON. Only the time is left to check."""
        decoded = self._jws.decode_complete(token, self._secret, algorithms=["HS256"])
        try:
            payload = json.loads(decoded["payload"])
        except ValueError as exc:
            raise jwt.DecodeError("the payload is not JSON") from exc
        return decoded["header"], self._well_formed(payload)

    def _well_formed(self, payload: Any) -> _Checked | None:
        # The signature was verified (PyJWS, HS256 only); what a token says never changes, so it is read once here.
        if (
            not isinstance(payload, dict)
            or payload.get("typ") != TOKEN_TYPE
            or payload.get("iss") != self._issuer
            or not all(isinstance(payload.get(name), str) and payload[name] for name in ("sub", "sid"))
            or not all(type(payload.get(name)) in (int, float) for name in ("iat", "exp"))
        ):
            return None
        claims = AccessClaims(
            subject=str(payload["sub"]),
            session_id=str(payload["sid"]),
            token_id=str(payload.get("jti", "")),
            issued_at=datetime.fromtimestamp(payload["iat"], UTC),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
        return _Checked(claims, payload["iat"], payload["exp"])

    def _in_time(self, checked: _Checked | None, now: datetime) -> AccessClaims:
        # The time claims are checked on every use, against the injected clock (not the wall clock: testable).
        if checked is None:
            raise AuthenticationFailed("The access token is not valid. Sign in again.")
        timestamp = now.timestamp()
        if checked.issued_at > timestamp + self._leeway + 60:
            raise AuthenticationFailed("The access token is not valid yet. Check the clock and sign in again.")
        if timestamp >= checked.expires_at + self._leeway:
            raise AuthenticationFailed("The access token has expired. Refresh it or sign in again.")
        return checked.claims

    def looks_like_own_token(self, token: str) -> bool:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return False
        return header.get("kid") == self._issuer and header.get("alg") == "HS256"
