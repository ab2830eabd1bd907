"""Access tokens: ours are read once (verified signature cached by token), anyone else's is told apart, and a token
that is broken, forged, of another type or issuer, or expired is refused every time."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from adapters.jwt.token_issuer import JwtTokenIssuer
from domain.errors import AuthenticationFailed

SECRET = b"s" * 40
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _issuer() -> JwtTokenIssuer:
    return JwtTokenIssuer(SECRET)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_own_token_round_trips_and_is_verified_only_once() -> None:
    issuer = _issuer()
    token = issuer.issue_access_token(subject="u1", session_id="s1", now=NOW, ttl_seconds=900)
    claims = issuer.read_own_token(token, now=NOW)
    assert claims is not None and (claims.subject, claims.session_id) == ("u1", "s1")
    assert issuer.decode_access_token(token, now=NOW + timedelta(minutes=1)) == claims
    info = issuer._verified.cache_info()  # type: ignore[attr-defined]
    assert (info.misses, info.hits) == (1, 1)
    assert issuer.read_own_token(token, now=NOW) is claims  # the claims too are read once, not rebuilt per request


def test_time_claims_are_checked_on_every_read_even_when_the_signature_was_cached() -> None:
    issuer = _issuer()
    token = issuer.issue_access_token(subject="u1", session_id="s1", now=NOW, ttl_seconds=60)
    assert issuer.read_own_token(token, now=NOW) is not None
    with pytest.raises(AuthenticationFailed, match="expired"):
        issuer.read_own_token(token, now=NOW + timedelta(seconds=61))
    with pytest.raises(AuthenticationFailed, match="not valid yet"):
        issuer.read_own_token(token, now=NOW - timedelta(minutes=5))


@pytest.mark.property(22)
def test_a_tampered_or_foreign_signed_token_is_refused_and_never_cached() -> None:
    issuer = _issuer()
    token = issuer.issue_access_token(subject="u1", session_id="s1", now=NOW, ttl_seconds=900)
    header, payload, signature = token.split(".")
    forged = ".".join(
        (header, _b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "admin"}), signature)
    )
    other_key = jwt.encode(
        {"sub": "u1", "sid": "s1", "iss": "mailagent", "typ": "access", "iat": 1, "exp": 2**40},
        b"x" * 40,
        algorithm="HS256",
        headers={"kid": "mailagent"},
    )
    for bad in (forged, other_key, token[:-3] + "abc", "a.b.c"):
        for _ in range(2):
            with pytest.raises(AuthenticationFailed):
                issuer.decode_access_token(bad, now=NOW)
    assert issuer._verified.cache_info().currsize == 0  # type: ignore[attr-defined]


def test_someone_elses_token_is_not_ours_and_ours_is_refused_if_its_claims_are_wrong() -> None:
    issuer = _issuer()
    cognito_like = jwt.encode({"sub": "x"}, b"k" * 40, algorithm="HS512", headers={"kid": "cognito"})
    unsigned = f"{_b64({'alg': 'none', 'kid': 'idp'})}.{_b64({'sub': 'x'})}."
    assert issuer.read_own_token(cognito_like, now=NOW) is None
    assert issuer.read_own_token(unsigned, now=NOW) is None
    good = {"sub": "u1", "sid": "s1", "iss": "mailagent", "typ": "access", "iat": 1780000000, "exp": 1790000000}
    for changed in ({"typ": "refresh"}, {"iss": "elsewhere"}, {"sid": ""}, {"exp": "soon"}, {"iat": True}):
        token = jwt.encode({**good, **changed}, SECRET, algorithm="HS256", headers={"kid": "mailagent"})
        for _ in range(2):  # refused again once its signature is known to be ours
            with pytest.raises(AuthenticationFailed):
                issuer.read_own_token(token, now=NOW)
            with pytest.raises(AuthenticationFailed):
                issuer.decode_access_token(token, now=NOW)
    # An unsigned token naming our issuer is never taken as ours (only HS256 is): the identity provider, or
    # nobody, gets to refuse it.
    none_alg_ours = f"{_b64({'alg': 'none', 'kid': 'mailagent'})}.{_b64(good)}."
    assert issuer.read_own_token(none_alg_ours, now=NOW) is None


def test_the_secret_is_still_checked_as_an_hmac_key() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokenIssuer(b"short")
    with pytest.raises(jwt.InvalidKeyError):
        JwtTokenIssuer(b"-----BEGIN PUBLIC KEY-----\n" + b"A" * 64 + b"\n-----END PUBLIC KEY-----\n")
