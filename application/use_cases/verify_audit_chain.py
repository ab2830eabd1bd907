"""Check that no sealed audit entry was removed, changed or reordered: walk the hash chain; report the tail the
sealer has not reached yet. With a head kept elsewhere, also that the log still holds everything up to it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditHead, ChainReport, ChainVerifier

PAGE = 5000


@dataclass(frozen=True)
class VerifyAuditChainInput:
    kept_head: AuditHead | None = None  # a head printed or logged earlier (`SEQ:HASH`)


class VerifyAuditChain:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: VerifyAuditChainInput | None = None) -> ChainReport:
        verifier = ChainVerifier(inp.kept_head if inp else None)
        with self.uow as uow:
            # The head first, then the chain up to it: the sealer may go on sealing meanwhile, and whatever it adds
            # after this head is checked next time. Every entry up to the head was committed before the head was.
            recorded = uow.audit.head()
            while verifier.head.seq < recorded.seq:
                page = uow.audit.sealed_page(after_seq=verifier.head.seq, limit=PAGE)
                within = [e for e in page if e.seq is not None and e.seq <= recorded.seq]
                if not within or not verifier.feed(within):
                    break
            report = verifier.finish(recorded)
            # Sealed entries past the head: fine if the sealer moved the head meanwhile, not if the head was reset or
            # removed (which would otherwise hide every entry from this check).
            beyond = uow.audit.sealed_page(after_seq=recorded.seq, limit=1) if report.ok else []
            if beyond and uow.audit.head().seq < (beyond[0].seq or 0):
                report = ChainReport(
                    report.checked,
                    False,
                    beyond[0].seq,
                    f"sealed entries go on past the recorded head (seq {recorded.seq}): the head was rewritten",
                    report.head,
                )
            backlog = uow.audit.backlog()
        return replace(report, unsealed=backlog.count, oldest_unsealed_at=backlog.oldest_at)
