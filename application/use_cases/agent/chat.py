"""One user message to the agent, in a new or an existing conversation of the caller."""

from __future__ import annotations

from dataclasses import dataclass

from application.agent.titles import short_title
from application.agent.toolbox import SPECS_BY_NAME
from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.email_agent import AgentListener, AgentTurn, EmailAgent
from application.ports.metrics import AGENT_TOOL_CALLS, AGENT_TURNS, NO_METRICS, Metrics
from application.use_cases.agent.common import UowFactory, finish_turn, owned_conversation, require_agent
from domain.errors import ValidationFailed
from domain.identity import Principal

MAX_MESSAGE = 8000


@dataclass(frozen=True)
class ChatInput:
    principal: Principal
    message: str
    conversation_id: str | None = None
    listener: AgentListener | None = None


class Chat:
    def __init__(
        self, agent: EmailAgent, uow: UowFactory, clock: Clock, relay: OutboxRelay, metrics: Metrics = NO_METRICS
    ) -> None:
        self.agent, self.new_uow, self.clock, self.relay = agent, uow, clock, relay
        self.metrics = metrics

    def execute(self, inp: ChatInput) -> AgentTurn:
        require_agent(inp.principal)
        message = inp.message.strip()
        if not message:
            raise ValidationFailed("Say something to the agent.", details=[{"field": "message"}])
        if len(message) > MAX_MESSAGE:
            raise ValidationFailed(f"A message is at most {MAX_MESSAGE} characters.", details=[{"field": "message"}])
        if inp.conversation_id is not None:
            with self.new_uow() as uow:
                owned_conversation(uow, inp.principal, inp.conversation_id)
        try:
            turn = self.agent.chat(inp.principal, message, conversation_id=inp.conversation_id, listener=inp.listener)
        except Exception:
            self.metrics.increment(AGENT_TURNS, outcome="error")
            raise
        self.metrics.increment(AGENT_TURNS, outcome="ok")
        for activity in turn.activity:
            tool = activity.tool if activity.tool in SPECS_BY_NAME else "unknown"  # the model names it: bound it
            self.metrics.increment(AGENT_TOOL_CALLS, tool=tool, outcome=activity.status)
        finish_turn(self.new_uow, self.clock, self.relay, inp.principal, turn, title=short_title(message))
        return turn
