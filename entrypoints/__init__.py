"""Thin doors into the application (HTTP, WebSocket, worker, CLI); the containers alone choose adapters."""

from entrypoints import _di_import

_di_import.install()
