"""Run a contract suite's Hypothesis properties again with another example count (slow adapters: Gmail over HTTP,
IMAP/SMTP against real servers), without touching the suite's own function objects.

Hypothesis's `settings` decorator marks the function it decorates, so decorating the suite's inner test directly works
once per session: the second module that did it (Gmail, then IMAP) failed collection with "has already been decorated
with a settings object". Each re-run therefore decorates a fresh function of its own."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings


def with_examples(test: Callable[..., Any], base: settings, examples: int) -> Callable[..., Any]:
    """The same property (inner test, strategies, markers) as a NEW function running `examples` examples."""
    handle = getattr(test, "hypothesis", None)
    strategies = getattr(handle, "_given_kwargs", None)
    if handle is None or strategies is None:  # another Hypothesis version: run it as the suite does
        return test
    inner = handle.inner_test

    def fresh(*args: Any, **kwargs: Any) -> Any:
        return inner(*args, **kwargs)

    functools.update_wrapper(fresh, inner, updated=())  # name, doc and signature; not the settings mark in __dict__
    rewrapped = given(**strategies)(settings(base, max_examples=examples)(fresh))
    rewrapped.pytestmark = list(getattr(test, "pytestmark", []))  # the property it checks (docs/properties.md)
    return rewrapped


def rerun_properties(suite: Any, namespace: dict[str, Any], base: settings, examples: int) -> None:
    """Put every `test_property_*` of `suite` into `namespace` with `examples` examples (nothing if unchanged)."""
    if base.max_examples == examples:
        return
    for name in [n for n in dir(suite) if n.startswith("test_property_")]:
        namespace[name] = with_examples(getattr(suite, name), base, examples)
