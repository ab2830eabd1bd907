"""SecretStore: keeps credentials (OAuth tokens, API keys) out of the database; it keeps only references."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from domain.errors import NotFound, ValidationFailed

# Secrets Manager caps a secret at 65,536 bytes; leave room for the adapters' small envelopes.
MAX_SECRET_VALUE_BYTES = 60 * 1024
# Secrets Manager caps a name at 512 characters; leave room for a deployment prefix.
MAX_SECRET_NAME_LENGTH = 400
# The characters Secrets Manager allows in a name; every adapter enforces the same set so they stay swappable.
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*")


class SecretStore(ABC):
    """Names are chosen and namespaced by the caller, e.g. `users/<uid>/oauth/google/<account_id>`.

    `put` returns an opaque reference to keep in the database; the other methods take that reference. A
    reference carries the store's scheme, so a reference made by one store is simply unknown to another.
    """

    @abstractmethod
    def put(self, name: str, value: str) -> str:
        """Create or overwrite the secret `name`; return its reference (the same one for the same name).

        Raise ValidationFailed for a malformed name or a value over MAX_SECRET_VALUE_BYTES (UTF-8).
        """

    @abstractmethod
    def get(self, ref: str) -> str:
        """Return the secret's value; raise NotFound when nothing is stored under `ref`."""

    @abstractmethod
    def delete(self, ref: str) -> None:
        """Remove the secret; deleting a missing secret is not an error."""

    @abstractmethod
    def exists(self, ref: str) -> bool: ...


def validate_secret_name(name: str) -> None:
    """Raise ValidationFailed unless `name` is a slash-separated path of characters every store accepts."""
    if not isinstance(name, str) or not name:
        raise ValidationFailed("A secret needs a name.")
    if len(name) > MAX_SECRET_NAME_LENGTH:
        raise ValidationFailed(f"A secret name may be at most {MAX_SECRET_NAME_LENGTH} characters long.")
    if not _NAME_PATTERN.fullmatch(name):
        raise ValidationFailed(
            "A secret name may only contain letters, digits and _+=.@-, in segments separated by single slashes."
        )


def validate_secret_value(value: str) -> None:
    """Raise ValidationFailed unless `value` is a string every store can hold."""
    if not isinstance(value, str):
        raise ValidationFailed("A secret value must be text.")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationFailed("A secret value must be valid Unicode text.") from None
    if size > MAX_SECRET_VALUE_BYTES:
        raise ValidationFailed(f"A secret value may be at most {MAX_SECRET_VALUE_BYTES} bytes long.")


def make_secret_ref(scheme: str, name: str) -> str:
    """The reference a store with this scheme hands out for `name`."""
    return f"{scheme}:{name}"


def secret_name_from_ref(scheme: str, ref: str) -> str:
    """The name behind a reference made by a store with this scheme; NotFound for anything else."""
    prefix = f"{scheme}:"
    if not isinstance(ref, str) or not ref.startswith(prefix):
        raise NotFound("No secret is stored under this reference (it is malformed or from another store).")
    name = ref[len(prefix) :]
    try:
        validate_secret_name(name)
    except ValidationFailed:
        raise NotFound("No secret is stored under this reference (it is malformed).") from None
    return name
