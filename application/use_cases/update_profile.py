"""A person changes their own display name and undo-send window (0–30 s); both are kept with the user."""

from __future__ import annotations

from dataclasses import dataclass

from application import principal_cache
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import NotFound, ValidationFailed
from domain.identity import UNDO_SEND_MAX, Principal, User

MAX_DISPLAY_NAME = 200


@dataclass(frozen=True)
class UpdateProfileInput:
    principal: Principal
    set_display_name: bool = False  # the name changes only when this is set; None or "" clears it
    display_name: str | None = None
    undo_send_seconds: int | None = None  # None: unchanged
    conversation_view: bool | None = None  # None: unchanged
    context: AuditContext = AuditContext()


def clean_display_name(value: str | None) -> str | None:
    name = " ".join((value or "").split())  # no line breaks or runs of spaces in a name shown in headers and lists
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationFailed(
            f"Keep the display name to {MAX_DISPLAY_NAME} characters.",
            details=[{"field": "display_name", "issue": "too_long"}],
        )
    return name or None


def check_undo_seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UNDO_SEND_MAX:
        raise ValidationFailed(
            f"The undo window is a whole number of seconds from 0 (off) to {UNDO_SEND_MAX}.",
            details=[{"field": "undo_send_seconds", "issue": "out_of_range"}],
        )
    return value


class UpdateProfile:
    def __init__(self, uow: UnitOfWork, cache: Cache, clock: Clock) -> None:
        self.uow, self.cache, self.clock = uow, cache, clock

    def execute(self, inp: UpdateProfileInput) -> User:
        changes: dict[str, object] = {}
        if inp.set_display_name:
            changes["display_name"] = clean_display_name(inp.display_name)
        if inp.undo_send_seconds is not None:
            changes["undo_send_seconds"] = check_undo_seconds(inp.undo_send_seconds)
        if inp.conversation_view is not None:
            changes["conversation_view"] = bool(inp.conversation_view)
        with self.uow as uow:
            user = uow.users.get(inp.principal.user_id)
            if user is None:
                raise NotFound("Your account no longer exists.")
            updated = user.with_changes(**changes)
            if updated == user:
                return user
            uow.users.update(updated)
            uow.audit.append(
                AuditDraft(
                    AuditAction.PROFILE_UPDATED,
                    actor_id=user.id,
                    target=f"user:{user.id}",
                    context=inp.context,
                    details={
                        key: [getattr(user, key), getattr(updated, key)]
                        for key in changes
                        if getattr(user, key) != getattr(updated, key)
                    },
                ),
                at=self.clock.now(),
            )
            sessions = [s.id for s in uow.sessions.list_for_user(user.id)]
            keys = [k.id for k in uow.api_keys.list_for_user(user.id)]
            uow.commit()
        principal_cache.forget(self.cache, sessions=sessions, api_keys=keys)  # they carry the old profile
        return updated
