"""The error tree every layer raises and the HTTP layer maps to status codes in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a person can be told about. `code` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_failed"


class AuthenticationFailed(DomainError):
    """The caller could not be identified (bad, expired or revoked credentials)."""

    code = "authentication_failed"


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    code = "permission_denied"


class Conflict(DomainError):
    code = "conflict"


class ReauthRequired(Conflict):
    """A connected account's grant was revoked or expired at the provider: the user must connect it again."""

    code = "reauth_required"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = max(1, int(retry_after))


class QuotaExceeded(DomainError):
    code = "quota_exceeded"


class NotConfigured(DomainError):
    """This installation has not been set up for the feature (e.g. no Google OAuth client)."""

    code = "not_configured"


class InfrastructureError(Exception):
    """An outside system failed. The message must be safe to show a person (no secrets, no internals)."""

    code = "infrastructure_error"

    def __init__(self, message: str, *, service: str = "dependency", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.retry_after = max(1, int(retry_after)) if retry_after is not None else None  # seconds, when known


class ServiceUnavailable(InfrastructureError):
    """We could not reach a dependency (database, cache, provider); try again later."""

    code = "service_unavailable"


class UpstreamError(InfrastructureError):
    """A dependency answered, but with an error we cannot turn into a domain error."""

    code = "upstream_error"
