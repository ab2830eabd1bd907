"""LangGraphEmailAgent: the EmailAgent port on the graph in graph.py. Conversation ownership lives in the
application store (`uow.agent_conversations`); the messages live in the LangGraph checkpointer (thread id =
conversation id), so context carries across turns and restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.types import Command

from adapters.langgraph_agent.context import AgentContext
from adapters.langgraph_agent.graph import AGENT, APPROVAL, TOOLS, artifact, build_graph
from adapters.langgraph_agent.tools import build_tools
from application.agent.titles import short_title
from application.agent.tools import AgentToolbox
from application.ports.agent_store import ConversationRecord
from application.ports.clock import Clock
from application.ports.email_agent import (
    AgentListener,
    AgentTurn,
    ConversationMessage,
    ConversationSummary,
    Decision,
    EmailAgent,
    ToolActivity,
)
from application.ports.unit_of_work import UnitOfWork
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.identity import Principal, new_id

MAX_MESSAGE = 20_000
HISTORY_TOOL_CHARS = 2_000
TOO_MANY_STEPS = "I stopped: this request took too many steps. Please split it into smaller requests."


def text_of(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content if isinstance(p, str | dict)]
    return "".join(parts)


def model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return model._llm_type


class LangGraphEmailAgent(EmailAgent):
    def __init__(
        self,
        model: BaseChatModel,
        toolbox: AgentToolbox,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        checkpointer: BaseCheckpointSaver[Any],
        *,
        recursion_limit: int = 30,
    ) -> None:
        self.new_uow, self.clock, self.recursion_limit = uow, clock, recursion_limit
        self.toolbox = toolbox
        self.model = model_name(model)
        self.graph = build_graph(model, build_tools(toolbox), checkpointer)

    # -- the port ------------------------------------------------------------------------------------------

    def chat(
        self, principal: Principal, message: str, *, conversation_id: str | None, listener: AgentListener | None = None
    ) -> AgentTurn:
        text = message.strip()
        if not text:
            raise ValidationFailed("The message is empty.")
        if len(text) > MAX_MESSAGE:
            raise ValidationFailed(f"The message is longer than {MAX_MESSAGE} characters.")
        if conversation_id is None:
            record = self._new_conversation(principal, text)
        else:
            record = self._owned(principal, conversation_id)
            if self._waiting(record.id):
                raise Conflict("This conversation is waiting for your decision on its pending actions.")
        now = self.clock.now()
        update = {
            "messages": [HumanMessage(content=text, additional_kwargs={"at": now.isoformat()})],
            "user_id": principal.user_id,
            "current_task": text,
        }
        return self._run(principal, record, update, listener)

    def resume(
        self,
        principal: Principal,
        conversation_id: str,
        decisions: Sequence[Decision],
        *,
        listener: AgentListener | None = None,
    ) -> AgentTurn:
        record = self._owned(principal, conversation_id)
        waiting = self._waiting(record.id)
        if not waiting:
            raise Conflict("This conversation is not waiting for any decision.")
        given = {d.pending_action_id: d for d in decisions}
        unknown = sorted(set(given) - set(waiting))
        if unknown:
            raise ValidationFailed(f"Not a pending action of this conversation: {', '.join(unknown)}.")
        missing = [i for i in waiting if i not in given]
        if missing:
            raise Conflict(f"Still waiting for a decision on: {', '.join(missing)}.")
        value = {i: {"approved": d.approved, "result": dict(d.result), "error": d.error} for i, d in given.items()}
        # wrapped: a bare mapping keyed by 32-hex ids would be read by LangGraph as {interrupt_id: value}
        return self._run(principal, record, Command(resume={"decisions": value}), listener)

    def conversations(self, principal: Principal) -> Sequence[ConversationSummary]:
        with self.new_uow() as uow:
            records = uow.agent_conversations.list_for_user(principal.user_id)
        return [ConversationSummary(r.id, r.title, r.updated_at, r.messages) for r in records]

    def history(self, principal: Principal, conversation_id: str) -> Sequence[ConversationMessage]:
        record = self._owned(principal, conversation_id)
        out: list[ConversationMessage] = []
        for m in self._messages(record.id):
            at = _at(m)
            if isinstance(m, HumanMessage):
                out.append(ConversationMessage("user", text_of(m), at))
            elif isinstance(m, AIMessage):
                if text_of(m):
                    out.append(ConversationMessage("assistant", text_of(m), at))
            elif isinstance(m, ToolMessage):
                content = text_of(m)
                if len(content) > HISTORY_TOOL_CHARS:
                    content = content[:HISTORY_TOOL_CHARS] + " [...]"
                out.append(ConversationMessage("tool", content, at, m.name))
        return out

    # -- running the graph ---------------------------------------------------------------------------------

    def _run(
        self, principal: Principal, record: ConversationRecord, graph_input: Any, listener: AgentListener | None
    ) -> AgentTurn:
        cid = record.id
        config: Any = {"configurable": {"thread_id": cid}, "recursion_limit": self.recursion_limit}
        ctx = AgentContext(principal, cid, self.clock.now, turn_id=new_id())
        emit = _Emitter(cid, listener)
        activity: list[ToolActivity] = []
        calls: dict[str, tuple[str, Mapping[str, Any]]] = {}
        stopped = False
        try:
            for chunk in self._stream(graph_input, config, ctx):
                for node, update in chunk.items():
                    if node == "__interrupt__":
                        for item in update:
                            for action in item.value.get("actions", []):
                                emit(
                                    "agent.action_pending",
                                    {
                                        "pending_action_id": action["id"],
                                        "tool": action["tool"],
                                        "summary": action["summary"],
                                    },
                                )
                        continue
                    for m in (update or {}).get("messages", []) if isinstance(update, Mapping) else []:
                        if node == AGENT and isinstance(m, AIMessage):
                            for call in m.tool_calls:
                                calls[call["id"] or ""] = (call["name"], call["args"])
                            if text_of(m):
                                emit("agent.message", {"content": text_of(m)})
                        elif node in (TOOLS, APPROVAL) and isinstance(m, ToolMessage):
                            act = self._activity(m, calls, cid)
                            activity.append(act)
                            emit(
                                "agent.tool_call",
                                {
                                    "tool_call_id": act.tool_call_id,
                                    "tool": act.tool,
                                    "args": dict(act.args),
                                    "status": act.status,
                                    "summary": act.summary,
                                    "pending_action_id": act.pending_action_id,
                                },
                            )
        except GraphRecursionError:
            stopped = True
        finally:
            self.toolbox.end_turn(ctx.turn_id)  # the gate's records of this turn's reads, in one transaction
        snapshot = self.graph.get_state(config)
        messages: list[AnyMessage] = list(snapshot.values.get("messages", []))
        pending = _pending_ids(snapshot.interrupts)
        reply = ""
        if stopped:
            reply = TOO_MANY_STEPS
            emit("agent.message", {"content": reply})
        elif not pending and messages and isinstance(messages[-1], AIMessage):
            reply = text_of(messages[-1])
        elif pending:
            # Say it in words too: clients that only show the reply must not look as if nothing happened.
            held = list(dict.fromkeys(a.summary or a.tool for a in activity if a.pending_action_id in pending))
            reply = "Nothing has been done yet. I need your approval for: " + "; ".join(held or ["an action"]) + "."
        self._touch(record, len(messages))
        return AgentTurn(cid, reply, tuple(activity), tuple(pending), self.model)

    def _stream(self, graph_input: Any, config: Any, ctx: AgentContext) -> Iterator[dict[str, Any]]:
        # durability="exit": the checkpoint is written once when the run ends (answered, interrupted for approval, or
        # failed), not after every step; a process dying mid-turn loses that turn's transcript (ADR 0017).
        chunks: Iterator[dict[str, Any]] = self.graph.stream(
            graph_input, config, context=ctx, stream_mode="updates", durability="exit"
        )
        return chunks

    def _activity(self, m: ToolMessage, calls: Mapping[str, tuple[str, Mapping[str, Any]]], cid: str) -> ToolActivity:
        name, args = calls.get(m.tool_call_id, (m.name or "", {}))
        if not calls.get(m.tool_call_id):  # a decided action: its call was made in an earlier run
            for old in reversed(self._messages(cid)):
                if isinstance(old, AIMessage):
                    found = [c for c in old.tool_calls if c["id"] == m.tool_call_id]
                    if found:
                        name, args = found[0]["name"], found[0]["args"]
                        break
        a = artifact(m)
        status = str(a.get("status") or ("error" if m.status == "error" else "ok"))
        return ToolActivity(
            m.tool_call_id, name, dict(args), status, str(a.get("summary") or ""), a.get("pending_action_id")
        )

    def _messages(self, cid: str) -> list[AnyMessage]:
        snapshot = self.graph.get_state({"configurable": {"thread_id": cid}})
        return list(snapshot.values.get("messages", []))

    def _waiting(self, cid: str) -> list[str]:
        return _pending_ids(self.graph.get_state({"configurable": {"thread_id": cid}}).interrupts)

    # -- conversations (ownership) -------------------------------------------------------------------------

    def _new_conversation(self, principal: Principal, text: str) -> ConversationRecord:
        now = self.clock.now()
        record = ConversationRecord(new_id(), principal.user_id, short_title(text), now, now, 0)
        with self.new_uow() as uow:
            uow.agent_conversations.add(record)
            uow.commit()
        return record

    def _owned(self, principal: Principal, conversation_id: str) -> ConversationRecord:
        with self.new_uow() as uow:
            record = uow.agent_conversations.get(conversation_id)
        if record is None or record.user_id != principal.user_id:
            raise NotFound("No such conversation.")
        return record

    def _touch(self, record: ConversationRecord, messages: int) -> None:
        with self.new_uow() as uow:
            current = uow.agent_conversations.get(record.id) or record
            uow.agent_conversations.update(replace(current, updated_at=self.clock.now(), messages=messages))
            uow.commit()


class _Emitter:
    def __init__(self, conversation_id: str, listener: AgentListener | None) -> None:
        self.cid, self.listener = conversation_id, listener

    def __call__(self, kind: str, data: Mapping[str, Any]) -> None:
        if self.listener is not None:
            self.listener(kind, {"conversation_id": self.cid, **data})


def _pending_ids(interrupts: Sequence[Any]) -> list[str]:
    """Each waiting action once (several calls of one turn can wait in the same batch action)."""
    ids: list[str] = []
    for item in interrupts:
        value = getattr(item, "value", None)
        if isinstance(value, Mapping):
            ids.extend(str(i) for i in value.get("pending_action_ids", []))
    return list(dict.fromkeys(ids))


def _at(m: AnyMessage) -> datetime | None:
    raw = m.additional_kwargs.get("at")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return None
