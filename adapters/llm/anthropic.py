"""Anthropic Messages API (langchain-anthropic's ChatAnthropic), behind the "llm" circuit and domain errors."""

from __future__ import annotations

from functools import partial
from typing import Any

import anthropic as anthropic_sdk
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from adapters.llm.errors import ProviderInfo, map_sdk_error, server_label
from adapters.llm.guarded import GuardedChatModel

ANTHROPIC_API_URL = "https://api.anthropic.com"
DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5"


def anthropic_chat_model(
    *,
    api_key: str,
    model: str = DEFAULT_ANTHROPIC_MODEL,
    base_url: str | None = None,
    timeout_seconds: float = 30,
    max_tokens: int = 1024,
    max_retries: int = 2,
) -> ChatAnthropic:
    """The bare ChatAnthropic. Every value is passed explicitly so ANTHROPIC_* environment variables never
    change where requests go or which key they carry."""
    options: dict[str, Any] = {  # field names, not aliases (mypy does not see pydantic's populate_by_name)
        "model": model,
        "api_key": SecretStr(api_key),
        "base_url": base_url or ANTHROPIC_API_URL,
        "timeout": timeout_seconds,
        "max_tokens": max_tokens,
        "max_retries": max_retries,
    }
    return ChatAnthropic(**options)


def build_anthropic_chat_model(
    *,
    api_key: str,
    model: str | None = None,
    base_url: str | None = None,
    timeout_seconds: float = 30,
    max_tokens: int = 1024,
    max_retries: int = 2,
    breakers: object | None = None,
) -> BaseChatModel:
    """ChatAnthropic wrapped so calls pass the "llm" circuit (when `breakers` is given) and failures become
    NotConfigured (key refused, unknown model) / ServiceUnavailable (timeout, 429, 5xx) / UpstreamError."""
    model = model or DEFAULT_ANTHROPIC_MODEL
    inner = anthropic_chat_model(
        api_key=api_key,
        model=model,
        base_url=base_url,
        timeout_seconds=timeout_seconds,
        max_tokens=max_tokens,
        max_retries=max_retries,
    )
    info = ProviderInfo(label=server_label(base_url, "Anthropic"), model=model, timeout_seconds=timeout_seconds)
    return GuardedChatModel(
        inner=inner, map_error=partial(map_sdk_error, sdk=anthropic_sdk, info=info), breakers=breakers
    )
