"""Pure domain rules: password complexity (property 19) and the audit hash chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audit import GENESIS_HASH, AuditContext, AuditDraft, AuditHead, seal, seal_entry, verify_chain
from domain.password_policy import MIN_LENGTH, check_password

T0 = datetime(2026, 1, 1, tzinfo=UTC)
lower, upper, digit, symbol = "abcdefghij", "ABCDEFGHIJ", "0123456789", "!?# -_@$%"


@pytest.mark.property(19)
@given(
    parts=st.tuples(
        st.text(alphabet=lower, min_size=1, max_size=6),
        st.text(alphabet=upper, min_size=1, max_size=6),
        st.text(alphabet=digit, min_size=1, max_size=6),
        st.text(alphabet=symbol, min_size=1, max_size=6),
    ),
    pad=st.text(alphabet=lower + upper, min_size=MIN_LENGTH, max_size=20),
)
def test_a_password_with_every_class_and_length_is_accepted(parts: tuple[str, str, str, str], pad: str) -> None:
    password = "".join(parts) + pad
    assert check_password(password, "someone@example.com") == []


@pytest.mark.property(19)
@given(
    password=st.text(min_size=0, max_size=40),
    missing=st.sampled_from(["lowercase", "uppercase", "digit", "symbol"]),
)
def test_removing_a_class_is_reported_as_that_rule(password: str, missing: str) -> None:
    strip = {
        "lowercase": str.islower,
        "uppercase": str.isupper,
        "digit": str.isdigit,
        "symbol": lambda c: not c.isalnum(),
    }[missing]
    cleaned = "".join(c for c in password if not strip(c))
    rules = {v.rule for v in check_password(cleaned)}
    assert missing in rules
    assert ("min_length" in rules) == (len(cleaned) < MIN_LENGTH)


@pytest.mark.property(19)
@given(local=st.text(alphabet=lower, min_size=4, max_size=10))
def test_the_e_mail_is_never_accepted_inside_the_password(local: str) -> None:
    email = f"{local}@example.com"
    assert "not_email" in {v.rule for v in check_password(f"Xx1!{local.upper()}-more", email)}
    assert "not_email" in {v.rule for v in check_password(f"Aa1!-{email}", email)}


def _chain(n: int) -> list:  # type: ignore[type-arg]
    events, prev = [], GENESIS_HASH
    for i in range(n):
        event = seal(
            AuditDraft(f"act.{i % 3}", actor_id=f"u{i % 2}", target=f"t{i}", context=AuditContext(ip="10.0.0.1")),
            seq=i + 1,
            id=f"id{i}",
            occurred_at=T0 + timedelta(seconds=i),
            prev_hash=prev,
        )
        events.append(event)
        prev = event.hash
    return events


@given(n=st.integers(1, 30), data=st.data())
def test_any_edit_or_removal_breaks_the_chain_at_that_entry(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    assert verify_chain(events).ok
    victim = data.draw(st.integers(0, n - 1))
    change = data.draw(st.sampled_from(["action", "actor_id", "target", "ip", "details", "remove", "occurred_at"]))
    tampered = list(events)
    if change == "remove":
        del tampered[victim]
        report = verify_chain(tampered)
        if victim == n - 1:
            assert report.ok  # dropping the newest entry is only visible against the stored head
            return
        assert not report.ok and report.first_broken_seq == victim + 2
        return
    value: object = {"x": 1} if change == "details" else T0 - timedelta(days=1) if change == "occurred_at" else "evil"
    tampered[victim] = replace(events[victim], **{change: value})
    report = verify_chain(tampered)
    assert not report.ok and report.first_broken_seq == victim + 1


@given(n=st.integers(2, 30), data=st.data())
def test_swapping_two_sealed_entries_breaks_the_chain_at_the_first(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    swapped = list(events)
    # Reordering as an attacker would in the table: the rows keep their content but trade places (seq).
    swapped[i], swapped[j] = replace(events[j], seq=events[i].seq), replace(events[i], seq=events[j].seq)
    report = verify_chain(swapped)
    assert not report.ok and report.first_broken_seq == i + 1


def test_a_head_kept_elsewhere_catches_a_truncated_or_rewritten_log() -> None:
    events = _chain(10)
    kept = AuditHead(7, str(events[6].hash))
    assert verify_chain(events, AuditHead(10, str(events[-1].hash)), kept).ok
    # Truncated below the kept head, the stored head moved back with it: only the kept head notices.
    truncated = events[:5]
    assert verify_chain(truncated, AuditHead(5, str(truncated[-1].hash))).ok
    report = verify_chain(truncated, AuditHead(5, str(truncated[-1].hash)), kept)
    assert not report.ok and "before the head kept elsewhere" in (report.reason or "")
    # Rewritten and re-chained from entry 3 on (everything recomputed): the kept hash no longer matches.
    rewritten, prev = list(events[:2]), str(events[1].hash)
    for e in events[2:]:
        e = seal_entry(replace(e, target="forged"), seq=e.seq or 0, prev_hash=prev)
        rewritten.append(e)
        prev = str(e.hash)
    assert verify_chain(rewritten, AuditHead(10, prev)).ok  # consistent in itself...
    report = verify_chain(rewritten, AuditHead(10, prev), kept)
    assert not report.ok and report.first_broken_seq == 7 and "rewritten" in (report.reason or "")


def test_a_head_parses_from_what_audit_verify_prints() -> None:
    head = AuditHead(42, "ab" * 32)
    assert AuditHead.parse(str(head)) == head
    for bad in ("42", "x:" + "ab" * 32, "42:abc", "42:" + "AB" * 32, ""):
        with pytest.raises(ValueError, match="SEQ:HASH"):
            AuditHead.parse(bad)
