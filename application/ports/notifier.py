"""Notifier: a short message to a person outside the app (Slack), and the store of each user's Slack settings."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from domain.slack import SlackIntegration, SlackMode


class NotificationKind(enum.StrEnum):
    NEW_MAIL = "new_mail"
    APPROVAL_WAITING = "approval_waiting"
    SCHEDULED_FAILED = "scheduled_failed"
    SUMMARY = "summary"
    TEST = "test"


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Notification:
    """What to say; the adapter lays it out (Block Kit) and truncates to the channel's limits. `link` points into
    the web app (never an action: approving happens there, not in Slack)."""

    kind: NotificationKind
    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (title, lines) for summaries
    link: str | None = None
    link_label: str = "Open in mailagent"


@dataclass(frozen=True)
class Destination:
    """Where to post, with the credential read from the secret store: an incoming-webhook URL, or a bot token and a
    channel."""

    mode: SlackMode
    secret: str
    channel: str | None = None


class Notifier(ABC):
    @abstractmethod
    def send(self, destination: Destination, notification: Notification) -> None:
        """Post it. Rate limits (429) are waited out per Retry-After a few times; then RateLimited. Other
        failures: UpstreamError (Slack refused: a revoked token, an archived channel) or ServiceUnavailable."""

    @abstractmethod
    def render(self, notification: Notification) -> dict[str, object]:
        """The message as posted: {"text": fallback, "blocks": [...]}, within Block Kit's limits."""


class SlackIntegrationRepository(ABC):
    """Hangs off the UnitOfWork as `slack`; one integration per user."""

    @abstractmethod
    def get(self, user_id: str) -> SlackIntegration | None: ...

    @abstractmethod
    def put(self, integration: SlackIntegration) -> None:
        """Create or replace the user's integration."""

    @abstractmethod
    def delete(self, user_id: str) -> None: ...

    @abstractmethod
    def with_summaries(self) -> Sequence[SlackIntegration]:
        """Enabled integrations that have a summary schedule."""
