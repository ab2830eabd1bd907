"""Incremental sync of an IMAP account into its local index: per folder, STATUS first (nothing more when UIDNEXT,
MESSAGES and HIGHESTMODSEQ did not move), then only new UIDs, CONDSTORE's changed flags and the vanished UIDs.

A message is identified across folders by its Message-ID: a copy in INBOX and one in "Work" are one message with
the labels INBOX and Work (how Gmail's own IMAP presents labels). Changes are applied as differences, so the sync
never reports what this adapter already did itself, and a UIDVALIDITY change re-matches the folder's messages by
Message-ID instead of losing them."""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.imap_smtp.state import Copy, FolderState, SyncState
from adapters.imap_smtp.transport import ROLE_LABELS, Folder, FolderList, ImapSession, Role
from adapters.sqlite_mailbox.mailbox import SqliteMailbox
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.mail import STARRED, UNREAD, LabelType
from domain.mime import normalize_message_id

SEEN, FLAGGED, DRAFT_FLAG, DELETED = "\\Seen", "\\Flagged", "\\Draft", "\\Deleted"
_HEADER_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
_META = ["UID", "FLAGS", "INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
_MSGID = re.compile(rb"<[^<>\s]+>")
_RAW_BATCH = 200
_FETCH_BATCH = 1000  # ~7 kB of UIDs per command, well under the usual 64 kB line limit


def flag_labels(flags: Iterable[str]) -> set[str]:
    flags = set(flags)
    labels = set()
    if SEEN not in flags:
        labels.add(UNREAD)
    if FLAGGED in flags:
        labels.add(STARRED)
    return labels


def decode_flags(flags: Iterable[bytes | str]) -> frozenset[str]:
    """The flags that mean something to the mailbox (\\Recent is per session, never stored)."""
    return frozenset(f.decode() if isinstance(f, bytes) else f for f in flags) - {"\\Recent"}


def message_key(header: bytes | None) -> str | None:
    match = _MSGID.search(header or b"")
    return normalize_message_id(match.group(0).decode("utf-8", "replace")) if match else None


@dataclass
class _NewCopy:
    folder: Folder
    uid: int
    key: str | None
    flags: frozenset[str]
    date: datetime
    raw: bytes | None = None


@dataclass
class SyncReport:
    folders_checked: int = 0
    folders_changed: int = 0
    added: int = 0
    flags_changed: int = 0
    vanished: int = 0
    uidvalidity_resets: list[str] = field(default_factory=list)


class FolderSync:
    """Brings the index up to date with the server. Called with the adapter's lock held."""

    def __init__(self, session: ImapSession, state: SyncState, index: SqliteMailbox) -> None:
        self.session, self.state, self.index = session, state, index
        self._label_ids: dict[str, str] = {}

    # ------------------------------------------------------------ labels <-> folders

    def refresh_labels(self) -> None:
        self._label_ids = {
            label.name.lower(): label.id for label in self.index.list_labels() if label.type is LabelType.USER
        }

    def label_of(self, folders: FolderList, folder: Folder) -> str | None:
        """The label a copy in `folder` gives its message (None for the archive, and for a folder whose name cannot
        be a label, which is then left out of the sync)."""
        if folder.role is not None:
            return ROLE_LABELS[folder.role]
        name = folders.user_label_name(folder)
        known = self._label_ids.get(name.lower())
        if known is None:
            try:
                known = self.index.create_label(name).id
            except (Conflict, ValidationFailed):
                return None
            self._label_ids[name.lower()] = known
        return known

    def synced(self, folders: FolderList) -> list[Folder]:
        return [f for f in folders.folders if f.role is not None or self.label_of(folders, f) is not None]

    # ------------------------------------------------------------ the sync

    def run(self, folders: FolderList) -> SyncReport:
        report = SyncReport()
        self.refresh_labels()
        condstore = "CONDSTORE" in self.session.capabilities
        adds: list[_NewCopy] = []
        flag_changes: list[tuple[Copy, frozenset[str]]] = []
        removes: list[Copy] = []
        saves: list[tuple[str, FolderState]] = []
        pending: set[str] = set()  # keys of new messages met earlier in this run
        with self.session.guarded() as client:
            client.noop()  # STATUS of the selected folder may be stale until the server has had a chance to say
        for folder in self.synced(folders):
            report.folders_checked += 1
            with self.session.guarded() as client:
                items = [b"UIDNEXT", b"UIDVALIDITY", b"MESSAGES"] + ([b"HIGHESTMODSEQ"] if condstore else [])
                status = client.folder_status(folder.name, items)
            now = FolderState(
                uidvalidity=int(status[b"UIDVALIDITY"]),
                uidnext=int(status[b"UIDNEXT"]),
                modseq=int(status.get(b"HIGHESTMODSEQ", 0)),
                messages=int(status[b"MESSAGES"]),
            )
            saved = self.state.folder(folder.name)
            known = self.state.copies_in(folder.name)
            if saved == now and len(known) == now.messages:
                continue
            report.folders_changed += 1
            if saved is not None and saved.uidvalidity != now.uidvalidity:
                # the server renumbered the folder: every old copy is gone, every current one is new (matched by
                # Message-ID below, so the messages keep their ids and labels)
                report.uidvalidity_resets.append(folder.name)
                removes.extend(known.values())
                known, saved = {}, None
            new, vanished, changed = self._folder_changes(folder, saved, now, known, condstore, pending)
            adds.extend(new)
            removes.extend(vanished)
            flag_changes.extend(changed)
            saves.append((folder.name, now))
        report.added, report.vanished, report.flags_changed = len(adds), len(removes), len(flag_changes)
        with self.state.batch():
            self._apply(folders, adds, flag_changes, removes)
            for name, folder_state in saves:
                self.state.save_folder(name, folder_state)
        return report

    def _folder_changes(
        self,
        folder: Folder,
        saved: FolderState | None,
        now: FolderState,
        known: dict[int, Copy],
        condstore: bool,
        pending: set[str],
    ) -> tuple[list[_NewCopy], list[Copy], list[tuple[Copy, frozenset[str]]]]:
        new: list[_NewCopy] = []
        vanished: list[Copy] = []
        changed: list[tuple[Copy, frozenset[str]]] = []
        with self.session.guarded() as client:
            client.select_folder(folder.name, readonly=True)
            start = saved.uidnext if saved is not None else 1
            # imapclient keeps only the FETCH answers for ids it was given: search for the UIDs, then fetch them
            present: set[int] | None = None
            if saved is None:
                present = set(client.search(["ALL"])) if now.messages else set()
                fresh = sorted(present - set(known))
            elif now.messages and now.uidnext > start:
                fresh = sorted(u for u in client.search(["UID", f"{start}:*"]) if u >= start and u not in known)
            else:
                fresh = []
            if fresh:
                fetched = _fetch(client, fresh, _META)
                for uid, data in sorted(fetched.items()):
                    new.append(
                        _NewCopy(
                            folder,
                            uid,
                            message_key(data.get(_HEADER_KEY)),
                            decode_flags(data.get(b"FLAGS", ())),
                            _aware(data.get(b"INTERNALDATE")),
                        )
                    )
            if len(known) + len(new) != now.messages:
                if present is None:
                    present = set(client.search(["ALL"])) if now.messages else set()
                vanished = [copy for uid, copy in known.items() if uid not in present]
            gone = {c.uid for c in vanished}
            if saved is not None and known:
                if condstore and now.modseq > saved.modseq:
                    touched = [u for u in client.search(["MODSEQ", str(saved.modseq + 1)]) if u in known]
                    flags = _fetch(client, touched, ["UID", "FLAGS"])
                elif not condstore:
                    flags = _fetch(client, sorted(known), ["UID", "FLAGS"])  # no CONDSTORE: a flag scan of the folder
                else:
                    flags = {}
                for uid, data in flags.items():
                    copy = known.get(uid)
                    if copy is None or uid in gone:
                        continue
                    current = decode_flags(data.get(b"FLAGS", ()))
                    if current != copy.flags:
                        changed.append((copy, current))
            # bodies only for messages the index has never seen
            wanted = []
            for item in new:
                if item.key is not None and (item.key in pending or self.index.find_by_message_id(item.key)):
                    continue
                if item.key is not None:
                    pending.add(item.key)
                wanted.append(item)
            for i in range(0, len(wanted), _RAW_BATCH):
                batch = wanted[i : i + _RAW_BATCH]
                bodies = client.fetch([item.uid for item in batch], ["BODY.PEEK[]"])
                for item in batch:
                    item.raw = bodies.get(item.uid, {}).get(b"BODY[]")
        return new, vanished, changed

    def _apply(
        self,
        folders: FolderList,
        adds: list[_NewCopy],
        flag_changes: list[tuple[Copy, frozenset[str]]],
        removes: list[Copy],
    ) -> None:
        add_labels: dict[str, set[str]] = defaultdict(set)
        remove_labels: dict[str, set[str]] = defaultdict(set)
        by_name = {f.name: f for f in folders.folders}
        # old copies out first: after a UIDVALIDITY change a new copy may reuse an old (folder, UID) pair
        for copy in removes:
            self.state.remove_copy(copy.folder, copy.uid)
        for item in adds:
            label = self.label_of(folders, item.folder)
            existing = self.index.find_by_message_id(item.key) if item.key else None
            if existing is not None:
                self.state.add_copy(Copy(item.folder.name, item.uid, existing.id, item.flags))
                if label and label not in existing.label_ids:
                    add_labels[existing.id].add(label)
                continue
            if item.raw is None:
                continue  # expunged between the two fetches: the next sync settles it
            labels = flag_labels(item.flags) | ({label} if label else set())
            message_id = self.index.deliver(item.raw, sorted(labels), internal_date=item.date)
            if item.folder.role is Role.DRAFTS:
                self.index.register_draft(message_id)
            self.state.add_copy(Copy(item.folder.name, item.uid, message_id, item.flags))
        for copy, flags in flag_changes:
            self.state.set_flags(copy.folder, copy.uid, flags)
            try:
                labels = self.index.get_message(copy.message_id).label_ids
            except NotFound:
                continue
            wanted = flag_labels(flags)
            for label in (UNREAD, STARRED):
                if label in wanted and label not in labels:
                    add_labels[copy.message_id].add(label)
                    remove_labels[copy.message_id].discard(label)
                elif label not in wanted and label in labels:
                    remove_labels[copy.message_id].add(label)
                    add_labels[copy.message_id].discard(label)
        for copy in removes:
            remaining = self.state.copies_of(copy.message_id)
            if not remaining:
                with contextlib.suppress(NotFound):  # already gone from the index
                    self.index.expunge(copy.message_id)
                add_labels.pop(copy.message_id, None)
                remove_labels.pop(copy.message_id, None)
                continue
            folder = by_name.get(copy.folder) or Folder(copy.folder, None)
            label = self.label_of(folders, folder)
            still = {self.label_of(folders, by_name.get(c.folder) or Folder(c.folder, None)) for c in remaining}
            if label and label not in still:
                remove_labels[copy.message_id].add(label)
        for message_id in set(add_labels) | set(remove_labels):
            add = add_labels.get(message_id, set())
            remove = remove_labels.get(message_id, set()) - add
            try:
                current = self.index.get_message(message_id).label_ids
            except NotFound:
                continue
            add, remove = add - current, remove & current
            if add or remove:
                self.index.apply_provider_labels(message_id, add=add, remove=remove)


def _fetch(client: Any, uids: list[int], items: list[str]) -> dict[int, Any]:
    """FETCH in batches: a command naming 20,000 UIDs is longer than servers accept (imapclient lists every id)."""
    found: dict[int, Any] = {}
    for i in range(0, len(uids), _FETCH_BATCH):
        found.update(client.fetch(uids[i : i + _FETCH_BATCH], items))
    return found


def _aware(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return datetime.now(UTC)
