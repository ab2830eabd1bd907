"""Access rules shared by use cases: who may act as an administrator."""

from __future__ import annotations

from domain.errors import PermissionDenied
from domain.identity import Principal, Scope


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("This needs an administrator.")


def require_scope(principal: Principal, scope: Scope) -> None:
    if not principal.has_scope(scope):
        raise PermissionDenied(f"This credential lacks the '{scope.value}' scope.")
