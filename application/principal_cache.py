"""Short-lived snapshots of who is behind a session or API key, so a request needs no database read.

Every change that matters for access (logout, revocation, role change, disabling, password reset) deletes the
snapshot explicitly; the TTL only bounds how long an unrelated change (a display name) can look stale.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from application.ports.cache import Cache
from domain.identity import UNDO_SEND_DEFAULT, ApiKey, Role, Scope, User, UserStatus

SNAPSHOT_TTL_SECONDS = 30


def session_key(session_id: str) -> str:
    return f"session:live:{session_id}"


def api_key_key(key_id: str) -> str:
    return f"apikey:live:{key_id}"


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def user_to_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "status": user.status.value,
        "created_at": _dt(user.created_at),
        "email_verified_at": _dt(user.email_verified_at),
        "external_subject": user.external_subject,
        "display_name": user.display_name,
        "undo_send_seconds": user.undo_send_seconds,
        "image_senders": list(user.image_senders),
        "conversation_view": user.conversation_view,
    }


def user_from_dict(data: dict[str, Any]) -> User:
    created = _parse_dt(data["created_at"])
    assert created is not None
    return User(
        id=data["id"],
        email=data["email"],
        role=Role(data["role"]),
        status=UserStatus(data["status"]),
        created_at=created,
        email_verified_at=_parse_dt(data["email_verified_at"]),
        external_subject=data["external_subject"],
        display_name=data["display_name"],
        undo_send_seconds=int(data.get("undo_send_seconds", UNDO_SEND_DEFAULT)),
        image_senders=tuple(data.get("image_senders", ())),
        conversation_view=bool(data.get("conversation_view", True)),
    )  # the password hash is deliberately never cached


def put_session(cache: Cache, session_id: str, user: User) -> None:
    cache.set(session_key(session_id), json.dumps(user_to_dict(user)), ttl_seconds=SNAPSHOT_TTL_SECONDS)


@functools.lru_cache(maxsize=1024)
def _session_user(raw: str) -> User:
    """The same snapshot text always decodes to the same (frozen) User: decoded once per snapshot, not per request.
    Whether a snapshot is there at all is still asked of the cache every time, so revocation works as before."""
    return user_from_dict(json.loads(raw))


def get_session(cache: Cache, session_id: str) -> User | None:
    raw = cache.get(session_key(session_id))
    return _session_user(raw) if raw else None


def put_api_key(cache: Cache, key: ApiKey, user: User) -> None:
    payload = {
        "key_hash": key.key_hash,
        "scopes": sorted(s.value for s in key.scopes),
        "expires_at": _dt(key.expires_at),
        "revoked_at": _dt(key.revoked_at),
        "last_used_at": _dt(key.last_used_at),
        "name": key.name,
        "prefix": key.prefix,
        "created_at": _dt(key.created_at),
        "user": user_to_dict(user),
    }
    cache.set(api_key_key(key.id), json.dumps(payload), ttl_seconds=SNAPSHOT_TTL_SECONDS)


def get_api_key(cache: Cache, key_id: str) -> tuple[ApiKey, User] | None:
    raw = cache.get(api_key_key(key_id))
    return _api_key_snapshot(key_id, raw) if raw else None


@functools.lru_cache(maxsize=1024)
def _api_key_snapshot(key_id: str, raw: str) -> tuple[ApiKey, User]:
    """Decoded once per snapshot text, like `_session_user`."""
    data = json.loads(raw)
    user = user_from_dict(data["user"])
    created = _parse_dt(data["created_at"])
    assert created is not None
    key = ApiKey(
        id=key_id,
        user_id=user.id,
        name=data["name"],
        prefix=data["prefix"],
        key_hash=data["key_hash"],
        scopes=frozenset(Scope(s) for s in data["scopes"]),
        created_at=created,
        expires_at=_parse_dt(data["expires_at"]),
        revoked_at=_parse_dt(data["revoked_at"]),
        last_used_at=_parse_dt(data["last_used_at"]),
    )
    return key, user


def forget(cache: Cache, *, sessions: Iterable[str] = (), api_keys: Iterable[str] = ()) -> None:
    keys = [session_key(s) for s in sessions] + [api_key_key(k) for k in api_keys]
    if keys:
        cache.delete(*keys)
