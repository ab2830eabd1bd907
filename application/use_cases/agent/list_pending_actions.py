"""The caller's agent actions (by default the ones waiting for a decision), oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.use_cases.agent.common import UowFactory, require_agent
from domain.agent import PendingAction, PendingStatus
from domain.identity import Principal


@dataclass(frozen=True)
class ListPendingActionsInput:
    principal: Principal
    status: PendingStatus | None = PendingStatus.PENDING
    conversation_id: str | None = None
    limit: int = 100


class ListPendingActions:
    def __init__(self, uow: UowFactory) -> None:
        self.new_uow = uow

    def execute(self, inp: ListPendingActionsInput) -> Sequence[PendingAction]:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            return uow.pending_actions.list_for_user(
                inp.principal.user_id,
                status=inp.status,
                conversation_id=inp.conversation_id,
                limit=max(1, min(inp.limit, 100)),
            )
