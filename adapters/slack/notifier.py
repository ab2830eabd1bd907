"""SlackNotifier: Block Kit messages through slack-sdk — an incoming webhook (WebhookClient) or a bot token and a
channel (WebClient.chat_postMessage) — with RateLimitErrorRetryHandler waiting out 429s per Retry-After."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from application.ports.notifier import Destination, Notification, Notifier
from domain.errors import RateLimited, ServiceUnavailable, UpstreamError
from domain.slack import SlackMode

# Block Kit limits: 50 blocks a message, 3000 characters in a section's text, 150 in a header, 2000 in a context
# element; 40,000 characters of fallback text.
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_TEXT = 3000


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """mrkdwn's three control characters: mail text cannot make links or mentions in our messages."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_blocks(n: Notification) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(n.title, MAX_HEADER) or "mailagent"}}
    ]
    if n.text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(escape(n.text), MAX_SECTION)}})
    if n.fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": clip(f"*{escape(f.label)}*\n{escape(f.value)}", MAX_FIELD)}
                    for f in n.fields[:MAX_FIELDS]
                ],
            }
        )
    for title, lines in n.sections:
        if len(blocks) >= MAX_BLOCKS - 2:
            break
        body = "\n".join(f"• {escape(line)}" for line in lines) or "_nothing_"
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip(f"*{escape(title)}*\n{body}", MAX_SECTION)}}
        )
    if n.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": clip(n.link_label, 75)},
                        "url": n.link,
                        "action_id": "open_in_mailagent",
                    }
                ],
            }
        )
    fallback = clip(" — ".join(p for p in (n.title, n.text) if p), MAX_TEXT)
    return {"text": fallback, "blocks": blocks[:MAX_BLOCKS]}


class SlackNotifier(Notifier):
    def __init__(
        self, *, api_url: str = "https://slack.com/api/", timeout_seconds: int = 10, max_retries: int = 2
    ) -> None:
        self.api_url, self.timeout = api_url, timeout_seconds
        self.max_retries = max_retries

    def _handlers(self) -> list[Any]:
        return [RateLimitErrorRetryHandler(max_retry_count=self.max_retries), ConnectionErrorRetryHandler()]

    def render(self, notification: Notification) -> dict[str, object]:
        return render_blocks(notification)

    def send(self, destination: Destination, notification: Notification) -> None:
        message = render_blocks(notification)
        if destination.mode is SlackMode.WEBHOOK:
            self._webhook(destination.secret, message)
        else:
            self._post(destination.secret, destination.channel or "", message)

    def _webhook(self, url: str, message: dict[str, Any]) -> None:
        client = WebhookClient(url, timeout=self.timeout, retry_handlers=self._handlers())
        try:
            response = client.send(text=message["text"], blocks=message["blocks"])
        except OSError as exc:
            raise ServiceUnavailable(f"Slack cannot be reached ({type(exc).__name__}).", service="slack") from None
        if response.status_code == 429:
            retry_after = int(response.headers.get("retry-after", ["60"])[0]) if response.headers else 60
            raise RateLimited("Slack is rate limiting this webhook; try again later.", retry_after=retry_after)
        if response.status_code >= 500:
            raise ServiceUnavailable(f"Slack answered {response.status_code}.", service="slack")
        if response.status_code != 200:
            # The body is Slack's reason (invalid_token, channel_is_archived, no_service...): never the URL.
            raise UpstreamError(
                f"Slack refused the message: {clip(response.body or str(response.status_code), 100)}.", service="slack"
            )

    def _post(self, token: str, channel: str, message: dict[str, Any]) -> None:
        client = WebClient(token=token, base_url=self.api_url, timeout=self.timeout, retry_handlers=self._handlers())
        try:
            client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if status == 429:
                retry_after = int(exc.response.headers.get("retry-after", 60))
                raise RateLimited(
                    "Slack is rate limiting this app; try again later.", retry_after=retry_after
                ) from None
            if status >= 500:
                raise ServiceUnavailable(f"Slack answered {status}.", service="slack") from None
            raise UpstreamError(
                f"Slack refused the message: {clip(error or str(status), 100)}.", service="slack"
            ) from None
        except OSError as exc:
            raise ServiceUnavailable(f"Slack cannot be reached ({type(exc).__name__}).", service="slack") from None
