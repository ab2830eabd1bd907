"""The hosted chat models (Anthropic, OpenAI-compatible) against local servers that speak their wire formats.

One suite, run for both adapters: tool calls and plain replies are parsed, the request carries the model, max
tokens, tools and key, the key never reaches a log line, and failures (refused key, 429/5xx, timeouts, an
unreachable server, an open circuit) become domain errors a person understands, in bounded time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.secret_store import InMemorySecretStore
from adapters.llm.anthropic import build_anthropic_chat_model
from adapters.llm.openai_compatible import build_openai_compatible_chat_model
from adapters.pybreaker.circuit_breakers import PyBreakerCircuitBreakers
from application.ports.circuit_breaker import CircuitState
from domain.errors import NotConfigured, ServiceUnavailable, UpstreamError
from entrypoints.llm_wiring_hosted import build_hosted_chat_model, resolve_llm_api_key, store_llm_api_key
from entrypoints.redaction import REDACTED, redact
from entrypoints.settings import Settings
from tests.support.fake_llm_servers import (
    FakeAnthropicServer,
    FakeOpenAIServer,
    ReceivedRequest,
    Reply,
    ToolCall,
    _FakeServer,
)

KEY = "sk-test-Zq8vX2LmN4pR7tY1wK9"
FAST_RETRY = (("retry-after-ms", "20"),)  # both SDKs honour it: keeps retry tests quick

SEARCH_TOOL = {
    "name": "search_emails",
    "description": "Search the mailbox.",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string"}, "unread": {"type": "boolean"}},
        "required": ["query"],
    },
}


class ApplyLabel(BaseModel):
    """Put a label on a message."""

    message_id: str = Field(description="The message")
    label: str = Field(description="The label name")


@dataclass
class Provider:
    name: str
    server_cls: type[_FakeServer]
    build: Callable[..., Any]
    max_tokens_fields: tuple[str, ...]

    def key_of(self, request: ReceivedRequest) -> str | None:
        return request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")

    def tool_names(self, request: ReceivedRequest) -> list[str]:
        tools = request.body.get("tools", [])
        return [t["name"] if "name" in t else t["function"]["name"] for t in tools]


PROVIDERS = [
    Provider("anthropic", FakeAnthropicServer, build_anthropic_chat_model, ("max_tokens",)),
    Provider("openai", FakeOpenAIServer, build_openai_compatible_chat_model, ("max_completion_tokens", "max_tokens")),
]


@pytest.fixture(params=PROVIDERS, ids=[p.name for p in PROVIDERS])
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def server(provider: Provider) -> Iterator[_FakeServer]:
    with provider.server_cls(api_key=KEY) as srv:
        yield srv


def make_model(provider: Provider, server: _FakeServer, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "api_key": KEY,
        "model": "test-model-1",
        "base_url": server.base_url,
        "timeout_seconds": 5,
        "max_tokens": 321,
        "max_retries": 2,
    }
    options.update(overrides)
    return provider.build(**options)


# Replies ------------------------------------------------------------------------------------------------------
def test_tool_calls_are_parsed_and_the_request_carries_model_tokens_tools_and_key(
    provider: Provider, server: _FakeServer
) -> None:
    server.script(
        Reply(
            text="Looking.",
            tool_calls=(
                ToolCall("search_emails", {"query": "invoices", "unread": True}, "call_a"),
                ToolCall("ApplyLabel", {"message_id": "m-7", "label": "Later"}, "call_b"),
            ),
        )
    )
    model = make_model(provider, server).bind_tools([SEARCH_TOOL, ApplyLabel])

    reply = model.invoke("find unread invoices and label m-7 as Later")

    assert isinstance(reply, AIMessage)
    assert [(c["name"], c["args"], c["id"]) for c in reply.tool_calls] == [
        ("search_emails", {"query": "invoices", "unread": True}, "call_a"),
        ("ApplyLabel", {"message_id": "m-7", "label": "Later"}, "call_b"),
    ]
    assert reply.invalid_tool_calls == []
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] == 7
    (sent,) = server.requests
    assert sent.path == server.path
    assert sent.body["model"] == "test-model-1"
    assert all(sent.body[f] == 321 for f in provider.max_tokens_fields)
    assert provider.tool_names(sent) == ["search_emails", "ApplyLabel"]
    assert provider.key_of(sent) == KEY
    assert sent.body["messages"][-1]["content"] == "find unread invoices and label m-7 as Later"


def test_a_plain_text_reply_has_no_tool_calls(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(text="You have 3 unread mails."))
    reply = make_model(provider, server).bind_tools([SEARCH_TOOL]).invoke("how many unread?")
    assert reply.text == "You have 3 unread mails."
    assert reply.tool_calls == []


def test_async_calls_work_too(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(tool_calls=(ToolCall("search_emails", {"query": "offsite"}, "call_z"),)))
    model = make_model(provider, server).bind_tools([SEARCH_TOOL])
    reply = asyncio.run(model.ainvoke("find the offsite mail"))
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("search_emails", {"query": "offsite"})]


def test_environment_variables_of_the_sdks_do_not_redirect_requests_or_swap_the_key(
    provider: Provider, server: _FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "sk-from-the-environment-000")
    make_model(provider, server).invoke("hi")
    assert provider.key_of(server.requests[-1]) == KEY


# Secrets ------------------------------------------------------------------------------------------------------
@pytest.mark.property(40)
def test_the_key_never_reaches_a_log_line_or_an_error(
    provider: Provider, server: _FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "anthropic", "openai", "httpx", "httpx2", "httpcore", "httpcore2", "langchain_core"):
        caplog.set_level(logging.DEBUG, logger=name or None)
    model = make_model(provider, server, max_retries=1)
    server.script(Reply(text="ok"), Reply(status=500, headers=FAST_RETRY), Reply(status=500, headers=FAST_RETRY))
    model.bind_tools([SEARCH_TOOL]).invoke("hello")
    with pytest.raises(ServiceUnavailable) as failed:
        model.invoke("again")
    with pytest.raises(NotConfigured) as refused:
        make_model(provider, server, api_key=KEY + "-wrong").invoke("hi")

    assert len(caplog.records) > 3, "the SDKs' debug logging was not captured, so this test would prove nothing"
    lines = [r.getMessage() for r in caplog.records] + [caplog.text]
    assert not [line for line in lines if KEY in line]
    errors = [failed.value, refused.value]
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:
            assert KEY not in str(chain) and KEY not in repr(chain)
            chain = chain.__cause__ or chain.__context__
    assert KEY not in repr(model) and KEY not in str(model)


# Failures -----------------------------------------------------------------------------------------------------
def test_a_refused_key_is_a_clear_configuration_error_and_is_not_retried(
    provider: Provider, server: _FakeServer
) -> None:
    with pytest.raises(NotConfigured, match="API key was refused") as refused:
        make_model(provider, server, api_key="sk-wrong-key-000000").invoke("hi")
    assert "MAILAGENT_LLM_API_KEY" in str(refused.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_overload_and_server_errors_are_retried_then_reported(
    provider: Provider, server: _FakeServer, status: int
) -> None:
    server.script(*[Reply(status=status, headers=FAST_RETRY)] * 3)
    with pytest.raises(ServiceUnavailable, match=f"HTTP {status}") as failed:
        make_model(provider, server, max_retries=2).invoke("hi")
    assert failed.value.service == "llm"
    assert len(server.requests) == 3  # the first try and max_retries retries


def test_a_failure_followed_by_success_is_invisible_to_the_caller(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(status=500, headers=FAST_RETRY), Reply(text="recovered"))
    assert make_model(provider, server, max_retries=2).invoke("hi").text == "recovered"
    assert len(server.requests) == 2


def test_a_rate_limit_reports_when_to_try_again(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(status=429, headers=(("retry-after", "7"),)))
    with pytest.raises(ServiceUnavailable) as failed:
        make_model(provider, server, max_retries=0).invoke("hi")
    assert failed.value.retry_after == 7


def test_a_rejected_request_says_why(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(status=400, error_message="max_tokens: must be at most 8192"))
    with pytest.raises(UpstreamError, match=r"HTTP 400.*max_tokens: must be at most 8192"):
        make_model(provider, server).invoke("hi")
    assert len(server.requests) == 1


def test_an_unknown_model_names_the_setting_to_fix(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(status=404, error_message="model not found"))
    with pytest.raises(NotConfigured, match=r"test-model-1.*MAILAGENT_LLM_MODEL"):
        make_model(provider, server).invoke("hi")


def test_a_silent_server_times_out_in_about_the_timeout(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(text="too late", delay_seconds=10))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match=r"did not answer within 0\.5 seconds"):
        make_model(provider, server, timeout_seconds=0.5, max_retries=0).invoke("hi")
    elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 2.0, elapsed


def test_a_timeout_is_retried_and_the_total_stays_bounded(provider: Provider, server: _FakeServer) -> None:
    server.script(Reply(text="too late", delay_seconds=10), Reply(text="too late", delay_seconds=10))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="did not answer"):
        make_model(provider, server, timeout_seconds=0.5, max_retries=1).invoke("hi")
    elapsed = time.monotonic() - started
    # two attempts of 0.5 s plus one backoff (at most ~1 s with jitter)
    assert 0.9 < elapsed < 3.5, elapsed
    assert len(server.requests) == 2


def test_an_unreachable_server_is_reported_as_such(provider: Provider) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}" + ("/v1" if provider.name == "openai" else "")
    model = provider.build(api_key=KEY, model="m", base_url=base_url, timeout_seconds=2, max_retries=0)
    with pytest.raises(ServiceUnavailable, match=f"127.0.0.1:{port} could not be reached"):
        model.invoke("hi")


# Circuit breaker ----------------------------------------------------------------------------------------------
def test_repeated_failures_open_the_llm_circuit_and_later_calls_fail_fast(
    provider: Provider, server: _FakeServer
) -> None:
    clock = InMemoryClock()
    breakers = PyBreakerCircuitBreakers(clock, fail_max=2, reset_timeout_seconds=30)
    model = make_model(provider, server, max_retries=0, breakers=breakers)
    server.script(Reply(status=500), Reply(status=500))
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            model.invoke("hi")
    assert breakers.state("llm") == CircuitState.OPEN

    with pytest.raises(ServiceUnavailable, match="language model"):
        model.invoke("hi")
    assert len(server.requests) == 2  # the open circuit did not call the server

    clock.advance(31)
    assert model.bind_tools([SEARCH_TOOL]).invoke("hi").text == "Hello from the fake model."
    assert breakers.state("llm") == CircuitState.CLOSED


def test_a_refused_key_does_not_open_the_circuit(provider: Provider, server: _FakeServer) -> None:
    breakers = PyBreakerCircuitBreakers(InMemoryClock(), fail_max=2, reset_timeout_seconds=30)
    model = make_model(provider, server, api_key="sk-wrong-key-000000", breakers=breakers)
    for _ in range(3):
        with pytest.raises(NotConfigured):
            model.invoke("hi")
    assert breakers.state("llm") == CircuitState.CLOSED
    assert len(server.requests) == 3


# Wiring from settings -----------------------------------------------------------------------------------------
def settings_for(provider: Provider, server: _FakeServer, tmp_path: Any, **values: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        llm_provider=provider.name,
        llm_model="wired-model",
        llm_base_url=server.base_url,
        llm_max_tokens=77,
        llm_timeout_seconds=5,
        **values,
    )


def test_wiring_uses_the_key_from_the_secret_store_when_the_setting_is_empty(
    provider: Provider, server: _FakeServer, tmp_path: Any
) -> None:
    store = InMemorySecretStore()
    store_llm_api_key(store, KEY + "\n")
    settings = settings_for(provider, server, tmp_path)
    assert resolve_llm_api_key(settings, store) == (KEY, "secret store")

    reply = build_hosted_chat_model(settings, store).invoke("hi")

    assert reply.text == "Hello from the fake model."
    sent = server.requests[-1]
    assert provider.key_of(sent) == KEY
    assert sent.body["model"] == "wired-model"
    assert all(sent.body[f] == 77 for f in provider.max_tokens_fields)
    assert redact(f"key={KEY}") == f"key={REDACTED}"  # registered with the redaction filter


def test_wiring_prefers_the_setting_over_the_secret_store(
    provider: Provider, server: _FakeServer, tmp_path: Any
) -> None:
    store = InMemorySecretStore()
    store_llm_api_key(store, "sk-stale-key-in-the-store")
    settings = settings_for(provider, server, tmp_path, llm_api_key=KEY)
    build_hosted_chat_model(settings, store).invoke("hi")
    assert provider.key_of(server.requests[-1]) == KEY


def test_wiring_without_any_key(provider: Provider, tmp_path: Any) -> None:
    with provider.server_cls() as keyless:  # like Ollama: accepts any key
        settings = settings_for(provider, keyless, tmp_path)
        if provider.name == "anthropic":
            with pytest.raises(NotConfigured, match="needs an API key"):
                build_hosted_chat_model(settings, InMemorySecretStore())
        else:
            assert build_hosted_chat_model(settings, InMemorySecretStore()).invoke("hi").text
    if provider.name == "openai":  # OpenAI itself (no base URL) needs a key
        bare = Settings(_env_file=None, data_dir=tmp_path, llm_provider="openai")  # type: ignore[call-arg]
        with pytest.raises(NotConfigured, match="OpenAI needs an API key"):
            build_hosted_chat_model(bare, InMemorySecretStore())


def test_a_local_server_needs_a_model_name(tmp_path: Any) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        llm_provider="openai",
        llm_base_url="http://127.0.0.1:11434/v1",
    )
    with pytest.raises(NotConfigured, match="MAILAGENT_LLM_MODEL"):
        build_hosted_chat_model(settings, None)


# Through a LangGraph tool loop --------------------------------------------------------------------------------
def test_a_langgraph_tool_loop_runs_the_tool_and_sends_its_result_back_in_the_wire_format(
    provider: Provider, server: _FakeServer
) -> None:
    from langchain_core.tools import tool
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    searched: list[str] = []

    @tool
    def search_emails(query: str) -> str:
        """Search the mailbox."""
        searched.append(query)
        return "1 match: m-42 'Offsite agenda' from alice"

    model = make_model(provider, server).bind_tools([search_emails])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([search_emails]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    server.script(
        Reply(tool_calls=(ToolCall("search_emails", {"query": "offsite"}, "call_s1"),)),
        Reply(text="Found the offsite agenda from Alice."),
    )

    result = graph.compile().invoke({"messages": [("user", "find the offsite mail")]})

    assert searched == ["offsite"]
    assert result["messages"][-1].text == "Found the offsite agenda from Alice."
    second = server.requests[1].body["messages"]
    if provider.name == "anthropic":
        assert second[1]["role"] == "assistant" and second[1]["content"][-1]["type"] == "tool_use"
        (block,) = [b for b in second[2]["content"] if b.get("type") == "tool_result"]
        assert block["tool_use_id"] == "call_s1" and "Offsite agenda" in str(block["content"])
    else:
        assert second[1]["role"] == "assistant" and second[1]["tool_calls"][0]["id"] == "call_s1"
        assert second[2]["role"] == "tool" and second[2]["tool_call_id"] == "call_s1"
        assert "Offsite agenda" in second[2]["content"]
