"""The StateGraph: agent -> (tools_condition) -> tools (ToolNode) -> approval (interrupt, only when the gate held a
call) -> agent ... until the model answers without tool calls.

Why a separate approval node instead of calling `interrupt` inside a tool: on resume LangGraph re-runs the whole
interrupted node. Inside the ToolNode that would call the toolbox again for every tool call of the step (a second
pending action, a second draft). The approval node has no side effects, so re-running it is harmless."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from adapters.langgraph_agent.context import AgentContext
from adapters.langgraph_agent.prompts import SYSTEM_PROMPT
from adapters.langgraph_agent.state import AgentState
from adapters.langgraph_agent.tools import to_json

AGENT: Final = "agent"
TOOLS: Final = "tools"
APPROVAL: Final = "approval"


def trailing_tool_messages(messages: Sequence[AnyMessage]) -> list[ToolMessage]:
    """The tool results of the last model step."""
    out: list[ToolMessage] = []
    for m in reversed(messages):
        if isinstance(m, AIMessage):
            break
        if isinstance(m, ToolMessage):
            out.append(m)
    return list(reversed(out))


def held(messages: Sequence[AnyMessage]) -> list[ToolMessage]:
    return [m for m in trailing_tool_messages(messages) if artifact(m).get("status") == "pending"]


def artifact(m: ToolMessage) -> Mapping[str, Any]:
    return m.artifact if isinstance(m.artifact, Mapping) else {}


def decision_message(m: ToolMessage, decision: Mapping[str, Any] | None) -> ToolMessage:
    """The held call's result once its owner decided (the application already executed an approval)."""
    a = artifact(m)
    if decision is None:  # pragma: no cover - the agent refuses to resume before every action is decided
        content: dict[str, Any] = {"status": "undecided", "note": "The user has not decided yet."}
        status = "pending"
    elif not decision.get("approved"):
        content = {
            "status": "rejected",
            "note": "The user rejected this action. It did not happen; do not retry it unless the user asks again.",
        }
        status = "rejected"
    elif decision.get("error"):
        content = {"status": "failed", "error": decision["error"], "note": "The user approved it, but it failed."}
        status = "error"
    else:
        content = {
            "status": "executed",
            "result": dict(decision.get("result") or {}),
            "note": "The user approved this action and it was done.",
        }
        status = "ok"
    return ToolMessage(
        id=m.id,  # same id: replaces the "pending" result in the state
        content=to_json(content),
        tool_call_id=m.tool_call_id,
        name=m.name,
        artifact={**a, "status": status},
        status="error" if status == "error" else "success",
    )


def build_graph(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    checkpointer: BaseCheckpointSaver[Any] | None,
    *,
    system_prompt: str = SYSTEM_PROMPT,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    bound = model.bind_tools(list(tools))

    def agent(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        reply = bound.invoke([SystemMessage(system_prompt), *state.get("messages", [])])
        if not isinstance(reply, AIMessage):  # pragma: no cover - chat models answer with AIMessages
            reply = AIMessage(content=str(getattr(reply, "content", reply)))
        reply.additional_kwargs = {**reply.additional_kwargs, "at": runtime.context.now().isoformat()}
        return {"messages": [reply]}

    def after_tools(state: AgentState) -> Literal["approval", "agent"]:
        return APPROVAL if held(state.get("messages", [])) else AGENT

    def approval(state: AgentState) -> dict[str, Any]:
        waiting = held(state.get("messages", []))
        ids = [str(artifact(m).get("pending_action_id")) for m in waiting]
        decisions = interrupt(
            {
                "pending_action_ids": ids,
                "actions": [
                    {"id": i, "tool": m.name, "summary": artifact(m).get("summary", ""), "tool_call_id": m.tool_call_id}
                    for i, m in zip(ids, waiting, strict=True)
                ],
            }
        )
        raw = decisions.get("decisions") if isinstance(decisions, Mapping) else None
        decided: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        return {"messages": [decision_message(m, decided.get(i)) for i, m in zip(ids, waiting, strict=True)]}

    builder = StateGraph(AgentState, context_schema=AgentContext)
    builder.add_node(AGENT, agent)
    builder.add_node(TOOLS, ToolNode(list(tools)))
    builder.add_node(APPROVAL, approval)
    builder.add_edge(START, AGENT)
    builder.add_conditional_edges(AGENT, tools_condition, {"tools": TOOLS, END: END})
    builder.add_conditional_edges(TOOLS, after_tools, {APPROVAL: APPROVAL, AGENT: AGENT})
    builder.add_edge(APPROVAL, AGENT)
    return builder.compile(checkpointer=checkpointer)
