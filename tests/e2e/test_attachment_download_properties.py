"""Property 64 (email attachment download) over HTTP with a real clamd: any received message with any attachments
(any bytes, names, types; some infected, raw or zipped) gives its owner each clean attachment with exactly its
bytes, scanned, and refuses each infected one by name; nobody else reaches any of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.malware_scanner import EICAR
from domain.mail import EmailAddress, OutgoingAttachment
from domain.mail_account import MailAccount
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.clamd import Clamd, clamd, eicar_zip  # noqa: F401  (fixture)
from tests.support.mailbox_seed import incoming_raw


@dataclass
class Env:
    api: Api
    container: Any
    me: Account
    other: Account
    account_id: str

    def mailbox(self) -> Any:
        with self.container.uow() as uow:
            account: MailAccount = uow.mail_accounts.get(self.account_id)
        return self.container.mailboxes().open(account)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, clamd: Clamd) -> Iterator[Env]:  # noqa: F811
    settings = make_settings(
        tmp_path_factory.mktemp("downloads"),
        demo_mailbox_size=5,
        clamd_address=clamd.tcp,
        rate_limit_per_minute=1_000_000,
    )
    app, container = make_app(settings)
    api = Api(app, settings)
    with api.client:
        me, other = api.signup("owner-dl@example.com"), api.signup("other-dl@example.com")
        r = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
        assert r.status_code == 201, r.text
        assert api.post("/api/v1/mail/accounts/demo", headers=other.headers).status_code == 201
        yield Env(api, container, me, other, r.json()["data"]["id"])


files = st.lists(
    st.tuples(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,15}", fullmatch=True),
        st.sampled_from([("txt", "text/plain"), ("bin", "application/octet-stream"), ("pdf", "application/pdf")]),
        st.binary(min_size=1, max_size=20_000),
        st.sampled_from(["clean", "clean", "eicar", "zipped"]),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda f: f[0].strip().lower(),
)


@pytest.mark.property(64)
@settings(max_examples=10)
@given(attachments=files)
def test_property_64_the_owner_downloads_each_clean_attachment_exactly_and_nobody_reaches_an_infected_one(
    env: Env, attachments: list[tuple[str, tuple[str, str], bytes, str]]
) -> None:
    sent: dict[str, tuple[bytes, bool]] = {}  # filename -> (bytes, infected)
    outgoing = []
    for stem, (extension, mime), data, kind in attachments:
        name = f"{stem.strip() or 'file'}.{extension}"
        content = {"clean": data, "eicar": EICAR, "zipped": eicar_zip()}[kind]
        sent[name] = (content, kind != "clean")
        outgoing.append(OutgoingAttachment(filename=name, mime_type=mime, content=content))
    raw = incoming_raw(
        sender=EmailAddress(address="someone@example.org"),
        to=(EmailAddress(address="owner-dl@example.com"),),
        subject="files",
        text="attached",
        attachments=tuple(outgoing),
        date=datetime.now(UTC),
    )
    message_id = env.mailbox().deliver(raw, ["INBOX", "UNREAD"])
    r = env.api.get(f"/api/v1/emails/{message_id}", headers=env.me.headers)
    assert r.status_code == 200, r.text
    listed = {a["filename"]: a for a in r.json()["data"]["attachments"]}
    assert set(listed) == set(sent)
    for name, (content, infected) in sent.items():
        url = listed[name]["download_url"]
        assert listed[name]["size"] == len(content)
        got = env.api.get(url, headers=env.me.headers)
        if infected:
            assert got.status_code == 422, got.text
            assert f"'{name}' was refused for download" in got.json()["error"]["message"]
        else:
            assert got.status_code == 200, got.text
            assert got.content == content and got.headers["x-scan-verdict"] == "clean"
        theirs = env.api.get(url, headers=env.other.headers)
        assert theirs.status_code == 404, theirs.text
