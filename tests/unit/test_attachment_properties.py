"""Properties 62 (attachment size validation) and 65 (temporary attachment cleanup) on the in-memory adapters.

- 62: an upload is accepted exactly when it is no larger than the limit (at the real 25 MB boundary and at any
  configured limit), a refused one leaves nothing behind, and a message's attachments together obey the same limit;
- 65: a state machine of uploads, holds by drafts and scheduled mails, releases, the clock moving and sweeps: the
  sweep deletes (record and bytes) exactly the uploads nothing has held for 24 hours, and keeps every other one.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from adapters.libmagic.content_sniffer import LibmagicContentSniffer
from application.mail_compose import Compose, to_outgoing
from application.use_cases.attachments.upload_attachment import UploadAttachment, UploadAttachmentInput
from domain.attachments import MAX_ATTACHMENT_BYTES, UPLOAD_LIFETIME, PayloadTooLarge, Upload
from domain.audit import AuditContext
from domain.errors import NotFound
from domain.mail import EmailAddress, OutgoingAttachment
from tests.support.properties import for_profile
from tests.unit.test_attachments import World


def upload_with_limit(world: World, data: bytes, limit: int) -> Upload:
    use_case = UploadAttachment(
        world.uow(), world.blobs, world.scanner, LibmagicContentSniffer(), world.clock, max_bytes=limit
    )
    return use_case.execute(UploadAttachmentInput(world.me, "file.bin", io.BytesIO(data), AuditContext()))


def assert_nothing_stored(world: World) -> None:
    assert world.blobs.keys == []  # type: ignore[attr-defined]
    assert [u for u in world.store.attachments.values() if u is not None] == []


@pytest.mark.property(62)
@given(limit=st.integers(1, 4096), size=st.integers(0, 5000))
def test_property_62_an_upload_is_accepted_exactly_when_it_fits_the_limit(limit: int, size: int) -> None:
    world = World()
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    if size > limit:
        with pytest.raises(PayloadTooLarge):
            upload_with_limit(world, data, limit)
        assert_nothing_stored(world)
    else:
        up = upload_with_limit(world, data, limit)
        assert up.size == size and b"".join(world.blobs.get(up.blob_key)) == data


@pytest.mark.property(62)
@given(offset=st.integers(-2, 2))
@settings(max_examples=5)  # five sizes around the real limit: each one once
def test_property_62_the_25_mb_limit_is_exact(offset: int) -> None:
    world = World()
    size = MAX_ATTACHMENT_BYTES + offset
    if offset > 0:
        with pytest.raises(PayloadTooLarge, match="25 MB"):
            world.upload(bytes(size), "big.bin")
        assert_nothing_stored(world)
    else:
        assert world.upload(bytes(size), "big.bin").size == size  # type: ignore[attr-defined]


class Plain:
    def sanitize(self, html: str) -> str:
        return html


@pytest.mark.property(62)
@given(
    sizes=st.lists(
        st.sampled_from(
            [0, 1, MAX_ATTACHMENT_BYTES // 3, MAX_ATTACHMENT_BYTES // 2, MAX_ATTACHMENT_BYTES - 1, MAX_ATTACHMENT_BYTES]
        ),
        max_size=4,
    )
)
def test_property_62_a_messages_attachments_together_obey_the_limit(sizes: list[int]) -> None:
    files = tuple(
        OutgoingAttachment(filename=f"f{i}.bin", mime_type="application/octet-stream", content=bytes(n))
        for i, n in enumerate(sizes)
    )
    compose = Compose(to=("a@example.com",), attachments=files)
    me = EmailAddress(address="me@example.com")
    if sum(sizes) > MAX_ATTACHMENT_BYTES:
        with pytest.raises(PayloadTooLarge, match="25 MB"):
            to_outgoing(compose, sender=me, sanitizer=Plain())
    else:
        assert [len(a.content) for a in to_outgoing(compose, sender=me, sanitizer=Plain()).attachments] == sizes


HOLDERS = ["draft:acc:d1", "draft:acc:d2", "scheduled:s1"]


class UploadLifetimes(RuleBasedStateMachine):
    uploads = Bundle("uploads")

    def __init__(self) -> None:
        super().__init__()
        self.w = World()
        self.free_since: dict[str, datetime | None] = {}  # upload id -> since when nothing holds it (None: held)
        self.held: dict[str, set[str]] = {h: set() for h in HOLDERS}
        self.by_id: dict[str, Upload] = {}
        self.gone: set[str] = set()

    @rule(target=uploads, data=st.binary(max_size=64))
    def upload(self, data: bytes) -> Upload:
        up: Upload = self.w.upload(data, "f.bin")  # type: ignore[assignment]
        self.free_since[up.id] = self.w.clock.now()
        self.by_id[up.id] = up
        return up

    def _holders_of(self, upload_id: str) -> set[str]:
        return {h for h, ids in self.held.items() if upload_id in ids}

    @rule(chosen=st.lists(uploads, max_size=3, unique_by=lambda u: u.id), holder=st.sampled_from(HOLDERS))
    def hold(self, chosen: list[Upload], holder: str) -> None:
        """A draft saved or an email scheduled with exactly these uploads (an upload already swept is not offered
        to it: attaching it was refused as not found)."""
        now = self.w.clock.now()
        chosen = [u for u in chosen if u.id not in self.gone and not self._expired(u.id, now)]
        self.w.outgoing().hold(chosen, holder)
        for dropped in self.held[holder] - {u.id for u in chosen}:
            self.held[holder].discard(dropped)
            if not self._holders_of(dropped):
                self.free_since[dropped] = now
        for up in chosen:
            self.held[holder].add(up.id)
            self.free_since[up.id] = None

    @rule(holder=st.sampled_from(HOLDERS))
    def release(self, holder: str) -> None:
        now = self.w.clock.now()
        self.w.outgoing().release(holder)
        for released in self.held[holder]:
            if len(self._holders_of(released)) == 1:
                self.free_since[released] = now
        self.held[holder] = set()

    @rule(minutes=st.integers(1, 36 * 60))
    def advance(self, minutes: int) -> None:
        self.w.clock.advance(minutes=minutes)

    def _expired(self, upload_id: str, now: datetime) -> bool:
        since = self.free_since[upload_id]
        return since is not None and now >= since + UPLOAD_LIFETIME

    @rule()
    def sweep(self) -> None:
        now = self.w.clock.now()
        expected = {i for i in self.free_since if i not in self.gone and self._expired(i, now)}
        result = self.w.expire()
        assert result.uploads == len(expected)  # type: ignore[attr-defined]
        self.gone |= expected

    @rule(up=uploads)
    def attach(self, up: Upload) -> None:
        """Attaching works exactly while the upload is alive: not swept and not past its time."""
        now = self.w.clock.now()
        compose = Compose(attachment_ids=(up.id,))
        if up.id in self.gone or self._expired(up.id, now):
            with pytest.raises(NotFound):
                self.w.outgoing().collect(self.w.me, compose, AuditContext(), when="on send")
        else:
            collected = self.w.outgoing().collect(self.w.me, compose, AuditContext(), when="on send")
            assert [a.content for a in collected.compose.attachments] == [b"".join(self.w.blobs.get(up.blob_key))]

    @invariant()
    def kept_exactly_what_was_not_swept(self) -> None:
        alive = {u.id for u in self.w.store.attachments.values() if u is not None}
        assert alive == set(self.free_since) - self.gone
        keys = set(self.w.blobs.keys)  # type: ignore[attr-defined]
        assert keys == {self.by_id[i].blob_key for i in alive}


@pytest.mark.property(65)
def test_property_65_the_sweep_deletes_exactly_the_uploads_free_for_24_hours() -> None:
    run_state_machine_as_test(
        UploadLifetimes, settings=for_profile(settings(max_examples=100, stateful_step_count=30, deadline=None))
    )
