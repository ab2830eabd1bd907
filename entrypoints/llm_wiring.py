"""Which chat model the agent uses, and where its conversations are checkpointed, from settings.

`llm_provider`: "offline" (default; the embedded OfflineCommandModel, no key, no network) or a hosted provider
("anthropic", "openai"), built by entrypoints.llm_wiring_hosted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver

from adapters.langgraph_agent.agent import LangGraphEmailAgent
from adapters.langgraph_agent.checkpoints import postgres_checkpointer, sqlite_checkpointer
from adapters.llm.offline import OfflineCommandModel
from adapters.summarizer.extractive import ExtractiveSummarizer
from application.agent.tools import AgentToolbox
from application.ports.clock import Clock
from application.ports.secret_store import SecretStore
from application.ports.unit_of_work import UnitOfWork

CHECKPOINT_FILE = "agent-checkpoints.db"


def build_chat_model(settings: Any, secret_store: SecretStore | None = None, breakers: Any = None) -> BaseChatModel:
    if settings.llm_provider == "offline":
        return OfflineCommandModel(summarizer=ExtractiveSummarizer())
    from entrypoints.llm_wiring_hosted import build_hosted_chat_model

    return build_hosted_chat_model(settings, secret_store, breakers)


def build_checkpointer(settings: Any) -> BaseCheckpointSaver[Any]:
    """PostgreSQL when the database is PostgreSQL (production), else a SQLite file in data_dir."""
    url = settings.resolved_database_url
    if url.startswith(("postgresql", "postgres")):
        return postgres_checkpointer(url)
    return sqlite_checkpointer(settings.data_dir / CHECKPOINT_FILE)


def build_email_agent(
    settings: Any,
    secret_store: SecretStore | None,
    breakers: Any,
    toolbox: AgentToolbox,
    uow: Callable[[], UnitOfWork],
    clock: Clock,
) -> LangGraphEmailAgent:
    model = build_chat_model(settings, secret_store, breakers)
    return LangGraphEmailAgent(model, toolbox, uow, clock, build_checkpointer(settings))
