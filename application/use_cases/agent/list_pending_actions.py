"""The caller's agent actions (by default the ones waiting for a decision), oldest first; and which of the waiting
ones were made from something that changed since (a draft edited after its send was held: the card says so and
offers the new version as a new decision)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from application.agent.toolbox import UseCaseToolbox
from application.use_cases.agent.common import UowFactory, require_agent
from domain.agent import PendingAction, PendingStatus
from domain.identity import Principal


@dataclass(frozen=True)
class ListPendingActionsInput:
    principal: Principal
    status: PendingStatus | None = PendingStatus.PENDING
    conversation_id: str | None = None
    limit: int = 100


def stale_sources(
    toolbox: UseCaseToolbox | None, principal: Principal, actions: Iterable[PendingAction]
) -> frozenset[str]:
    """Ids of the waiting actions whose source (a draft) no longer resolves to their snapshot."""
    if toolbox is None:
        return frozenset()
    return frozenset(
        a.id for a in actions if a.status is PendingStatus.PENDING and not toolbox.is_current(principal, a)
    )


class ListPendingActions:
    def __init__(self, uow: UowFactory, toolbox: UseCaseToolbox | None = None) -> None:
        self.new_uow, self.toolbox = uow, toolbox

    def stale(self, principal: Principal, actions: Iterable[PendingAction]) -> frozenset[str]:
        return stale_sources(self.toolbox, principal, actions)

    def execute(self, inp: ListPendingActionsInput) -> Sequence[PendingAction]:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            return uow.pending_actions.list_for_user(
                inp.principal.user_id,
                status=inp.status,
                conversation_id=inp.conversation_id,
                limit=max(1, min(inp.limit, 100)),
            )
