"""Mailer: outgoing system mail (verification and reset links), not a user's mailbox."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemMail:
    to: str
    subject: str
    text: str
    link: str | None = None  # the action link inside the mail, so a local installation can log it


class Mailer(ABC):
    @abstractmethod
    def send(self, mail: SystemMail) -> None:
        """Deliver or raise ServiceUnavailable."""
