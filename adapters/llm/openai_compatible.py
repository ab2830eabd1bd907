"""Any OpenAI-compatible Chat Completions server (OpenAI, Ollama, vLLM, LM Studio) via langchain-openai's
ChatOpenAI, behind the "llm" circuit and domain errors."""

from __future__ import annotations

from functools import partial
from typing import Any

import openai as openai_sdk
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from adapters.llm.errors import KEY_HELP, ProviderInfo, map_sdk_error, server_label
from adapters.llm.guarded import GuardedChatModel
from domain.errors import NotConfigured

OPENAI_API_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# Local servers (Ollama, vLLM, LM Studio) accept any key, but the client insists on one.
NO_KEY = "not-needed"


def openai_compatible_chat_model(
    *,
    api_key: str | None,
    model: str,
    base_url: str | None = None,
    timeout_seconds: float = 30,
    max_tokens: int = 1024,
    max_retries: int = 2,
) -> ChatOpenAI:
    """The bare ChatOpenAI on the Chat Completions API. Every value is passed explicitly so OPENAI_* environment
    variables never change where requests go or which key they carry."""
    custom = bool(base_url)
    options: dict[str, Any] = {
        "model": model,
        "api_key": SecretStr(api_key or NO_KEY),
        "base_url": base_url or OPENAI_API_URL,
        "organization": None,
        "timeout": timeout_seconds,
        "max_tokens": max_tokens,  # sent as max_completion_tokens
        "max_retries": max_retries,
        "use_responses_api": False,  # only OpenAI has the Responses API; compatible servers speak Chat Completions
        # Older compatible servers only read the legacy field; sending both is harmless where both are known.
        "extra_body": {"max_tokens": max_tokens} if custom else None,
    }
    return ChatOpenAI(**options)


def build_openai_compatible_chat_model(
    *,
    api_key: str | None,
    model: str | None = None,
    base_url: str | None = None,
    timeout_seconds: float = 30,
    max_tokens: int = 1024,
    max_retries: int = 2,
    breakers: object | None = None,
) -> BaseChatModel:
    """ChatOpenAI wrapped so calls pass the "llm" circuit (when `breakers` is given) and failures become
    NotConfigured (key refused, unknown model) / ServiceUnavailable (timeout, 429, 5xx) / UpstreamError.

    With no base URL it talks to OpenAI and needs a key; with a base URL (a local server) the key is optional
    and the model must be named."""
    if not base_url and not api_key:
        raise NotConfigured(f"OpenAI needs an API key: {KEY_HELP}; or set MAILAGENT_LLM_BASE_URL to a local server.")
    if base_url and not model:
        raise NotConfigured(
            "Name the model the server at MAILAGENT_LLM_BASE_URL should run in MAILAGENT_LLM_MODEL "
            "(e.g. llama3.1 for Ollama)."
        )
    model = model or DEFAULT_OPENAI_MODEL
    inner = openai_compatible_chat_model(
        api_key=api_key,
        model=model,
        base_url=base_url,
        timeout_seconds=timeout_seconds,
        max_tokens=max_tokens,
        max_retries=max_retries,
    )
    info = ProviderInfo(label=server_label(base_url, "OpenAI"), model=model, timeout_seconds=timeout_seconds)
    return GuardedChatModel(inner=inner, map_error=partial(map_sdk_error, sdk=openai_sdk, info=info), breakers=breakers)
