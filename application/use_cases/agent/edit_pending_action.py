"""The owner edits a pending action (or takes the new version of the draft it sends): the edited arguments are
checked against the tool's schema and resolved into a new snapshot, which is recorded and waits for a decision like
the first one. Nothing runs here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from application.agent.toolbox import UseCaseToolbox, snapshot_audit
from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.use_cases.agent.common import UowFactory, require_agent
from domain.agent import PendingAction
from domain.audit import AgentAuditAction, AuditContext, AuditDraft
from domain.errors import Conflict, DomainError, InfrastructureError, NotFound, ValidationFailed
from domain.events import DomainEvent, EventType, event_id
from domain.identity import Principal, new_id


@dataclass(frozen=True)
class EditPendingActionInput:
    principal: Principal
    action_id: str
    payload: Mapping[str, Any] | None = None  # None: the same arguments, resolved again (a draft's new version)
    context: AuditContext = AuditContext()


class EditPendingAction:
    def __init__(self, uow: UowFactory, toolbox: UseCaseToolbox, clock: Clock, relay: OutboxRelay) -> None:
        self.new_uow, self.toolbox, self.clock, self.relay = uow, toolbox, clock, relay

    def execute(self, inp: EditPendingActionInput) -> PendingAction:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            action = uow.pending_actions.get(inp.action_id)
        if action is None or action.user_id != inp.principal.user_id:
            raise NotFound("No such action.")
        payload = self._checked(action, inp.payload) if inp.payload is not None else dict(action.payload)
        try:
            snapshot = self.toolbox.snapshot(inp.principal, action.tool, payload, key=action.id)
        except (DomainError, InfrastructureError) as exc:
            raise ValidationFailed(f"The edited action cannot be prepared: {exc.message}") from None
        revised = action.revise(payload=payload, snapshot=snapshot)
        now = self.clock.now()
        with self.new_uow() as uow:
            try:
                uow.pending_actions.update(revised, expected_version=action.version)
            except Conflict:
                raise Conflict("This action was decided or edited meanwhile; look again.") from None
            details = {
                "conversation_id": action.conversation_id,
                "pending_action_id": action.id,
                "tool": action.tool,
                "previous_hash": action.snapshot.hash if action.snapshot is not None else None,
                "summary": revised.summary[:300],
                **snapshot_audit(snapshot),
            }
            uow.audit.append(
                AuditDraft(
                    AgentAuditAction.ACTION_EDITED,
                    inp.principal.user_id,
                    target=f"agent_conversation:{action.conversation_id}",
                    context=inp.context,
                    details=details,
                ),
                at=now,
            )
            data = {
                "conversation_id": action.conversation_id,
                "tool": action.tool,
                "status": "pending",
                "summary": revised.summary[:300],
                "pending_action_id": action.id,
                "snapshot_hash": snapshot.hash,
                "card": snapshot.card().to_dict(),
            }
            uow.events.append(
                DomainEvent(
                    event_id(EventType.AGENT_ACTION_PENDING.value, action.conversation_id, new_id()),
                    inp.principal.user_id,
                    EventType.AGENT_ACTION_PENDING,
                    now,
                    data,
                )
            )
            uow.commit()
        self.relay.flush()
        return revised

    def _checked(self, action: PendingAction, payload: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, Mapping):
            raise ValidationFailed("The payload must be an object.", details=[{"field": "payload"}])
        edited = {k: v for k, v in payload.items() if k != "account_id"}
        try:
            checked = self.toolbox.validate(action.tool, edited)
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"The edited payload is not valid: {exc.message}", details=[{"field": "payload"}]
            ) from None
        if "account_id" in action.payload:  # the account is the one the action was proposed on, never edited
            checked["account_id"] = action.payload["account_id"]
        return checked
