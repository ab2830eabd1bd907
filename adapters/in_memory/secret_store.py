"""InMemorySecretStore: a complete SecretStore held in a dict, for the embedded profile and tests."""

from __future__ import annotations

import threading

from application.ports.secret_store import (
    SecretStore,
    make_secret_ref,
    secret_name_from_ref,
    validate_secret_name,
    validate_secret_value,
)
from domain.errors import NotFound

_NOT_FOUND = "No secret is stored under this reference (it may have been deleted)."


class InMemorySecretStore(SecretStore):
    scheme = "memory"

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def put(self, name: str, value: str) -> str:
        validate_secret_name(name)
        validate_secret_value(value)
        with self._lock:
            self._values[name] = value
        return make_secret_ref(self.scheme, name)

    def get(self, ref: str) -> str:
        name = secret_name_from_ref(self.scheme, ref)
        with self._lock:
            try:
                return self._values[name]
            except KeyError:
                raise NotFound(_NOT_FOUND) from None

    def delete(self, ref: str) -> None:
        try:
            name = secret_name_from_ref(self.scheme, ref)
        except NotFound:
            return
        with self._lock:
            self._values.pop(name, None)

    def exists(self, ref: str) -> bool:
        try:
            name = secret_name_from_ref(self.scheme, ref)
        except NotFound:
            return False
        with self._lock:
            return name in self._values

    # Inspection helpers for tests.

    @property
    def names(self) -> list[str]:
        """The names currently stored, sorted (never the values)."""
        with self._lock:
            return sorted(self._values)

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
