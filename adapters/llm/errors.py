"""Turn an LLM SDK failure (anthropic / openai clients) into a domain error a person understands.

The SDKs already retry 408/409/429/5xx, dropped connections and timeouts `max_retries` times with backoff; what
reaches this module is the final failure. Messages never carry the API key, the prompt or the provider's raw body.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from domain.errors import DomainError, InfrastructureError, NotConfigured, ServiceUnavailable, UpstreamError

SERVICE = "llm"
KEY_HELP = "set MAILAGENT_LLM_API_KEY or store the key under llm/api_key (`mailagent llm set-key`)"


@dataclass(frozen=True)
class ProviderInfo:
    """What error messages may say about the configured model."""

    label: str  # "Anthropic", "OpenAI", "The LLM server at 127.0.0.1:11434"
    model: str
    timeout_seconds: float


def server_label(base_url: str | None, default: str) -> str:
    """A name for the server fit for a message: the host and port only (never a path, query or userinfo)."""
    if not base_url:
        return default
    parts = urlsplit(base_url)
    host = parts.hostname or "?"
    return f"The LLM server at {host}:{parts.port}" if parts.port else f"The LLM server at {host}"


def map_sdk_error(exc: BaseException, sdk: ModuleType, info: ProviderInfo) -> DomainError | InfrastructureError | None:
    """The domain error for an exception raised by the `anthropic` or `openai` SDK; None if it is not one."""
    label = info.label
    if isinstance(exc, sdk.APITimeoutError):
        return ServiceUnavailable(
            f"{label} did not answer within {info.timeout_seconds:g} seconds; try again later.", service=SERVICE
        )
    if isinstance(exc, sdk.APIConnectionError):
        return ServiceUnavailable(
            f"{label} could not be reached; check MAILAGENT_LLM_BASE_URL and that the server is running.",
            service=SERVICE,
        )
    if not isinstance(exc, sdk.APIStatusError):
        return None
    status = int(exc.status_code)
    if status == 401:
        return NotConfigured(f"The LLM API key was refused by {_lower_first(label)}: {KEY_HELP}.")
    if status == 403:
        return NotConfigured(
            f"{label} refused access to the model '{info.model}' with this API key (HTTP 403); check the key's "
            "permissions or choose another model in MAILAGENT_LLM_MODEL."
        )
    if status == 404:
        return NotConfigured(
            f"{label} does not know the model '{info.model}' or the API path (HTTP 404); check MAILAGENT_LLM_MODEL "
            "and MAILAGENT_LLM_BASE_URL."
        )
    if status == 429:
        return ServiceUnavailable(
            f"{label} is rate limiting requests (HTTP 429); try again shortly.",
            service=SERVICE,
            retry_after=_retry_after(getattr(exc, "response", None)),
        )
    if status >= 500:
        return ServiceUnavailable(f"{label} is failing (HTTP {status}); try again later.", service=SERVICE)
    detail = _provider_message(getattr(exc, "body", None))
    suffix = f": {detail}" if detail else "."
    return UpstreamError(f"{label} rejected the request (HTTP {status}){suffix}", service=SERVICE)


def _lower_first(label: str) -> str:
    return label[0].lower() + label[1:] if label.startswith("The ") else label


def _retry_after(response: Any) -> int | None:
    try:
        value = response.headers.get("retry-after") if response is not None else None
        return int(float(value)) if value else None
    except (TypeError, ValueError):
        return None


def _provider_message(body: Any) -> str:
    """The provider's one-line reason (e.g. "max_tokens: must be positive"), shortened; never the raw body."""
    message: Any = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        return ""
    text = " ".join(message.split())
    return text[:300] + ("…" if len(text) > 300 else "")
