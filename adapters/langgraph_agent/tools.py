"""Model-facing tools built from the application's ToolSpecs. Each one only forwards to `AgentToolbox.call` with the
per-call ToolContext (principal from the run context, the model's tool call id): the gate lives there."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.prebuilt import ToolRuntime

from adapters.langgraph_agent.context import AgentContext
from application.agent.tools import AgentToolbox, ToolOutcome, ToolSpec


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str, sort_keys=True)


def outcome_message(outcome: ToolOutcome, *, tool: str, tool_call_id: str) -> ToolMessage:
    """The tool result the model reads; the artifact (not shown to the model) keeps status and pending id."""
    artifact = {"status": outcome.status, "summary": outcome.summary, "pending_action_id": outcome.pending_action_id}
    return ToolMessage(
        content=to_json(dict(outcome.content)),
        tool_call_id=tool_call_id,
        name=tool,
        artifact=artifact,
        status="error" if outcome.status == "error" else "success",
    )


def build_tool(toolbox: AgentToolbox, spec: ToolSpec) -> BaseTool:
    def run(runtime: ToolRuntime[AgentContext], **args: Any) -> ToolMessage:
        call_id = runtime.tool_call_id or ""
        ctx = runtime.context
        if not isinstance(ctx, AgentContext):  # pragma: no cover - the agent always passes its context
            raise RuntimeError("The agent graph runs only with an AgentContext.")
        outcome = toolbox.call(ctx.tool_context(call_id), spec.name, args)
        return outcome_message(outcome, tool=spec.name, tool_call_id=call_id)

    schema: Mapping[str, Any] = spec.parameters
    return StructuredTool.from_function(
        func=run, name=spec.name, description=spec.description, args_schema=dict(schema)
    )


def build_tools(toolbox: AgentToolbox) -> list[BaseTool]:
    return [build_tool(toolbox, spec) for spec in toolbox.specs()]
