"""Logging for every entrypoint: structlog over stdlib, JSON in production, readable locally, request id bound."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

import structlog

_configured = False


def configure_logging(*, json_logs: bool, level: str = "INFO") -> None:
    global _configured
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,  # request_id, user_id bound by the HTTP middleware
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info
                        if json_logs
                        else structlog.processors.ExceptionPrettyPrinter(),
                        renderer,
                    ],
                    "foreign_pre_chain": shared,
                }
            },
            "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "structured"}},
            "root": {"handlers": ["default"], "level": level.upper()},
            "loggers": {
                "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
                "uvicorn.error": {"handlers": ["default"], "level": level.upper(), "propagate": False},
                "uvicorn.access": {"handlers": [], "propagate": False},  # our middleware logs each request
            },
        }
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
