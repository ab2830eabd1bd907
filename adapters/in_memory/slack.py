"""InMemorySlackIntegrationRepository: users' Slack settings in the in-memory unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.ports.notifier import SlackIntegrationRepository
from domain.slack import SlackIntegration

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx


class InMemorySlackIntegrationRepository(SlackIntegrationRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def get(self, user_id: str) -> SlackIntegration | None:
        found: SlackIntegration | None = self.tx.get("slack_integrations", user_id)
        return found

    def put(self, integration: SlackIntegration) -> None:
        self.tx.put("slack_integrations", integration.user_id, integration)

    def delete(self, user_id: str) -> None:
        self.tx.put("slack_integrations", user_id, None)

    def with_summaries(self) -> Sequence[SlackIntegration]:
        found = [
            i
            for i in self.tx.values("slack_integrations")
            if i is not None and i.enabled and i.summary is not None and i.summary.enabled
        ]
        return sorted(found, key=lambda i: i.user_id)
