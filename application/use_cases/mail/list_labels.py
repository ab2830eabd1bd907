"""List system and user labels with message and unread counts; while the provider is down, the last known list
(marked degraded) instead of an error — labels are not worth a failed page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from application.caching_mailbox import last_known_labels
from application.mail_access import MailAccess
from application.ports.cache import Cache
from domain.errors import InfrastructureError
from domain.identity import Principal, Scope
from domain.mail import Label


@dataclass(frozen=True)
class ListLabelsInput:
    principal: Principal
    account_id: str | None = None


@dataclass(frozen=True)
class LabelListing:
    labels: list[Label] = field(default_factory=list)
    degraded: bool = False  # True: the provider could not be asked; these are the last known labels
    as_of: datetime | None = None  # when a degraded list was read from the provider
    notice: str | None = None  # for a person, set when degraded


class ListLabels:
    def __init__(self, access: MailAccess, cache: Cache | None = None) -> None:
        self.access = access
        self.cache = cache

    def execute(self, inp: ListLabelsInput) -> LabelListing:
        try:
            _, labels = self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, lambda mb, _: mb.list_labels())
        except InfrastructureError as exc:
            known = None
            if self.cache is not None:
                known = last_known_labels(self.cache, self.access.account(inp.principal, inp.account_id).id)
            if known is None:
                raise
            labels, as_of = known
            return LabelListing(
                labels,
                degraded=True,
                as_of=as_of,
                notice=(
                    f"{exc.message} Showing your labels as they were at {as_of:%Y-%m-%d %H:%M} UTC; "
                    "the counts may be out of date."
                ),
            )
        return LabelListing(labels)
