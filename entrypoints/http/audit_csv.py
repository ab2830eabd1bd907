"""Audit entries as CSV text, one chunk per row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from application.use_cases.list_audit_logs import AuditActor
from domain.audit import AuditEvent

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets (OWASP "CSV injection");
# a leading apostrophe makes it text. Actors control some of these values (user agents, names, search details).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def audit_csv(rows: Iterable[tuple[AuditEvent, AuditActor | None]], columns: tuple[str, ...]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield flush()
    for entry, actor in rows:
        values = {
            "time": entry.occurred_at.isoformat(),
            "action": entry.action,
            "actor_email": actor.email if actor else None,
            "actor_name": actor.display_name if actor else None,
            "actor_id": entry.actor_id,
            "target": entry.target,
            "ip": entry.ip,
            "user_agent": entry.user_agent,
            "request_id": entry.request_id,
            "details": json.dumps(entry.details, sort_keys=True, default=str) if entry.details else None,
            "seq": entry.seq,
            "hash": entry.hash,
        }
        writer.writerow([_cell(values[c]) for c in columns])
        yield flush()
