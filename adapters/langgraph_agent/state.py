"""What the graph checkpoints per conversation (LangGraph thread)."""

from __future__ import annotations

from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    user_id: str
    account: str | None  # the mail account the conversation works on (None: the user's default)
    current_task: str  # the user's latest request, as typed
