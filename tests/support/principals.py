"""Small builders shared by unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.identity import USER_SCOPES, Principal, Role, Scope, User, UserStatus


def principal_for(user_id: str, scopes: frozenset[Scope] = USER_SCOPES) -> Principal:
    user = User(
        id=user_id,
        email=f"{user_id}@example.com",
        role=Role.USER,
        status=UserStatus.ACTIVE,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        password_hash="x",
    )
    return Principal(user=user, scopes=scopes)
