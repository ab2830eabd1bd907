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
from application.use_cases.agent.edit_pending_action import EditPendingActionInput
from application.use_cases.agent.get_conversation import GetConversationInput
from application.use_cases.agent.list_conversations import ListConversationsInput
from application.use_cases.agent.list_pending_actions import ListPendingActionsInput
from application.use_cases.agent.undo_agent_change import ListAgentChangesInput, UndoAgentChangeInput
from domain.agent import AgentChange, PendingAction, PendingStatus
from domain.approval import FLAG_TEXT, Card, RecipientFlag, Snapshot
from domain.identity import Principal
from entrypoints.container import Container
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import AGENT

router = APIRouter(prefix="/agent", tags=["agent"], responses=AGENT)


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE, examples=["find unread mail about the offsite"])
    conversation_id: str | None = Field(None, max_length=64, description="Continue this conversation")


SNAPSHOT_HASH = Field(
    None,
    pattern=r"^[0-9a-f]{64}$",
    description="The snapshot you looked at (its `hash`): if the action changed since, nothing runs and you get 409",
)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    snapshot_hash: str | None = SNAPSHOT_HASH


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any] | None = Field(
        None,
        description="The tool's arguments as you want them (checked against the tool's schema); omit to resolve the "
        "same arguments again (e.g. to take the new version of an edited draft). The answer is a new snapshot to "
        "look at and approve.",
    )


class RecipientOut(BaseModel):
    field: str = Field(description="to, cc or bcc")
    address: str
    ascii_address: str = Field(description="As mail systems carry it: a non-ASCII domain in punycode (xn--...)")
    name: str
    flags: list[RecipientFlag]
    flag_texts: list[str] = Field(description="The flags in words, for people")


class CardFieldOut(BaseModel):
    label: str
    value: str


class CardAttachmentOut(BaseModel):
    filename: str
    mime_type: str
    size: int
    sha256: str


class CardItemOut(BaseModel):
    label: str
    detail: str


class CardOut(BaseModel):
    """What will really happen, made from the snapshot: the same in the web app, the CLI and WebSocket events."""

    title: str
    recipients: list[RecipientOut]
    fields: list[CardFieldOut]
    body: str | None = Field(description="The full text body (null: the action sends no message)")
    html_body: str | None = Field(description="The HTML version, when the message has one")
    attachments: list[CardAttachmentOut]
    items: list[CardItemOut] = Field(description="Messages it changes, or the parts of a batch")
    notes: list[str]

    @classmethod
    def of(cls, card: Card) -> CardOut:
        return cls(
            title=card.title,
            recipients=[
                RecipientOut(
                    field=r.field,
                    address=r.address,
                    ascii_address=r.ascii_address,
                    name=r.name,
                    flags=list(r.flags),
                    flag_texts=[FLAG_TEXT[f] for f in r.flags],
                )
                for r in card.recipients
            ],
            fields=[CardFieldOut(label=label, value=value) for label, value in card.fields],
            body=card.body,
            html_body=card.html_body,
            attachments=[
                CardAttachmentOut(filename=a.filename, mime_type=a.mime_type, size=a.size, sha256=a.sha256)
                for a in card.attachments
            ],
            items=[CardItemOut(label=i.label, detail=i.detail) for i in card.items],
            notes=list(card.notes),
        )


class SnapshotOut(BaseModel):
    hash: str = Field(description="SHA-256 of the effect's content: approve with it")
    kind: str = Field(description="mail.send, mail.schedule, mail.cancel_scheduled, mail.labels, mail.draft, batch")
    card: CardOut
    effect: dict[str, Any] = Field(description="The frozen effect in full: exactly what runs when approved")

    @classmethod
    def of(cls, snapshot: Snapshot) -> SnapshotOut:
        return cls(
            hash=snapshot.hash,
            kind=snapshot.kind,
            card=CardOut.of(snapshot.card()),
            effect=snapshot.to_dict()["effect"],
        )


class PendingActionOut(BaseModel):
    id: str
    conversation_id: str
    tool: str
    payload: dict[str, Any] = Field(description="The tool's arguments the snapshot was resolved from")
    snapshot: SnapshotOut | None = Field(
        description="Exactly what runs when approved (null: an old action, never runnable)"
    )
    source_changed: bool = Field(
        False, description="What it was made from (a draft) changed since: approving still runs this snapshot"
    )
    summary: str
    status: PendingStatus
    version: int = Field(description="Grows with every change (an edit, a decision): the newest copy wins")
    created_at: datetime
    decided_at: datetime | None
    result: dict[str, Any]
    error: str | None

    @classmethod
    def of(cls, a: PendingAction, stale: frozenset[str] = frozenset()) -> PendingActionOut:
        return cls(
            id=a.id,
            conversation_id=a.conversation_id,
            tool=a.tool,
            payload=dict(a.payload),
            snapshot=SnapshotOut.of(a.snapshot) if a.snapshot is not None else None,
            source_changed=a.id in stale,
            summary=a.summary,
            status=a.status,
            version=a.version,
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


class ChangeOut(BaseModel):
    """A reversible change the agent made (labels, read state, archive, a draft), with whether it can be undone."""

    id: str
    conversation_id: str
    turn_id: str
    tool: str
    summary: str = Field(description="What it did, e.g. 'Archive 3 messages'")
    units: int = Field(description="Messages or drafts it changed (what the per-turn budget counts)")
    created_at: datetime
    undone_at: datetime | None
    undoable: bool

    @classmethod
    def of(cls, c: AgentChange) -> ChangeOut:
        return cls(
            id=c.id,
            conversation_id=c.conversation_id,
            turn_id=c.turn_id,
            tool=c.tool,
            summary=c.summary,
            units=c.units,
            created_at=c.created_at,
            undone_at=c.undone_at,
            undoable=c.undoable,
        )


class TurnOut(BaseModel):
    conversation_id: str
    reply: str = Field(description="The agent's answer ('' while it waits for your decision)")
    activity: list[ActivityOut]
    pending_actions: list[PendingActionOut] = Field(description="Waiting for your approval before the turn goes on")
    changes: list[ChangeOut] = Field(
        default_factory=list, description="What the agent changed on its own in this turn, each with Undo"
    )
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
    changes: list[ChangeOut] = Field(description="Every reversible change the agent made here, oldest first")


class DecisionOut(BaseModel):
    action: PendingActionOut
    turn: TurnOut | None = Field(description="What the agent said after hearing the outcome (null while others wait)")


def _turn(container: Container, principal: Principal, turn: AgentTurn, since: datetime | None = None) -> TurnOut:
    pending: Sequence[PendingAction] = ()
    changes = container.list_agent_changes().execute(ListAgentChangesInput(principal, turn.conversation_id, since))
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
        changes=[ChangeOut.of(c) for c in changes],
        model=turn.model,
    )


@router.post("/chat", response_model=Envelope[TurnOut])
def chat(body: ChatIn, principal: PrincipalDep, container: ContainerDep) -> Envelope[TurnOut]:
    """Say something to the agent (needs the `agent` scope). Reads run at once; anything that reaches another
    person (send, reply, forward, schedule, trash) comes back as a pending action for you to approve."""
    started = container.clock().now()
    turn = container.agent_chat().execute(ChatInput(principal, body.message, body.conversation_id))
    return ok(_turn(container, principal, turn, since=started))


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
            actions=[PendingActionOut.of(a, view.stale) for a in view.actions],
            changes=[ChangeOut.of(c) for c in view.changes],
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
    use_case = container.list_pending_actions()
    found = use_case.execute(ListPendingActionsInput(principal, wanted, conversation_id, limit))
    stale = use_case.stale(principal, found)
    return ok([PendingActionOut.of(a, stale) for a in found])


def _decide(
    container: Container, principal: Principal, action_id: str, approve: bool, expected: str | None, ctx: Any
) -> Envelope[DecisionOut]:
    started = container.clock().now()
    outcome = container.decide_pending_action().execute(
        DecidePendingActionInput(principal, action_id, approve, expected, ctx)
    )
    turn = _turn(container, principal, outcome.turn, since=started) if outcome.turn is not None else None
    return ok(DecisionOut(action=PendingActionOut.of(outcome.action), turn=turn))


@router.post("/actions/{action_id}/approve", response_model=Envelope[DecisionOut])
def approve(
    action_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    body: Annotated[ApproveIn | None, Body()] = None,
) -> Envelope[DecisionOut]:
    """Approve: exactly the action's snapshot runs, once (send `snapshot_hash` to be sure it is the one you looked
    at: 409 if it changed); the agent then hears the outcome. Deciding twice: 409."""
    return _decide(container, principal, action_id, True, body.snapshot_hash if body else None, ctx)


@router.post("/actions/{action_id}/edit", response_model=Envelope[PendingActionOut])
def edit(
    action_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    body: Annotated[EditIn | None, Body()] = None,
) -> Envelope[PendingActionOut]:
    """Edit a waiting action: your arguments are checked and resolved into a new snapshot (new card, new hash), which
    then waits for your approval like the first. Nothing runs. Already decided: 409; arguments not valid: 422."""
    action = container.edit_pending_action().execute(
        EditPendingActionInput(principal, action_id, body.payload if body else None, ctx)
    )
    return ok(PendingActionOut.of(action))


@router.post("/actions/{action_id}/reject", response_model=Envelope[DecisionOut])
def reject(
    action_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[DecisionOut]:
    """Reject: nothing runs; the agent is told you said no."""
    return _decide(container, principal, action_id, False, None, ctx)


@router.post("/changes/{change_id}/undo", response_model=Envelope[ChangeOut])
def undo_change(
    change_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[ChangeOut]:
    """Undo a change the agent made (labels it added come off, labels it removed go back, a draft it made is deleted,
    a draft it rewrote gets its earlier content back). Someone else's: 404; undone already: 409."""
    change = container.undo_agent_change().execute(UndoAgentChangeInput(principal, change_id, ctx))
    return ok(ChangeOut.of(change))
