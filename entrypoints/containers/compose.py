"""How a context container gets the shared providers it needs: by name, from the containers composed before it.

A context declares what it needs as `providers.Dependency()` attributes (settings, uow, clock, ...); `context()`
fills each from the first source that has a provider of that name. The composition in entrypoints/container.py and
the CLI's partial builds (entrypoints/cli/context.py) both use it, so the wiring is written once: by the names."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers


def _source_provider(source: Any, name: str) -> Any:
    if isinstance(source, providers.Container):  # a context nested in a DeclarativeContainer's class body
        found = source.container.providers.get(name)
        return None if found is None else getattr(source, name)
    return getattr(source, "providers", {}).get(name)  # a container instance


def needs(context_cls: type[containers.DeclarativeContainer], *sources: Any) -> dict[str, Any]:
    """The providers, by name, that fill `context_cls`'s declared dependencies."""
    wiring: dict[str, Any] = {}
    for name in context_cls.dependencies:
        for source in sources:
            found = _source_provider(source, name)
            if found is not None and not isinstance(found, providers.Dependency):
                wiring[name] = found
                break
            if found is not None and name not in wiring:
                wiring[name] = found  # a dependency of the source itself: it gets filled there
    return wiring


def context(context_cls: type[containers.DeclarativeContainer], *sources: Any) -> providers.Container[Any]:
    """A context nested in the application container, its dependencies taken from `sources` (class-body use).
    Every declared dependency must be found: a missing one fails at import time, not at the first request."""
    wiring = needs(context_cls, *sources)
    missing = sorted(set(context_cls.dependencies) - set(wiring))
    if missing:
        raise TypeError(f"{context_cls.__name__} needs {', '.join(missing)}: no container composed before it has them")
    return providers.Container(context_cls, **wiring)


def build(context_cls: type[containers.DeclarativeContainer], *sources: Any) -> Any:
    """A context container on its own, its dependencies taken from already built containers (the CLI's use)."""
    return context_cls(**needs(context_cls, *sources))
