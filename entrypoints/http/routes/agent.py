"""The agent: chat, conversations and their history, and the pending actions only their owner can approve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from application.ports.agent_store import ConversationRecord
from application.ports.email_agent import AgentTurn, ToolActivity
from application.use_cases.agent.chat import MAX_MESSAGE, ChatInput
from application.use_cases.agent.decide_pending_action import DecidePendingActionInput
from application.use_cases.agent.get_conversation import GetConversationInput
from application.use_cases.agent.list_conversations import ListConversationsInput
from application.use_cases.agent.list_pending_actions import ListPendingActionsInput
from domain.agent import PendingAction, PendingStatus
from domain.identity import Principal
from entrypoints.container import Container
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok

router = APIRouter(prefix="/agent", tags=["agent"])


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE, examples=["find unread mail about the offsite"])
    conversation_id: str | None = Field(None, max_length=64, description="Continue this conversation")


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any] | None = Field(
        None, description="An edited payload: then exactly this runs (checked against the tool's arguments)"
    )


class PendingActionOut(BaseModel):
    id: str
    conversation_id: str
    tool: str
    payload: dict[str, Any] = Field(description="Exactly what runs when approved")
    summary: str
    status: PendingStatus
    created_at: datetime
    decided_at: datetime | None
    result: dict[str, Any]
    error: str | None

    @classmethod
    def of(cls, a: PendingAction) -> PendingActionOut:
        return cls(
            id=a.id,
            conversation_id=a.conversation_id,
            tool=a.tool,
            payload=dict(a.payload),
            summary=a.summary,
            status=a.status,
            created_at=a.created_at,
            decided_at=a.decided_at,
            result=dict(a.result),
            error=a.error,
        )


class ActivityOut(BaseModel):
    tool_call_id: str
    tool: str
    args: dict[str, Any]
    status: str = Field(description="ok, error, pending or rejected")
    summary: str
    pending_action_id: str | None

    @classmethod
    def of(cls, a: ToolActivity) -> ActivityOut:
        return cls(
            tool_call_id=a.tool_call_id,
            tool=a.tool,
            args=dict(a.args),
            status=a.status,
            summary=a.summary,
            pending_action_id=a.pending_action_id,
        )


class TurnOut(BaseModel):
    conversation_id: str
    reply: str = Field(description="The agent's answer ('' while it waits for your decision)")
    activity: list[ActivityOut]
    pending_actions: list[PendingActionOut] = Field(description="Waiting for your approval before the turn goes on")
    model: str


class ConversationOut(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: int

    @classmethod
    def of(cls, c: ConversationRecord) -> ConversationOut:
        return cls(id=c.id, title=c.title, created_at=c.created_at, updated_at=c.updated_at, messages=c.messages)


class MessageOut(BaseModel):
    role: str = Field(description="user, assistant or tool")
    content: str
    at: datetime | None
    tool: str | None


class ConversationDetailOut(ConversationOut):
    history: list[MessageOut]
    actions: list[PendingActionOut]


class DecisionOut(BaseModel):
    action: PendingActionOut
    turn: TurnOut | None = Field(description="What the agent said after hearing the outcome (null while others wait)")


def _turn(container: Container, principal: Principal, turn: AgentTurn) -> TurnOut:
    pending: Sequence[PendingAction] = ()
    if turn.pending_action_ids:
        found = container.list_pending_actions().execute(
            ListPendingActionsInput(principal, status=None, conversation_id=turn.conversation_id)
        )
        wanted = set(turn.pending_action_ids)
        pending = [a for a in found if a.id in wanted]
    return TurnOut(
        conversation_id=turn.conversation_id,
        reply=turn.reply,
        activity=[ActivityOut.of(a) for a in turn.activity],
        pending_actions=[PendingActionOut.of(a) for a in pending],
        model=turn.model,
    )


@router.post("/chat", response_model=Envelope[TurnOut])
def chat(body: ChatIn, principal: PrincipalDep, container: ContainerDep) -> Envelope[TurnOut]:
    """Say something to the agent (needs the `agent` scope). Reads run at once; anything that reaches another
    person (send, reply, forward, schedule, trash) comes back as a pending action for you to approve."""
    turn = container.agent_chat().execute(ChatInput(principal, body.message, body.conversation_id))
    return ok(_turn(container, principal, turn))


@router.get("/conversations", response_model=Envelope[list[ConversationOut]])
def list_conversations(
    principal: PrincipalDep, container: ContainerDep, limit: Annotated[int, Query(ge=1, le=100)] = 100
) -> Envelope[list[ConversationOut]]:
    """Your conversations, most recently active first."""
    found = container.list_agent_conversations().execute(ListConversationsInput(principal, limit))
    return ok([ConversationOut.of(c) for c in found])


@router.get("/conversations/{conversation_id}", response_model=Envelope[ConversationDetailOut])
def get_conversation(
    conversation_id: str, principal: PrincipalDep, container: ContainerDep
) -> Envelope[ConversationDetailOut]:
    """One conversation with its history and actions (someone else's: 404)."""
    view = container.get_agent_conversation().execute(GetConversationInput(principal, conversation_id))
    c = view.conversation
    return ok(
        ConversationDetailOut(
            **ConversationOut.of(c).model_dump(),
            history=[MessageOut(role=m.role, content=m.content, at=m.at, tool=m.tool) for m in view.messages],
            actions=[PendingActionOut.of(a) for a in view.actions],
        )
    )


@router.get("/actions", response_model=Envelope[list[PendingActionOut]])
def list_actions(
    principal: PrincipalDep,
    container: ContainerDep,
    status_: Annotated[PendingStatus | None, Query(alias="status", description="Default: pending")] = None,
    conversation_id: Annotated[str | None, Query(max_length=64)] = None,
    all_: Annotated[bool, Query(alias="all", description="Every status")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> Envelope[list[PendingActionOut]]:
    """Your agent's actions, oldest first: by default the ones waiting for your decision."""
    wanted = None if all_ else (status_ or PendingStatus.PENDING)
    found = container.list_pending_actions().execute(ListPendingActionsInput(principal, wanted, conversation_id, limit))
    return ok([PendingActionOut.of(a) for a in found])


def _decide(
    container: Container, principal: Principal, action_id: str, approve: bool, payload: Any, ctx: Any
) -> Envelope[DecisionOut]:
    outcome = container.decide_pending_action().execute(
        DecidePendingActionInput(principal, action_id, approve, payload, ctx)
    )
    turn = _turn(container, principal, outcome.turn) if outcome.turn is not None else None
    return ok(DecisionOut(action=PendingActionOut.of(outcome.action), turn=turn))


@router.post("/actions/{action_id}/approve", response_model=Envelope[DecisionOut])
def approve(
    action_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    body: Annotated[ApproveIn | None, Body()] = None,
) -> Envelope[DecisionOut]:
    """Approve: exactly the shown payload (or your edited one) runs, once; the agent then hears the outcome.
    Deciding twice: 409."""
    return _decide(container, principal, action_id, True, body.payload if body else None, ctx)


@router.post("/actions/{action_id}/reject", response_model=Envelope[DecisionOut])
def reject(
    action_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[DecisionOut]:
    """Reject: nothing runs; the agent is told you said no."""
    return _decide(container, principal, action_id, False, None, ctx)
