"""Gmail: the Mailbox port over the Gmail v1 REST API (google-api-python-client, offline discovery document)."""

from adapters.gmail.mailbox import GMAIL_ROOT_URL, QUOTA_UNITS, GmailMailbox, gmail_discovery_document
from adapters.google_api.transport import GOOGLE_TOKEN_URI, GoogleOAuthTokenSource, StaticTokenSource, TokenSource

__all__ = [
    "GMAIL_ROOT_URL",
    "GOOGLE_TOKEN_URI",
    "QUOTA_UNITS",
    "GmailMailbox",
    "GoogleOAuthTokenSource",
    "StaticTokenSource",
    "TokenSource",
    "gmail_discovery_document",
]
