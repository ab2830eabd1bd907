"""Fakes for the agent: a scripted tool-calling chat model and a scripted AgentToolbox (gate semantics: read runs,
reversible runs, external is held as pending)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from application.agent.tools import AgentToolbox, ToolContext, ToolOutcome, ToolSpec
from application.ports.clock import Clock
from domain.agent import ActionClass


def call(name: str, call_id: str, **args: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


def calls(*items: tuple[str, str, Mapping[str, Any]]) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": n, "args": dict(a), "id": i, "type": "tool_call"} for n, i, a in items],
    )


def say(text: str) -> AIMessage:
    return AIMessage(content=text)


class ScriptedChatModel(FakeMessagesListChatModel):
    """Answers with the scripted messages in order (the last one repeats); records what it was shown."""

    seen: list[list[BaseMessage]] = []
    bound_tools: list[str] = []
    cycle: bool = False  # start the script again after its last message (benchmarks)
    record: bool = True

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        if self.record:
            self.seen.append(list(messages))
        n = len(self.responses)
        response = self.responses[self.i % n if self.cycle else min(self.i, n - 1)]
        self.i += 1
        return ChatResult(generations=[ChatGeneration(message=response.model_copy(deep=True))])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        self.bound_tools = [getattr(t, "name", str(t)) for t in tools]
        return self


def _obj(props: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": dict(props), "required": list(required)}


FAKE_SPECS = (
    ToolSpec("search_emails", "Search mail", _obj({"query": {"type": "string"}}), ActionClass.READ),
    ToolSpec("get_thread", "Read a thread", _obj({"message_id": {"type": "string"}}, ["message_id"]), ActionClass.READ),
    ToolSpec(
        "create_draft",
        "Create a draft",
        _obj(
            {
                "to": {"type": "array", "items": {"type": "string"}},
                "body": {"type": "string"},
                "subject": {"type": "string"},
                "reply_to_message_id": {"type": "string"},
            }
        ),
        ActionClass.REVERSIBLE,
    ),
    ToolSpec(
        "apply_label",
        "Label mail",
        _obj({"message_ids": {"type": "array"}, "label": {"type": "string"}}),
        ActionClass.REVERSIBLE,
    ),
    ToolSpec(
        "reply",
        "Reply to a message (asks the user)",
        _obj(
            {"message_id": {"type": "string"}, "body": {"type": "string"}, "reply_all": {"type": "boolean"}},
            ["message_id", "body"],
        ),
        ActionClass.EXTERNAL,
    ),
    ToolSpec(
        "send_email",
        "Send mail (asks the user)",
        _obj({"draft_id": {"type": "string"}, "to": {"type": "array"}, "body": {"type": "string"}}),
        ActionClass.EXTERNAL,
    ),
)


@dataclass
class Held:
    id: str
    ctx: ToolContext
    tool: str
    args: dict[str, Any]


@dataclass
class ScriptedToolbox(AgentToolbox):
    """Read/reversible calls answer from `results` (tool -> content, or a callable of the args); external calls are
    held: a pending id is returned and nothing runs."""

    results: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[ToolContext, str, dict[str, Any]]] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)  # tools that ran (never an external one)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    id_prefix: str = "pa"  # real pending ids are 32 hex digits: use id_prefix="" with hex_ids=True to mimic them
    hex_ids: bool = False

    def specs(self) -> tuple[ToolSpec, ...]:
        return FAKE_SPECS

    def call(self, ctx: ToolContext, tool: str, args: Mapping[str, Any]) -> ToolOutcome:
        self.calls.append((ctx, tool, dict(args)))
        spec = {s.name: s for s in FAKE_SPECS}.get(tool)
        if spec is None:
            return ToolOutcome("error", {"error": f"There is no tool called {tool!r}."})
        if spec.action is ActionClass.EXTERNAL:
            n = next(self._ids)
            pid = f"{n:032x}" if self.hex_ids else f"{self.id_prefix}{n}"
            self.held.append(Held(pid, ctx, tool, dict(args)))
            return ToolOutcome("pending", {"status": "pending_approval", "pending_action_id": pid}, f"{tool}", pid)
        result = self.results.get(tool, {"ok": True})
        content = result(dict(args)) if callable(result) else result
        if isinstance(content, ToolOutcome):
            return content
        self.executed.append(tool)
        return ToolOutcome("ok", content, tool)


class StepClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


ResultFn = Callable[[dict[str, Any]], Any]
