"""Always show remote images from a sender: their address joins the person's allow-list (kept with the user)."""

from __future__ import annotations

from dataclasses import dataclass

from application import principal_cache
from application.ports.cache import Cache
from application.ports.unit_of_work import UnitOfWork
from domain.errors import NotFound, QuotaExceeded, ValidationFailed
from domain.identity import MAX_IMAGE_SENDERS, Principal, User


@dataclass(frozen=True)
class SenderImagesInput:
    principal: Principal
    address: str


def normalised_sender(address: str) -> str:
    value = address.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value) or len(value) > 320:
        raise ValidationFailed(
            f"'{address.strip()[:100]}' is not an e-mail address.", details=[{"field": "address", "issue": "invalid"}]
        )
    return value


def forget_profile_snapshots(uow: UnitOfWork, user_id: str) -> tuple[list[str], list[str]]:
    """The session and key ids whose cached snapshot carries the user's old settings (call inside the UoW)."""
    return [s.id for s in uow.sessions.list_for_user(user_id)], [k.id for k in uow.api_keys.list_for_user(user_id)]


class AllowSenderImages:
    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self.uow, self.cache = uow, cache

    def execute(self, inp: SenderImagesInput) -> User:
        address = normalised_sender(inp.address)
        with self.uow as uow:
            user = uow.users.get(inp.principal.user_id)
            if user is None:
                raise NotFound("Your account no longer exists.")
            if address in user.image_senders:
                return user
            if len(user.image_senders) >= MAX_IMAGE_SENDERS:
                raise QuotaExceeded(
                    f"You already show images from {MAX_IMAGE_SENDERS} senders; remove some in Settings first."
                )
            updated = user.with_changes(image_senders=(*user.image_senders, address))
            uow.users.update(updated)
            sessions, keys = forget_profile_snapshots(uow, user.id)
            uow.commit()
        principal_cache.forget(self.cache, sessions=sessions, api_keys=keys)
        return updated
