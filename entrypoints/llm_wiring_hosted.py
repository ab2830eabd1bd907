"""Build the hosted chat model (Anthropic, or any OpenAI-compatible server) from settings.

The API key comes from MAILAGENT_LLM_API_KEY or, when that is empty, from the SecretStore under the name
`llm/api_key` (write it with `mailagent llm set-key`). Whatever key is used is registered with the redaction
filter, so it cannot reach a log line or a response even by accident.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from application.ports.secret_store import SecretStore, make_secret_ref
from domain.errors import NotConfigured, NotFound, ValidationFailed
from entrypoints.redaction import register_secret

LLM_API_KEY_SECRET = "llm/api_key"
HOSTED_PROVIDERS = ("anthropic", "openai")


def llm_api_key_ref(secret_store: SecretStore) -> str:
    return make_secret_ref(getattr(secret_store, "scheme"), LLM_API_KEY_SECRET)  # noqa: B009 - scheme is per store


def store_llm_api_key(secret_store: SecretStore, key: str) -> str:
    """Keep the key in the secret store (where it is used when MAILAGENT_LLM_API_KEY is empty)."""
    key = key.strip()
    if not key:
        raise ValidationFailed("An empty LLM API key cannot be stored.")
    register_secret(key)
    return secret_store.put(LLM_API_KEY_SECRET, key)


def resolve_llm_api_key(settings: Any, secret_store: SecretStore | None) -> tuple[str | None, str]:
    """The key and where it came from ("setting", "secret store" or "none")."""
    if settings.llm_api_key is not None and settings.llm_api_key.get_secret_value().strip():
        return settings.llm_api_key.get_secret_value().strip(), "setting"
    if secret_store is not None:
        try:
            return secret_store.get(llm_api_key_ref(secret_store)), "secret store"
        except NotFound:
            pass
    return None, "none"


def build_hosted_chat_model(settings: Any, secret_store: SecretStore | None, breakers: Any = None) -> BaseChatModel:
    """The chat model for settings.llm_provider "anthropic" or "openai"; `breakers` (container.circuit_breakers())
    puts every call behind the "llm" circuit. Raises NotConfigured with what to set when something is missing."""
    provider = settings.llm_provider
    if provider not in HOSTED_PROVIDERS:
        raise ValueError(f"{provider!r} is not a hosted LLM provider")
    key, _ = resolve_llm_api_key(settings, secret_store)
    register_secret(key)
    common: dict[str, Any] = {
        "model": settings.llm_model or None,
        "base_url": settings.llm_base_url or None,
        "timeout_seconds": settings.llm_timeout_seconds,
        "max_tokens": settings.llm_max_tokens,
        "max_retries": settings.llm_max_retries,
        "breakers": breakers,
    }
    if provider == "anthropic":
        if not key:
            raise NotConfigured(
                "The Anthropic model needs an API key: set MAILAGENT_LLM_API_KEY or run `mailagent llm set-key` "
                "(or set MAILAGENT_LLM_PROVIDER=offline)."
            )
        from adapters.llm.anthropic import build_anthropic_chat_model

        return build_anthropic_chat_model(api_key=key, **common)
    from adapters.llm.openai_compatible import build_openai_compatible_chat_model

    return build_openai_compatible_chat_model(api_key=key, **common)
