"""EffectHandler: turns a held tool call into its frozen effect, and runs an approved effect; EffectHandlers routes
tool names and effect kinds to their handler and runs batches part by part."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.approval import BatchEffect, Effect, Snapshot
from domain.errors import ValidationFailed
from domain.identity import Principal


class EffectHandler(ABC):
    """One family of effects. `resolve` reads whatever it needs (the mailbox, the calendar...) and returns the effect
    fully resolved: nothing about it may be looked up again when it runs. `execute` runs exactly that effect."""

    tools: frozenset[str] = frozenset()  # tool names it resolves
    kinds: frozenset[str] = frozenset()  # Effect.kind values it runs

    @abstractmethod
    def resolve(self, principal: Principal, tool: str, args: Mapping[str, Any], *, key: str) -> Effect:
        """`args` are schema-checked; `key` is stable for the held action (deterministic Message-IDs). Raises a
        DomainError a person understands when it cannot be resolved (no such message, bad address...)."""

    @abstractmethod
    def execute(self, principal: Principal, effect: Effect, *, key: str) -> dict[str, Any]:
        """Run it; the result is what the model hears. Raises DomainError/InfrastructureError on failure."""

    def current(self, principal: Principal, tool: str, args: Mapping[str, Any], effect: Effect, *, key: str) -> bool:
        """Whether what the effect was made from still resolves to the same content (a draft edited meanwhile makes
        this False). Only asked for effects made from something that can change."""
        return True

    def execute_with_undo(
        self, principal: Principal, effect: Effect, *, key: str
    ) -> tuple[dict[str, Any], Mapping[str, Any] | None]:
        """Run it and say exactly how to reverse it (a plan whose `kind` names this handler's effect kind); None
        when it cannot be undone (a sent mail)."""
        return self.execute(principal, effect, key=key), None

    def undo(self, principal: Principal, plan: Mapping[str, Any]) -> None:
        raise ValidationFailed("This change cannot be undone.")


@dataclass(frozen=True)
class Applied:
    """One effect that ran, with how to undo it (None: it cannot be)."""

    tool_call_id: str
    tool: str
    effect: Effect
    undo: Mapping[str, Any] | None


class EffectHandlers:
    def __init__(self, handlers: Sequence[EffectHandler]) -> None:
        self.by_tool: dict[str, EffectHandler] = {}
        self.by_kind: dict[str, EffectHandler] = {}
        for handler in handlers:
            for tool in handler.tools:
                self.by_tool[tool] = handler
            for kind in handler.kinds:
                self.by_kind[kind] = handler

    def handles(self, tool: str) -> bool:
        return tool in self.by_tool

    def resolve(self, principal: Principal, tool: str, args: Mapping[str, Any], *, key: str) -> Effect:
        handler = self.by_tool.get(tool)
        if handler is None:
            raise ValidationFailed(f"The tool {tool!r} cannot be held for approval.")
        return handler.resolve(principal, tool, args, key=key)

    def execute(self, principal: Principal, snapshot: Snapshot, *, key: str) -> dict[str, Any]:
        """Run the snapshot's effect (a batch part by part, stopping at the first failure)."""
        effect = snapshot.effect
        if isinstance(effect, BatchEffect):
            results = []
            for n, part in enumerate(effect.parts):
                result = self._handler(part.effect).execute(principal, part.effect, key=f"{key}:{n}")
                results.append({"tool_call_id": part.tool_call_id, "tool": part.tool, **result})
            return {"parts": results}
        return self._handler(effect).execute(principal, effect, key=key)

    def run(
        self, principal: Principal, snapshot: Snapshot, *, key: str, tool: str, tool_call_id: str = ""
    ) -> tuple[dict[str, Any], list[Applied]]:
        """Run the snapshot's effect (a batch part by part, stopping at the first failure); the result for the model
        and every effect that ran with how to undo it."""
        effect = snapshot.effect
        parts = effect.parts if isinstance(effect, BatchEffect) else ()
        if not parts:
            result, plan = self._handler(effect).execute_with_undo(principal, effect, key=key)
            return result, [Applied(tool_call_id, tool, effect, plan)]
        results: list[dict[str, Any]] = []
        applied: list[Applied] = []
        for n, part in enumerate(parts):
            result, plan = self._handler(part.effect).execute_with_undo(principal, part.effect, key=f"{key}:{n}")
            results.append({"tool_call_id": part.tool_call_id, "tool": part.tool, **result})
            applied.append(Applied(part.tool_call_id, part.tool, part.effect, plan))
        return {"parts": results}, applied

    def undo(self, principal: Principal, plan: Mapping[str, Any]) -> None:
        handler = self.by_kind.get(str(plan.get("kind")))
        if handler is None:
            raise ValidationFailed("This change cannot be undone.")
        handler.undo(principal, plan)

    def current(self, principal: Principal, tool: str, args: Mapping[str, Any], effect: Effect, *, key: str) -> bool:
        handler = self.by_tool.get(tool)
        return True if handler is None else handler.current(principal, tool, args, effect, key=key)

    def _handler(self, effect: Effect) -> EffectHandler:
        handler = self.by_kind.get(effect.kind)
        if handler is None:
            raise ValidationFailed(f"Nothing here can run an effect of kind {effect.kind!r}.")
        return handler
