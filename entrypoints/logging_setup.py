"""Logging for every entrypoint: structlog over stdlib, JSON in production, readable locally, request id bound.

structlog itself (~50 ms of CPU to import, with the parts of rich it loads) is imported when the first record is
formatted or the first structlog logger is asked for, not when logging is configured: a CLI command that logs nothing
(`audit verify`, `user create`) never pays for it (issue 13). The server imports it with its middleware anyway."""

from __future__ import annotations

import logging
import logging.config
import sys
import threading
from typing import Any

from entrypoints.redaction import redact_log_event, redact_log_text

_configured = False
_structlog_pending = False  # configure_logging ran before structlog was imported: configure it on its first use
_structlog_lock = threading.Lock()


class RedactingFilter(logging.Filter):
    """Scrubs stdlib log records (uvicorn, botocore...) before any formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            # Scrub the message as it will read: a template like "GET %s" only shows the link once formatted.
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a broken template: scrub what there is
                message = record.msg
            record.msg, record.args = redact_log_text(message), None
        return True


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record, not the one that was current when logging was
    configured: a process that swaps stderr (a CLI runner, a test capture, a daemonising supervisor) and later closes
    the old one would otherwise make every log line fail with "I/O operation on closed file"."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _shared_processors() -> list[Any]:
    import structlog

    return [
        structlog.contextvars.merge_contextvars,  # request_id, user_id bound by the HTTP middleware
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_log_event,
    ]


def _structured_formatter(json_logs: bool) -> logging.Formatter:
    import structlog

    renderer: Any = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # tracebacks become text here...
            redact_log_event,  # ...so scrub again
            renderer,
        ],
        foreign_pre_chain=_shared_processors(),
    )


def json_formatter() -> logging.Formatter:
    """JSON lines, scrubbed, whatever the console format is (for handlers that ship logs elsewhere)."""
    return _structured_formatter(json_logs=True)


class StructuredFormatter(logging.Formatter):
    """structlog's ProcessorFormatter, built (and structlog imported and configured) at the first record."""

    def __init__(self, json_logs: bool = False) -> None:
        super().__init__()
        self.json_logs = json_logs
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            _configure_structlog_if_pending()
            self._formatter = _structured_formatter(self.json_logs)
        return self._formatter.format(record)


def _configure_structlog() -> None:
    import structlog

    structlog.configure(
        # filter_by_level first: a call below the level (the access log at WARNING) costs no processing at all
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _configure_structlog_if_pending() -> None:
    global _structlog_pending
    with _structlog_lock:
        if _structlog_pending:
            _configure_structlog()
            _structlog_pending = False


def configure_logging(*, json_logs: bool, level: str = "INFO") -> None:
    global _configured, _structlog_pending
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structured": {"()": StructuredFormatter, "json_logs": json_logs}},
            "filters": {"redact": {"()": RedactingFilter}},
            "handlers": {"default": {"()": StderrHandler, "formatter": "structured", "filters": ["redact"]}},
            "root": {"handlers": ["default"], "level": level.upper()},
            "loggers": {
                "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
                "uvicorn.error": {"handlers": ["default"], "level": level.upper(), "propagate": False},
                "uvicorn.access": {"handlers": [], "propagate": False},  # our middleware logs each request
                # Libraries that log request/response bodies (tokens, credentials, prompts full of mail) at DEBUG
                # stay at INFO.
                **{
                    name: {"level": "INFO"}
                    for name in (
                        "requests_oauthlib",
                        "oauthlib",
                        "botocore",
                        "urllib3",
                        "anthropic",
                        "openai",
                        "httpcore",
                        "langchain_anthropic",
                        "langchain_openai",
                    )
                },
                # httpx logs every request's full URL at INFO: a webhook receiver's URL may carry its own token.
                "httpx": {"level": "WARNING"},
            },
        }
    )
    with _structlog_lock:
        if "structlog" in sys.modules:  # already in use (the server's middleware): configure it now
            _configure_structlog()
            _structlog_pending = False
        else:
            _structlog_pending = True
    _configured = True


def get_logger(name: str) -> Any:
    import structlog

    _configure_structlog_if_pending()
    return structlog.stdlib.get_logger(name)
