"""ImapSmtpMailbox: the Mailbox port over any IMAP/SMTP account, with Gmail's semantics kept in a local index.

Reads are served by a local SqliteMailbox (the index: search with the full Gmail query language, threads by
References/In-Reply-To, label counts, the change feed), brought up to date by an incremental IMAP sync first
(adapters.imap_smtp.sync). Writes go to the server first and to the index after: labels are folders (a message
in several folders is one message with several labels), UNREAD and STARRED are the \\Seen and \\Flagged flags,
TRASH moves every copy to the Trash folder while the index keeps the other labels (so untrash puts it back),
drafts are APPENDed to Drafts, and a send goes over SMTP exactly once: a Message-ID is fixed before the first
attempt and the Sent folder is checked for it before any send, then the message is APPENDed to Sent unless the
server filed it there itself."""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.imap_smtp.smtp import submit
from adapters.imap_smtp.state import Copy, SyncState
from adapters.imap_smtp.sync import DRAFT_FLAG, FLAGGED, SEEN, FolderSync, SyncReport
from adapters.imap_smtp.transport import (
    DEFAULT_FOLDER_NAMES,
    FolderList,
    ImapSession,
    ImapSmtpAccount,
    Role,
    classify,
)
from adapters.sqlite_mailbox.mailbox import SqliteMailbox
from application.ports.mailbox import Mailbox
from domain.errors import Conflict, NotFound
from domain.mail import (
    DRAFT,
    INBOX,
    SENT,
    SPAM,
    STARRED,
    SYSTEM_LABEL_IDS,
    TRASH,
    UNREAD,
    Draft,
    DraftPage,
    EmailAddress,
    Label,
    LabelType,
    Message,
    OutgoingMessage,
    SearchPage,
    Thread,
    validate_label_change,
    validate_label_name,
)
from domain.mail_sync import MailHistory, MessageSummary
from domain.mime import build_mime, ensure_message_id, outgoing_from_parsed, parse_mime

_APPENDUID = re.compile(rb"APPENDUID \d+ (\d+)")


class AccountLock:
    """One sync or write at a time per account, across threads and across processes (the web server and the
    workers share the index files): a re-entrant thread lock plus an flock on a file beside the index."""

    def __init__(self, path: str | None) -> None:
        self._thread = threading.RLock()
        self.path = path
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._thread.acquire()
        if self._depth == 0 and self.path is not None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread.release()


class ImapSmtpMailbox(Mailbox):
    def __init__(
        self,
        account: ImapSmtpAccount,
        index_path: str | Path,
        *,
        account_key: str,
        clock: Any = None,
        timeout: float = 30.0,
        read_sync_seconds: float = 0.0,
    ) -> None:
        self.account = account
        self._clock = clock or (lambda: datetime.now(UTC))
        self.index = SqliteMailbox(index_path, f"imap:{account_key}", address=account.address, clock=self._clock)
        # its own file: the sync holds one transaction on it while the index takes its own
        self._state = SyncState(index_path if str(index_path) == ":memory:" else f"{index_path}.sync", account_key)
        self.session = ImapSession(account, timeout=timeout)
        self._sync = FolderSync(self.session, self._state, self.index)
        self._lock = AccountLock(None if str(index_path) == ":memory:" else f"{index_path}.lock")
        self._folders: FolderList | None = None
        # a read syncs first unless a sync ran this recently (0: always); push and polling keep the index current
        self.read_sync_seconds = read_sync_seconds
        self._synced_at = -1e18

    def close(self) -> None:
        self.session.close()
        self.index.close()
        self._state.close()

    # ------------------------------------------------------------ sync

    def sync(self) -> SyncReport:
        """Bring the local index up to date with the server (incremental: see adapters.imap_smtp.sync)."""
        with self._lock:
            self._folders = self._list_folders()
            report = self._sync.run(self._folders)
            self._synced_at = time.monotonic()
            return report

    def _fresh(self) -> None:
        if self._folders is None or time.monotonic() - self._synced_at >= self.read_sync_seconds:
            self.sync()

    def _list_folders(self) -> FolderList:
        with self.session.guarded() as client:
            return classify(client.list_folders())

    def folders(self) -> FolderList:
        if self._folders is None:
            self._folders = self._list_folders()
        return self._folders

    def _folder_for(self, role: Role) -> str:
        found = self.folders().by_role(role)
        if found is not None:
            return found.name
        name = DEFAULT_FOLDER_NAMES[role]
        with self.session.guarded() as client:
            if not client.folder_exists(name):
                client.create_folder(name)
                client.subscribe_folder(name)
        self._folders = self._list_folders()
        return name

    # ------------------------------------------------------------ reads (the index, after a sync)

    def address(self) -> str:
        return self.account.address

    def search(
        self, query: str = "", *, label_ids: Sequence[str] = (), page_token: str | None = None, limit: int = 50
    ) -> SearchPage:
        with self._lock:
            self._fresh()
            return self.index.search(query, label_ids=label_ids, page_token=page_token, limit=limit)

    def get_message(self, message_id: str) -> Message:
        with self._lock:
            self._fresh()
            return self.index.get_message(message_id)

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        with self._lock:
            self._fresh()
            return self.index.get_attachment(message_id, attachment_id)

    def get_thread(self, thread_id: str) -> Thread:
        with self._lock:
            self._fresh()
            return self.index.get_thread(thread_id)

    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        with self._lock:
            self._fresh()
            return self.index.find_by_message_id(rfc822_message_id)

    def get_draft(self, draft_id: str) -> Draft:
        with self._lock:
            self._fresh()
            return self.index.get_draft(draft_id)

    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        with self._lock:
            self._fresh()
            return self.index.list_drafts(page_token=page_token, limit=limit)

    def list_labels(self) -> list[Label]:
        with self._lock:
            self._fresh()
            return self.index.list_labels()

    def summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        with self._lock:
            self._fresh()
            return self.index.summaries(message_ids)

    # the change feed is what the sync job, push and polling read: it always asks the server first

    def current_cursor(self) -> str:
        with self._lock:
            self.sync()
            return self.index.current_cursor()

    def history(self, cursor: str, *, limit: int = 500) -> MailHistory:
        with self._lock:
            self.sync()
            return self.index.history(cursor, limit=limit)

    # ------------------------------------------------------------ labels

    def create_label(self, name: str) -> Label:
        trimmed = validate_label_name(name)
        with self._lock:
            self.sync()
            if any(label.name.lower() == trimmed.lower() for label in self.index.list_labels()):
                raise Conflict(f"A label named '{trimmed}' already exists.")
            folder = self.folders().folder_name_for_label(trimmed)
            with self.session.guarded() as client:
                if not client.folder_exists(folder):
                    client.create_folder(folder)
                    client.subscribe_folder(folder)
            label = self.index.create_label(trimmed)
            self.sync()
            return label

    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        ids, to_add, to_remove = validate_label_change(message_ids, add, remove)
        with self._lock:
            self.sync()
            names = {label.id: label.name for label in self.index.list_labels() if label.type is LabelType.USER}
            unknown = sorted(i for i in to_add | to_remove if i not in names and i not in SYSTEM_LABEL_IDS)
            if unknown:
                raise NotFound(f"No label with id {', '.join(unknown)} exists in this mailbox.")
            messages = [self.index.get_message(message_id) for message_id in ids]  # NotFound before any change
            for message in messages:
                labels = (message.label_ids | to_add) - to_remove
                if labels != message.label_ids:
                    self._place(message, labels, names)
            if ids:
                self.index.modify_labels(ids, add=sorted(to_add), remove=sorted(to_remove))
            self.sync()

    def _desired_folders(self, labels: frozenset[str], names: dict[str, str]) -> set[str]:
        if TRASH in labels:
            return {self._folder_for(Role.TRASH)}
        if SPAM in labels:
            return {self._folder_for(Role.JUNK)}
        wanted: set[str] = set()
        for label, role in ((INBOX, Role.INBOX), (SENT, Role.SENT), (DRAFT, Role.DRAFTS)):
            if label in labels:
                wanted.add("INBOX" if role is Role.INBOX else self._folder_for(role))
        for label in labels:
            if label in names:
                wanted.add(self.folders().folder_name_for_label(names[label]))
        return wanted or {self._folder_for(Role.ARCHIVE)}

    def _place(self, message: Message, labels: frozenset[str], names: dict[str, str]) -> None:
        """Make the server hold `message` as `labels` say: flags on every copy, one copy per folder label."""
        copies = self._state.copies_of(message.id)
        if not copies:
            return  # not on the server (yet): the index alone changes, the next sync settles it
        wanted_flags = {SEEN: UNREAD not in labels, FLAGGED: STARRED in labels}
        by_folder: dict[str, list[Copy]] = defaultdict(list)
        for copy in copies:
            by_folder[copy.folder].append(copy)
        desired = self._desired_folders(labels, names)
        with self.session.guarded() as client:
            for folder, group in by_folder.items():
                client.select_folder(folder)
                for flag, on in wanted_flags.items():
                    targets = [c.uid for c in group if (flag in c.flags) != on]
                    if targets:
                        (client.add_flags if on else client.remove_flags)(targets, [flag])
                for c in group:
                    flags = {f for f in c.flags if f not in wanted_flags} | {f for f, on in wanted_flags.items() if on}
                    self._state.set_flags(folder, c.uid, frozenset(flags))
            source = copies[0]
            missing = sorted(desired - set(by_folder))
            if missing:
                client.select_folder(source.folder)
                for folder in missing:
                    client.copy([source.uid], folder)
            for folder, group in by_folder.items():
                if folder in desired:
                    continue
                client.select_folder(folder)
                uids = [c.uid for c in group]
                client.delete_messages(uids)
                client.uid_expunge(uids)
                for uid in uids:
                    self._state.remove_copy(folder, uid)

    # ------------------------------------------------------------ drafts

    def create_draft(self, message: OutgoingMessage) -> Draft:
        with self._lock:
            self.sync()
            draft = self.index.create_draft(message)
            self._append(Role.DRAFTS, draft.message, [DRAFT_FLAG, SEEN])
            return draft

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        with self._lock:
            self.sync()
            old = self.index.get_draft(draft_id)
            updated = self.index.update_draft(draft_id, message)
            self._append(Role.DRAFTS, updated.message, [DRAFT_FLAG, SEEN])
            self._delete_copies(old.message.id)
            return updated

    def delete_draft(self, draft_id: str) -> None:
        with self._lock:
            self.sync()
            draft = self.index.get_draft(draft_id)
            self._delete_copies(draft.message.id)
            self.index.delete_draft(draft_id)

    def send_draft(self, draft_id: str) -> Message:
        with self._lock:
            self.sync()
            draft = self.index.get_draft(draft_id)
            outgoing = outgoing_from_parsed(parse_mime(self.index.raw(draft.message.id)))
            outgoing.require_recipients()
            outgoing = replace(outgoing, message_id=draft.message.message_id_header)
            labels = (draft.message.label_ids - {DRAFT, UNREAD}) | {SENT}
            sent = self._send(outgoing, thread_id=draft.message.thread_id, labels=labels)
            self._delete_copies(draft.message.id)
            self.index.delete_draft(draft_id)
            return sent

    def _append(self, role: Role, message: Message, flags: list[str]) -> None:
        folder = self._folder_for(role)
        raw = self.index.raw(message.id)
        with self.session.guarded() as client:
            answer = client.append(folder, raw, flags=flags, msg_time=message.internal_date)
        found = _APPENDUID.search(answer or b"")
        if found:
            self._state.add_copy(Copy(folder, int(found.group(1)), message.id, frozenset(flags)))

    def _delete_copies(self, message_id: str) -> None:
        by_folder: dict[str, list[int]] = defaultdict(list)
        for copy in self._state.copies_of(message_id):
            by_folder[copy.folder].append(copy.uid)
        with self.session.guarded() as client:
            for folder, uids in by_folder.items():
                client.select_folder(folder)
                client.delete_messages(uids)
                client.uid_expunge(uids)
                for uid in uids:
                    self._state.remove_copy(folder, uid)

    # ------------------------------------------------------------ sending

    def send(self, message: OutgoingMessage) -> Message:
        message.require_recipients()
        with self._lock:
            self.sync()
            if message.thread_id:
                self.index.get_thread(message.thread_id)  # NotFound before anything is sent
            return self._send(message, thread_id=message.thread_id, labels=frozenset({SENT}))

    def _send(self, message: OutgoingMessage, *, thread_id: str | None, labels: frozenset[str]) -> Message:
        if message.from_ is None:
            message = replace(message, from_=EmailAddress(address=self.account.address))
        message = ensure_message_id(message, sender=self.account.address)
        assert message.message_id is not None
        # never twice: the index has just been synced with the Sent folder
        earlier = self.index.find_by_message_id(message.message_id)
        if earlier is not None and SENT in earlier.label_ids:
            return earlier
        now = self._clock()
        raw = build_mime(message, message_id=message.message_id, date=now)
        recipients = [a.address for a in (*message.to, *message.cc, *message.bcc)]
        sender = message.from_.address if message.from_ is not None else self.account.address
        submit(self.account, raw, sender=sender, recipients=recipients)
        sent_folder = self._folder_for(Role.SENT)
        with self.session.guarded() as client:
            client.select_folder(sent_folder)
            filed = client.search(["HEADER", "Message-ID", message.message_id])
        local_id = self.index.deliver(raw, sorted(labels), internal_date=now, thread_id=thread_id)
        if not filed:  # the server did not file it in Sent by itself
            stored = self.index.get_message(local_id)
            self._append(Role.SENT, stored, [SEEN])
        self.sync()
        return self.index.get_message(local_id)
