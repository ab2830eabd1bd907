"""Mail API: connected accounts (demo, Google OAuth), search and read, send/reply/forward, drafts, labels."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import RedirectResponse

from application.mail_access import ALL_ACCOUNTS
from application.mail_compose import readable
from application.use_cases.mail.complete_google_connect import CompleteGoogleConnectInput
from application.use_cases.mail.connect_demo_account import ConnectDemoAccountInput
from application.use_cases.mail.connect_imap_account import ConnectImapAccountInput
from application.use_cases.mail.create_label import CreateLabelInput
from application.use_cases.mail.delete_draft import DeleteDraftInput
from application.use_cases.mail.disconnect_mail_account import DisconnectMailAccountInput
from application.use_cases.mail.forward_email import ForwardEmailInput
from application.use_cases.mail.get_attachment import GetAttachmentInput
from application.use_cases.mail.get_draft import GetDraftInput
from application.use_cases.mail.get_email import GetEmailInput
from application.use_cases.mail.get_thread import GetThreadInput
from application.use_cases.mail.list_drafts import ListDraftsInput
from application.use_cases.mail.list_labels import ListLabelsInput
from application.use_cases.mail.list_mail_accounts import ListMailAccountsInput
from application.use_cases.mail.modify_labels import ModifyLabelsInput
from application.use_cases.mail.reply_to_email import ReplyToEmailInput
from application.use_cases.mail.save_draft import SaveDraftInput
from application.use_cases.mail.search_all_mailboxes import SearchAllMailboxesInput
from application.use_cases.mail.search_emails import SearchEmailsInput
from application.use_cases.mail.send_draft import SendDraftInput
from application.use_cases.mail.send_email import SendEmailInput
from application.use_cases.mail.start_google_connect import StartGoogleConnectInput
from domain.errors import DomainError
from domain.identity import Principal
from domain.mail import Message
from domain.mail_account import MailAccount
from domain.mail_servers import PRESETS
from entrypoints.container import Container
from entrypoints.http.constraints import PAGE_TOKEN_HELP, PAGE_TOKEN_PATTERN, RETURN_TO_PATTERN
from entrypoints.http.deps import AuditContextDep, ContainerDep, OneAccountQ, PrincipalDep
from entrypoints.http.envelope import Envelope, ErrorEnvelope, ok
from entrypoints.http.mail_schemas import (
    AddLabelsIn,
    AuthorizeOut,
    BatchModifyIn,
    ComposeIn,
    DraftIn,
    DraftOut,
    ForwardIn,
    ImapConnectIn,
    ImapPresetOut,
    LabelIn,
    LabelOut,
    MailAccountOut,
    MailConversationOut,
    MessageOut,
    MessageSummaryOut,
    ModifiedOut,
    ReplyIn,
    ThreadOut,
    draft_out,
)
from entrypoints.http.openapi_contract import GOOGLE, MAIL, errors

accounts = APIRouter(prefix="/mail/accounts", tags=["mail accounts"], responses=MAIL)
emails = APIRouter(prefix="/emails", tags=["emails"], responses=MAIL)
labels = APIRouter(prefix="/labels", tags=["labels"], responses=MAIL)

AccountQ = OneAccountQ
SearchAccountQ = Annotated[
    str | None,
    Query(
        alias="account",
        max_length=64,
        description="Mail account id (default: your first), or `all` for every account merged newest first "
        "(the unified inbox; each message says its account)",
    ),
]
PageToken = Annotated[str | None, Query(max_length=500, pattern=PAGE_TOKEN_PATTERN, description=PAGE_TOKEN_HELP)]
# a unified-inbox token keeps each account's place, so it is longer than one provider's
SearchPageToken = Annotated[
    str | None, Query(max_length=4000, pattern=r"^[A-Za-z0-9_\-=.~]{1,4000}$", description=PAGE_TOKEN_HELP)
]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Repeat a send safely: same key, one message"),
]


def owner_of(container: Container, principal: Principal, account: str | None) -> MailAccount:
    """The account a single-account request acted on (the one named, or the caller's default), for the answer."""
    return container.mail_access().account(principal, account)


def sent_out(container: Container, principal: Principal, account: str | None, sent: Message) -> MessageOut:
    return MessageOut.of_readable(readable(sent, container.html_sanitizer()), owner_of(container, principal, account))


# ------------------------------------------------------------------------------------------------- accounts
@accounts.get("", response_model=Envelope[list[MailAccountOut]])
def list_accounts(principal: PrincipalDep, container: ContainerDep) -> Envelope[list[MailAccountOut]]:
    """Your connected mailboxes; `status: reauth_required` means connect that one again."""
    found = container.list_mail_accounts().execute(ListMailAccountsInput(principal))
    return ok([MailAccountOut.of(a) for a in found])


@accounts.post("/demo", status_code=status.HTTP_201_CREATED, response_model=Envelope[MailAccountOut])
def connect_demo(principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep) -> Envelope[MailAccountOut]:
    """Connect the demo mailbox (embedded default): a realistic sample inbox, no Google account needed."""
    return ok(MailAccountOut.of(container.connect_demo_account().execute(ConnectDemoAccountInput(principal, ctx))))


@accounts.get("/imap/presets", response_model=Envelope[list[ImapPresetOut]])
def imap_presets(principal: PrincipalDep) -> Envelope[list[ImapPresetOut]]:
    """The providers whose IMAP/SMTP servers are known (choose 'other' to give your own), with where to make an
    app password."""
    return ok([ImapPresetOut.of(p) for p in PRESETS.values()])


@accounts.post(
    "/imap",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[MailAccountOut],
    responses=errors(
        422, s422="Not valid, or the servers refused the login or could not be reached (the message says)"
    ),
)
def connect_imap(
    body: ImapConnectIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[MailAccountOut]:
    """Connect any IMAP/SMTP mailbox with its address and an (app) password. Both servers are tried before anything
    is stored; the password goes to the secret store only. Connecting the same address again replaces the password
    (and clears `reauth_required`)."""
    imap, smtp = body.endpoints()
    account = container.connect_imap_account().execute(
        ConnectImapAccountInput(
            principal,
            address=body.address,
            password=body.password,
            preset=body.preset,
            username=body.username,
            imap=imap,
            smtp=smtp,
            context=ctx,
        )
    )
    return ok(MailAccountOut.of(account))


@accounts.get("/google/authorize", response_model=Envelope[AuthorizeOut], responses=GOOGLE)
def google_authorize(
    principal: PrincipalDep,
    container: ContainerDep,
    return_to: Annotated[
        str | None,
        Query(max_length=300, description="App path to come back to", json_schema_extra={"pattern": RETURN_TO_PATTERN}),
    ] = None,
) -> Envelope[AuthorizeOut]:
    """The Google consent URL to send the browser to (offline access, PKCE, single-use state)."""
    url = container.start_google_connect().execute(StartGoogleConnectInput(principal, return_to))
    return ok(AuthorizeOut(url=url))


@accounts.get("/google/callback", status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse)
def google_callback(
    container: ContainerDep,
    ctx: AuditContextDep,
    state: Annotated[str, Query(max_length=600)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where Google sends the browser back; stores the tokens and redirects to the web app."""
    base = container.settings().public_url.rstrip("/")
    try:
        done = container.complete_google_connect().execute(CompleteGoogleConnectInput(state, code, error, ctx))
    except DomainError as exc:
        return RedirectResponse(
            f"{base}/settings/accounts?{urlencode({'connect_error': exc.message})}", status_code=303
        )
    target = done.return_to or "/settings/accounts"
    return RedirectResponse(f"{base}{target}?{urlencode({'connected': done.account.id})}", status_code=303)


@accounts.delete("/{account_id}", response_model=Envelope[MailAccountOut])
def disconnect(
    account_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[MailAccountOut]:
    """Disconnect: revoke our access at Google and delete the stored tokens."""
    account = container.disconnect_mail_account().execute(DisconnectMailAccountInput(principal, account_id, ctx))
    return ok(MailAccountOut.of(account))


# ------------------------------------------------------------------------------------------------- reading
@emails.get("", response_model=Envelope[list[MessageSummaryOut]])
def search(
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: SearchAccountQ = None,
    q: Annotated[str, Query(max_length=1000, description="Gmail search syntax, e.g. from:alice is:unread")] = "",
    label: Annotated[list[str] | None, Query(description="Only messages with these label ids")] = None,
    page_token: SearchPageToken = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[list[MessageSummaryOut]]:
    """Search with Gmail syntax, newest first; follow `meta.next_page_token` for the next page. With `account=all`
    every connected account is searched and merged by date (a mailbox that cannot be read right now is named in
    `meta.notice`, with `meta.degraded: true`, and tried again on the next page)."""
    if account == ALL_ACCOUNTS:
        merged = container.search_all_mailboxes().execute(
            SearchAllMailboxesInput(principal, q, tuple(label or ()), page_token, limit, ctx)
        )
        summaries = [MessageSummaryOut.of(i.message, i.account) for i in merged.items]
        extra = {"degraded": True, "notice": merged.notice} if merged.notice else {}
        return ok(
            summaries, next_page_token=merged.next_page_token, total=merged.result_size_estimate, limit=limit, **extra
        )
    owner, page = container.search_emails().execute(
        SearchEmailsInput(principal, q, account, tuple(label or ()), page_token, limit, ctx)
    )
    return ok(
        [MessageSummaryOut.of(m, owner) for m in page.messages],
        next_page_token=page.next_page_token,
        total=page.result_size_estimate,
        limit=limit,
    )


@emails.get("/conversations", response_model=Envelope[list[MailConversationOut]])
def search_conversations(
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
    q: Annotated[str, Query(max_length=1000, description="Gmail search syntax, e.g. from:alice is:unread")] = "",
    label: Annotated[list[str] | None, Query(description="Only messages with these label ids")] = None,
    page_token: SearchPageToken = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[list[MailConversationOut]]:
    """The conversation view of a search: one row per thread (its newest matching message), newest first, with the
    thread's message count, message ids and participants. Pages follow the messages matched (`limit` of them), so
    a long conversation can show again on a later page: a client keeps the first row of each thread."""
    owner, page = container.search_conversations().execute(
        SearchEmailsInput(principal, q, account, tuple(label or ()), page_token, limit, ctx)
    )
    return ok(
        [MailConversationOut.of_conversation(c, owner) for c in page.conversations],
        next_page_token=page.next_page_token,
        total=page.result_size_estimate,
        limit=limit,
    )


@emails.get("/drafts", response_model=Envelope[list[DraftOut]])
def list_drafts(
    principal: PrincipalDep,
    container: ContainerDep,
    account: AccountQ = None,
    page_token: PageToken = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Envelope[list[DraftOut]]:
    page = container.list_drafts().execute(ListDraftsInput(principal, account, page_token, limit))
    sanitizer = container.html_sanitizer()
    owner = owner_of(container, principal, account)
    return ok([draft_out(d, sanitizer, owner) for d in page.drafts], next_page_token=page.next_page_token)


@emails.post("/draft", status_code=status.HTTP_201_CREATED, response_model=Envelope[DraftOut])
def create_draft(
    body: DraftIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQ = None
) -> Envelope[DraftOut]:
    draft = container.save_draft().execute(
        SaveDraftInput(principal, body.to_compose(), None, body.reply_to_message_id, account, ctx)
    )
    return ok(draft_out(draft, container.html_sanitizer(), owner_of(container, principal, account)))


@emails.get("/draft/{draft_id}", response_model=Envelope[DraftOut])
def get_draft(
    draft_id: str, principal: PrincipalDep, container: ContainerDep, account: AccountQ = None
) -> Envelope[DraftOut]:
    draft = container.get_draft().execute(GetDraftInput(principal, draft_id, account))
    return ok(draft_out(draft, container.html_sanitizer(), owner_of(container, principal, account)))


@emails.put("/draft/{draft_id}", response_model=Envelope[DraftOut])
def update_draft(
    draft_id: str,
    body: DraftIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
) -> Envelope[DraftOut]:
    draft = container.save_draft().execute(
        SaveDraftInput(principal, body.to_compose(), draft_id, body.reply_to_message_id, account, ctx)
    )
    return ok(draft_out(draft, container.html_sanitizer(), owner_of(container, principal, account)))


@emails.delete("/draft/{draft_id}", response_model=Envelope[ModifiedOut])
def delete_draft(
    draft_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQ = None
) -> Envelope[ModifiedOut]:
    container.delete_draft().execute(DeleteDraftInput(principal, draft_id, account, ctx))
    return ok(ModifiedOut(ids=[draft_id]))


@emails.post("/draft/{draft_id}/send", response_model=Envelope[MessageOut])
def send_draft(
    draft_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQ = None
) -> Envelope[MessageOut]:
    sent = container.send_draft().execute(SendDraftInput(principal, draft_id, account, ctx))
    return ok(
        MessageOut.of_readable(readable(sent, container.html_sanitizer()), owner_of(container, principal, account))
    )


@emails.post("/send", response_model=Envelope[MessageOut])
def send(
    body: ComposeIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[MessageOut]:
    """Send now. With an Idempotency-Key, a retried request returns the first send instead of sending again."""
    sent = container.send_email().execute(SendEmailInput(principal, body.to_compose(), account, idempotency_key, ctx))
    return ok(
        MessageOut.of_readable(readable(sent, container.html_sanitizer()), owner_of(container, principal, account))
    )


@emails.post("/batch-modify", response_model=Envelope[ModifiedOut])
def batch_modify(
    body: BatchModifyIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
) -> Envelope[ModifiedOut]:
    """Add/remove labels on many messages at once (UNREAD, STARRED, TRASH, INBOX or your labels), all or nothing."""
    ids = container.modify_labels().execute(
        ModifyLabelsInput(principal, tuple(body.ids), tuple(body.add), tuple(body.remove), account, ctx)
    )
    return ok(ModifiedOut(ids=list(ids)))


@emails.get("/{message_id}", response_model=Envelope[MessageOut])
def get_email(
    message_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQ = None
) -> Envelope[MessageOut]:
    """One message with its text body and sanitized HTML."""
    read = container.get_email().execute(GetEmailInput(principal, message_id, account, ctx))
    return ok(MessageOut.of_readable(read, owner_of(container, principal, account)))


@emails.get("/{message_id}/thread", response_model=Envelope[ThreadOut])
def get_thread(
    message_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQ = None
) -> Envelope[ThreadOut]:
    """The whole conversation of a message, oldest first."""
    thread_id, messages = container.get_thread().execute(GetThreadInput(principal, message_id, account, ctx))
    owner = owner_of(container, principal, account)
    return ok(ThreadOut(id=thread_id, messages=[MessageOut.of_readable(m, owner) for m in messages]))


@emails.get(
    "/{message_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The attachment's bytes"},
        422: {"model": ErrorEnvelope, "description": "The malware scanner found a threat (code malware_detected)"},
        501: {"model": ErrorEnvelope, "description": "Production without a malware scanner configured"},
        503: {"model": ErrorEnvelope, "description": "The malware scanner cannot be reached"},
    },
)
def download_attachment(
    message_id: str,
    attachment_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
) -> Response:
    """The attachment's bytes, once the malware scanner let them through (infected: 422 naming the file, audited).
    `X-Scan-Verdict` says clean, or not_scanned where no scanner is configured."""
    meta, content, verdict = container.get_attachment().scanned(
        GetAttachmentInput(principal, message_id, attachment_id, account, ctx)
    )
    return Response(
        content,
        media_type="application/octet-stream",  # never let the browser run what a sender attached
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename or 'attachment')}",
            "X-Scan-Verdict": verdict.value,
            "X-Content-Type-Options": "nosniff",
        },
    )


@emails.post("/{message_id}/reply", response_model=Envelope[MessageOut])
def reply(
    message_id: str,
    body: ReplyIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[MessageOut]:
    """Reply (or reply all) in the thread, quoting the original."""
    sent = container.reply_to_email().execute(
        ReplyToEmailInput(
            principal, message_id, body.text_body, body.html_body, body.reply_all, tuple(body.cc), account,
            idempotency_key, ctx, tuple(body.attachment_ids),
        )
    )  # fmt: skip
    return ok(
        MessageOut.of_readable(readable(sent, container.html_sanitizer()), owner_of(container, principal, account))
    )


@emails.post("/{message_id}/forward", response_model=Envelope[MessageOut])
def forward(
    message_id: str,
    body: ForwardIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[MessageOut]:
    sent = container.forward_email().execute(
        ForwardEmailInput(
            principal, message_id, tuple(body.to), body.text_body, tuple(body.cc), body.include_attachments, account,
            idempotency_key, ctx, tuple(body.attachment_ids),
        )
    )  # fmt: skip
    return ok(
        MessageOut.of_readable(readable(sent, container.html_sanitizer()), owner_of(container, principal, account))
    )


@emails.post("/{message_id}/labels", response_model=Envelope[ModifiedOut])
def add_labels(
    message_id: str,
    body: AddLabelsIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
) -> Envelope[ModifiedOut]:
    ids = container.modify_labels().execute(
        ModifyLabelsInput(principal, (message_id,), tuple(body.label_ids), (), account, ctx)
    )
    return ok(ModifiedOut(ids=list(ids)))


@emails.delete("/{message_id}/labels/{label_id}", response_model=Envelope[ModifiedOut])
def remove_label(
    message_id: str,
    label_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQ = None,
) -> Envelope[ModifiedOut]:
    ids = container.modify_labels().execute(ModifyLabelsInput(principal, (message_id,), (), (label_id,), account, ctx))
    return ok(ModifiedOut(ids=list(ids)))


# ------------------------------------------------------------------------------------------------- labels
@labels.get("", response_model=Envelope[list[LabelOut]])
def list_labels(
    principal: PrincipalDep, container: ContainerDep, response: Response, account: AccountQ = None
) -> Envelope[list[LabelOut]]:
    """System and user labels with total and unread counts. While the mail provider is down this answers 200 with
    the last known labels, `meta.degraded: true`, a `meta.notice` and a `Warning: 110` header (instead of 503)."""
    listing = container.list_labels().execute(ListLabelsInput(principal, account))
    labels = [LabelOut.of(label) for label in listing.labels]
    if not listing.degraded:
        return ok(labels)
    response.headers["Warning"] = '110 mailagent "Response is Stale"'
    return ok(labels, degraded=True, notice=listing.notice)


@labels.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[LabelOut])
def create_label(
    body: LabelIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQ = None
) -> Envelope[LabelOut]:
    return ok(LabelOut.of(container.create_label().execute(CreateLabelInput(principal, body.name, account, ctx))))
