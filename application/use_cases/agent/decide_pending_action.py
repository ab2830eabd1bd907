"""The owner approves or rejects one of their pending actions.

Only this use case moves an action out of PENDING, and only for its owner holding the `agent` scope. Approve:
APPROVED (compare-and-set on the version, so a double click runs once; with `expected_hash`, only if the snapshot is
still the one the owner looked at) -> exactly the stored snapshot runs -> EXECUTED or FAILED with the result -> the
agent hears the outcome (resume). Reject: REJECTED -> the agent hears it. An edit is not a decision: it makes a new
snapshot to look at (EditPendingAction). Nothing the model, a tool result or a mail says can reach this code."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from application.agent.toolbox import UseCaseToolbox, snapshot_audit
from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.email_agent import AgentListener, AgentTurn, Decision, EmailAgent
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.agent.common import UowFactory, finish_turn, require_agent
from domain.agent import PendingAction, PendingStatus
from domain.audit import AgentAuditAction, AuditContext, AuditDraft
from domain.errors import Conflict, NotFound
from domain.identity import Principal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecidePendingActionInput:
    principal: Principal
    action_id: str
    approve: bool
    expected_hash: str | None = None  # the snapshot the owner looked at: a different one is not approved
    context: AuditContext = AuditContext()
    listener: AgentListener | None = None


@dataclass(frozen=True)
class DecisionOutcome:
    action: PendingAction
    turn: AgentTurn | None  # what the agent said after hearing the outcome (None while others still wait)


class DecidePendingAction:
    def __init__(
        self, uow: UowFactory, toolbox: UseCaseToolbox, agent: EmailAgent, clock: Clock, relay: OutboxRelay
    ) -> None:
        self.new_uow, self.toolbox, self.agent, self.clock, self.relay = uow, toolbox, agent, clock, relay

    def execute(self, inp: DecidePendingActionInput) -> DecisionOutcome:
        require_agent(inp.principal)
        principal = inp.principal
        with self.new_uow() as uow:
            action = uow.pending_actions.get(inp.action_id)
            if action is None or action.user_id != principal.user_id:
                raise NotFound("No such action.")
            decided = action.decide(approve=inp.approve, at=self.clock.now(), expected_hash=inp.expected_hash)
            try:
                uow.pending_actions.update(decided, expected_version=action.version)
            except Conflict:
                raise Conflict("This action was decided meanwhile; look again.") from None
            self._audit(uow, principal, decided, inp.context)
            uow.commit()  # a racing second decision fails here or at the update: only one ever runs
        self.relay.flush()

        final = decided
        if inp.approve:
            try:
                result, error = self.toolbox.execute_approved(principal, decided)
            except Exception:  # an unexpected failure must still leave the action FAILED, not stuck APPROVED
                logger.exception("approved agent action %s failed", decided.id)
                result, error = {}, "The action failed unexpectedly; nothing more is known."
            final = replace(
                decided,
                status=PendingStatus.FAILED if error else PendingStatus.EXECUTED,
                result=result,
                error=error,
                version=decided.version + 1,
            )
            with self.new_uow() as uow:
                uow.pending_actions.update(final, expected_version=decided.version)
                uow.commit()
        return DecisionOutcome(final, self._resume(principal, final, inp.listener))

    def _audit(self, uow: UnitOfWork, principal: Principal, action: PendingAction, context: AuditContext) -> None:
        uow.audit.append(
            AuditDraft(
                AgentAuditAction.ACTION_APPROVED
                if action.status is PendingStatus.APPROVED
                else AgentAuditAction.ACTION_REJECTED,
                principal.user_id,
                target=f"agent_conversation:{action.conversation_id}",
                context=context,
                details={
                    "conversation_id": action.conversation_id,
                    "pending_action_id": action.id,
                    "tool": action.tool,
                    "summary": action.summary[:300],
                    **(snapshot_audit(action.snapshot) if action.snapshot is not None else {}),
                },
            ),
            at=self.clock.now(),
        )

    def _resume(self, principal: Principal, action: PendingAction, listener: AgentListener | None) -> AgentTurn | None:
        """Once no action of the conversation waits any more, give the agent every outcome decided after its
        last turn ended (the conversation's updated_at): exactly the actions its paused turn waits for."""
        cid = action.conversation_id
        with self.new_uow() as uow:
            actions = uow.pending_actions.list_for_user(principal.user_id, conversation_id=cid)
            record = uow.agent_conversations.get(cid)
        if record is None:  # held for an MCP client, not a conversation: the client polls get_pending_action
            return None
        if any(a.status in (PendingStatus.PENDING, PendingStatus.APPROVED) for a in actions):
            return None
        since = record.updated_at if record is not None else None
        decided = [
            a
            for a in actions
            if a.id == action.id or (since is not None and a.decided_at is not None and a.decided_at > since)
        ]
        decisions = [Decision(a.id, a.status is not PendingStatus.REJECTED, dict(a.result), a.error) for a in decided]
        try:
            turn = self.agent.resume(principal, cid, decisions, listener=listener)
        except Exception:  # the action's outcome stands; the agent failing to answer must not hide it
            logger.exception("agent resume failed for conversation %s", cid)
            return None
        finish_turn(self.new_uow, self.clock, self.relay, principal, turn)
        return turn
