"""MailboxProvider: opens the Mailbox behind a connected account (Gmail, the demo mailbox...)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from application.ports.mailbox import Mailbox
from domain.mail_account import MailAccount, MailProvider


class MailboxProvider(ABC):
    @abstractmethod
    def supports(self, provider: MailProvider) -> bool:
        """Whether this installation can open accounts of this kind (the demo mailbox is local-only)."""

    @abstractmethod
    def open(self, account: MailAccount) -> Mailbox:
        """The account's mailbox. Raise ReauthRequired when its grant is no longer valid."""

    @abstractmethod
    def provision(self, account: MailAccount) -> None:
        """Prepare a newly connected account (the demo mailbox is filled with its sample mail here)."""
