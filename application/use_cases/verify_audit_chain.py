"""Check that no audit entry was removed or changed: walk the hash chain."""

from __future__ import annotations

from application.ports.unit_of_work import UnitOfWork
from domain.audit import ChainReport, verify_chain


class VerifyAuditChain:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self) -> ChainReport:
        with self.uow as uow:
            return verify_chain(list(uow.audit.all_in_order()), uow.audit.head())
