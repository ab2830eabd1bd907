"""A chat model wrapper: every call goes through the "llm" circuit breaker and SDK failures become domain errors.

It is a real langchain-core BaseChatModel, so LangGraph (ToolNode, tools_condition, bind_tools) treats it like
the model it wraps. Tool schemas are formatted by the wrapped model's own `bind_tools`, so each provider keeps
its wire format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import Runnable, RunnableBinding
from pydantic import ConfigDict

from adapters.llm.errors import SERVICE


class GuardedChatModel(BaseChatModel):
    inner: BaseChatModel
    map_error: Callable[[BaseException], Exception | None]
    breakers: Any = None  # application.ports.circuit_breaker.CircuitBreakers, or None for no circuit
    service: str = SERVICE

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def _llm_type(self) -> str:
        return self.inner._llm_type

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return dict(self.inner._identifying_params)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        def call() -> ChatResult:
            try:
                return self.inner._generate(messages, stop=stop, **kwargs)
            except Exception as exc:
                mapped = self.map_error(exc)
                if mapped is None:
                    raise
                raise mapped from exc

        if self.breakers is None:
            return call()
        result: ChatResult = self.breakers.call(self.service, call)
        return result

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        bound = self.inner.bind_tools(tools, **kwargs)
        if not isinstance(bound, RunnableBinding):  # pragma: no cover - both SDK models return a binding
            raise TypeError(f"{type(self.inner).__name__}.bind_tools returned {type(bound).__name__}")
        return self.bind(**bound.kwargs)
