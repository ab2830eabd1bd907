"""SlackNotifier (slack-sdk) against a local fake speaking Slack's incoming-webhook and chat.postMessage APIs: Block
Kit messages arrive, 429 with Retry-After is waited out by RateLimitErrorRetryHandler, persistent limits and refusals
become readable errors without the URL or token, and Block Kit's limits hold whatever the input (property 44)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.notifier import MAX_BLOCKS, MAX_HEADER, MAX_SECTION, SlackNotifier, render_blocks
from application.ports.notifier import Destination, Field, Notification, NotificationKind
from domain.errors import RateLimited, UpstreamError
from domain.slack import SlackMode
from tests.support.fake_slack import TOKEN, running_fake_slack

NOTE = Notification(
    NotificationKind.NEW_MAIL,
    title="New mail: Lunch?",
    text="Are you free <tomorrow> & after?",
    fields=(Field("From", "Zoë <zoe@example.com>"), Field("Subject", "Lunch?")),
    link="http://127.0.0.1:8000/mail/INBOX/m1",
)


def test_incoming_webhook_gets_the_block_kit_message() -> None:
    with running_fake_slack() as fake:
        SlackNotifier().send(Destination(SlackMode.WEBHOOK, fake.webhook_url()), NOTE)
        (posted,) = fake.delivered()
        blocks = posted.body["blocks"]
        assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "New mail: Lunch?"}}
        assert "&lt;tomorrow&gt; &amp; after" in blocks[1]["text"]["text"]  # mail text makes no links or mentions
        assert blocks[-1]["elements"][0]["url"] == NOTE.link
        assert posted.body["text"].startswith("New mail: Lunch?")


def test_bot_token_posts_with_chat_post_message() -> None:
    with running_fake_slack() as fake:
        SlackNotifier(api_url=fake.api_url).send(Destination(SlackMode.BOT, TOKEN, "#mail"), NOTE)
        (posted,) = fake.delivered()
        assert posted.path == "/api/chat.postMessage" and posted.body["channel"] == "#mail"
        assert posted.authorization == f"Bearer {TOKEN}"


@pytest.mark.property(47)
@pytest.mark.parametrize("mode", [SlackMode.WEBHOOK, SlackMode.BOT])
def test_429_with_retry_after_is_waited_out_then_reported(mode: SlackMode) -> None:
    with running_fake_slack() as fake:
        path = "/services/T000/B000/XXXX" if mode is SlackMode.WEBHOOK else "/api/chat.postMessage"
        secret = fake.webhook_url() if mode is SlackMode.WEBHOOK else TOKEN
        notifier = SlackNotifier(api_url=fake.api_url, max_retries=2)
        fake.script(path, "429")
        notifier.send(Destination(mode, secret, "#mail"), NOTE)  # one 429, then delivered after Retry-After
        assert [p.answered for p in fake.posted] == ["429", "ok"]
        fake.script(path, "429", "429", "429")
        with pytest.raises(RateLimited) as info:
            notifier.send(Destination(mode, secret, "#mail"), NOTE)
        assert info.value.retry_after >= 1


@pytest.mark.parametrize("mode", [SlackMode.WEBHOOK, SlackMode.BOT])
def test_refusals_are_readable_and_name_no_secret(mode: SlackMode) -> None:
    with running_fake_slack() as fake:
        path = "/services/T000/B000/XXXX" if mode is SlackMode.WEBHOOK else "/api/chat.postMessage"
        secret = fake.webhook_url() if mode is SlackMode.WEBHOOK else TOKEN
        fake.script(path, "invalid")
        with pytest.raises(UpstreamError) as info:
            SlackNotifier(api_url=fake.api_url).send(Destination(mode, secret, "#mail"), NOTE)
        assert "Slack refused" in info.value.message
        assert secret not in info.value.message and "XXXX" not in info.value.message


@pytest.mark.property(44)
@settings(max_examples=80, deadline=None)
@given(
    title=st.text(max_size=400),
    text=st.text(max_size=5000),
    sections=st.lists(st.tuples(st.text(max_size=200), st.lists(st.text(max_size=500), max_size=30)), max_size=80),
    fields=st.lists(st.tuples(st.text(min_size=1, max_size=50), st.text(max_size=3000)), max_size=15),
)
def test_property_44_block_kit_limits_hold_for_any_input(
    title: str, text: str, sections: list[tuple[str, list[str]]], fields: list[tuple[str, str]]
) -> None:
    message = render_blocks(
        Notification(
            NotificationKind.SUMMARY,
            title=title,
            text=text,
            fields=tuple(Field(a, b) for a, b in fields),
            sections=tuple((t, tuple(lines)) for t, lines in sections),
            link="http://127.0.0.1:8000/mail/INBOX",
        )
    )
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= MAX_BLOCKS
    assert 1 <= len(blocks[0]["text"]["text"]) <= MAX_HEADER
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= MAX_SECTION
            assert len(block.get("fields", [])) <= 10
    assert blocks[-1]["type"] == "actions"  # the link survives truncation
