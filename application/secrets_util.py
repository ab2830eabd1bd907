"""Random tokens and their one-way digests (the database only ever keeps digests)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(token: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(token), expected_digest)


def split_compound(token: str) -> tuple[str, str] | None:
    """Tokens we hand out are `<id>.<secret>`; return the parts or None when the shape is wrong."""
    token_id, sep, secret = token.partition(".")
    if not sep or not token_id or not secret or len(token) > 512:
        return None
    return token_id, secret
