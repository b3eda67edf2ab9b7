"""Structured service logs: JSON lines under ``WALMART_HOME/logs`` with personal data redacted.

Every record is written as one JSON object (time, level, logger, message and any ``extra``
fields such as ``request_id``, ``route``, ``status`` and ``latency_ms``). A
:class:`RedactionFilter` sits on the handler, so nothing reaches the file before it has removed
passwords, tokens, cookies, names, addresses, e-mail addresses and card numbers, whether they
come as ``extra`` fields (by key) or inside the message text (by pattern).
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "REDACTED",
    "JsonFormatter",
    "RedactionFilter",
    "configure_logging",
    "redact_text",
    "redact_value",
    "stop_logging",
]

REDACTED = "[redacted]"

#: ``extra`` keys whose values are never logged (compared lower-case, ``-`` read as ``_``).
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "api_token",
        "authorization",
        "cookie",
        "set_cookie",
        "x_xsrftoken",
        "_xsrf",
        "user",
        "username",
        "name",
        "customer_name",
        "first_name",
        "last_name",
        "full_name",
        "address",
        "delivery_address",
        "street",
        "email",
        "phone",
        "card",
        "card_number",
        "payment",
        "text",
    }
)

# Why each pattern: bearer/API tokens and key=value secrets can appear in messages from
# libraries; card numbers are 13-19 digits with optional spaces/dashes; e-mails are personal.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"\bwga_[A-Za-z0-9_-]{8,}"), REDACTED),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|api_key|cookie)=([^&\s;,]+)"),
        r"\1=" + REDACTED,
    ),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), REDACTED),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), REDACTED),
)

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def redact_text(text: str) -> str:
    """``text`` with tokens, secrets, card numbers and e-mail addresses replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _is_sensitive(key: str) -> bool:
    return key.lower().replace("-", "_") in SENSITIVE_KEYS


def redact_value(key: str, value: Any) -> Any:
    """A value safe to log under ``key`` (recursing into dicts and lists)."""
    if _is_sensitive(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value("", v) for v in value]
    return value


class RedactionFilter(logging.Filter):
    """Rewrites each record in place so no handler after it sees personal data or secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key in list(record.__dict__):
            if key not in _STANDARD_ATTRS:
                record.__dict__[key] = redact_value(key, record.__dict__[key])
        if record.exc_info and record.exc_info[1] is not None:
            # Keep the exception type and the redacted message, never local values.
            exc = record.exc_info[1]
            record.__dict__["exception"] = f"{type(exc).__name__}: {redact_text(str(exc))}"
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO), level, logger, message, then extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_LISTENER: logging.handlers.QueueListener | None = None


def configure_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Send the service, Tornado and Bokeh loggers to ``log_dir/service.jsonl`` (rotated).

    Records are redacted on the calling thread, then handed through a queue to a writer thread
    (so a request never waits on the log file). Returns the log file path. Calling it again
    replaces the earlier set-up; :func:`stop_logging` flushes and stops the writer.
    """
    global _LISTENER
    stop_logging()
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "service.jsonl"
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(JsonFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(records)
    handler.addFilter(RedactionFilter())
    handler.set_name("walmart-service")
    for name in ("walmart", "tornado", "bokeh", "panel"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "walmart-service"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    # Tornado's own access log prints raw URLs with query strings; ours logs the route instead.
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    _LISTENER = logging.handlers.QueueListener(records, file_handler)
    _LISTENER.start()
    atexit.register(stop_logging)
    return path


def stop_logging() -> None:
    """Write out queued records and stop the writer thread (safe to call twice)."""
    global _LISTENER
    if _LISTENER is not None:
        _LISTENER.stop()
        for handler in _LISTENER.handlers:
            handler.close()
        _LISTENER = None
