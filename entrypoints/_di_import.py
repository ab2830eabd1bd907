"""Import dependency-injector without the web frameworks its `wiring` module looks for.

`dependency_injector.wiring` (imported by `dependency_injector.containers`) tries FastAPI, Starlette, Werkzeug and
fast-depends at import time, only to recognise their `Depends(Provide[...])` markers for `@inject` wiring, which
mailagent does not use (routes read `request.app.state.container`). Importing FastAPI there costs every CLI command
~0.2 s of CPU before it does anything. This finder hides them while that one module runs; whoever needs FastAPI
(the HTTP app) imports it normally afterwards. tests/unit/test_containers.py checks both halves."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

_WIRING = "dependency_injector.wiring"
_WEB_FRAMEWORKS = ("fastapi", "fast_depends", "starlette", "werkzeug")


class _HidingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        hidden = [name for name in _WEB_FRAMEWORKS if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # importing a None entry raises ImportError
        try:
            self._loader.exec_module(module)
        finally:
            for name in hidden:
                if name in sys.modules and sys.modules[name] is None:
                    del sys.modules[name]


class _WiringWithoutWebFrameworks(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> Any:
        if fullname != _WIRING:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _HidingLoader(spec.loader)
        return spec


def install() -> None:
    if _WIRING not in sys.modules and not any(isinstance(f, _WiringWithoutWebFrameworks) for f in sys.meta_path):
        sys.meta_path.insert(0, _WiringWithoutWebFrameworks())
