"""Stop always showing a sender's remote images: their address leaves the person's allow-list."""

from __future__ import annotations

from application import principal_cache
from application.ports.cache import Cache
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.allow_sender_images import SenderImagesInput, forget_profile_snapshots
from domain.errors import NotFound
from domain.identity import User


class DisallowSenderImages:
    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self.uow, self.cache = uow, cache

    def execute(self, inp: SenderImagesInput) -> User:
        address = inp.address.strip().lower()  # anything not on the list, address or not, is simply not there
        with self.uow as uow:
            user = uow.users.get(inp.principal.user_id)
            if user is None:
                raise NotFound("Your account no longer exists.")
            if address not in user.image_senders:
                raise NotFound(f"Images from {address[:100]} are not on your list.")
            updated = user.with_changes(image_senders=tuple(a for a in user.image_senders if a != address))
            uow.users.update(updated)
            sessions, keys = forget_profile_snapshots(uow, user.id)
            uow.commit()
        principal_cache.forget(self.cache, sessions=sessions, api_keys=keys)
        return updated
