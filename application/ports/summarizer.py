"""Summarizer: a short digest of mail (and of what the agent did) for a person, behind a narrow LLM port.

The offline default is extractive and deterministic (no key); a hosted model may be configured. Either way mail is
untrusted input: the summary reports what messages say and never follows instructions written in them, and it
contains no link that was not in the input (the web app's own links are added by the caller, not the model)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class MailItem:
    id: str
    sender: str  # "Name <address>" or the address
    subject: str
    snippet: str
    received_at: datetime
    unread: bool = True
    needs_reply: bool = False
    important: bool = False


@dataclass(frozen=True)
class SummaryRequest:
    """What to summarise. `agent_activity` and `awaiting_approval` are one line each (already written by us)."""

    mails: tuple[MailItem, ...]
    agent_activity: tuple[str, ...] = ()
    awaiting_approval: tuple[str, ...] = ()
    period: str = "today"  # shown in the headline ("since yesterday 08:00", "today")
    max_items: int = 10


@dataclass(frozen=True)
class SummarySection:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    headline: str
    sections: tuple[SummarySection, ...] = ()
    model: str = "extractive"  # which summarizer wrote it
    counts: dict[str, int] = field(default_factory=dict)

    def as_text(self) -> str:
        parts = [self.headline]
        for section in self.sections:
            parts.append(f"\n{section.title}")
            parts.extend(f"• {line}" for line in section.lines)
        return "\n".join(parts)


class Summarizer(ABC):
    @abstractmethod
    def summarize(self, request: SummaryRequest) -> Summary:
        """Never raises for what the mail says; ServiceUnavailable only if a hosted model is down and no fallback
        was configured."""
