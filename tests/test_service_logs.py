"""The JSON log format and the redaction filter (no secrets or personal data in logs)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from walmart_lib.service.logs import (
    REDACTED,
    configure_logging,
    redact_text,
    redact_value,
    stop_logging,
)


def test_redact_text_patterns() -> None:
    assert redact_text("card 4111 1111 1111 1111 ok") == f"card {REDACTED} ok"
    assert redact_text("card 4111-1111-1111-1111") == f"card {REDACTED}"
    assert redact_text("mail jane.doe@example.com now") == f"mail {REDACTED} now"
    assert redact_text("Authorization: Bearer abcdefgh12345678") == (
        f"Authorization: Bearer {REDACTED}"
    )
    assert redact_text("token wga_0123456789ab_SECRETSECRET") == f"token {REDACTED}"
    assert redact_text("url ?password=hunter22&x=1") == f"url ?password={REDACTED}&x=1"
    # Order ids and prices are not personal data and stay readable.
    assert redact_text("order 2000111 total 7.99") == "order 2000111 total 7.99"


def test_redact_value_by_key() -> None:
    assert redact_value("password", "hunter22") == REDACTED
    assert redact_value("Set-Cookie", "walmart_session=abc") == REDACTED
    assert redact_value("extra", {"name": "Jane Doe", "route": "/api/x"}) == {
        "name": REDACTED,
        "route": "/api/x",
    }
    assert redact_value("items", [{"address": "1 Main St"}]) == [{"address": REDACTED}]
    assert redact_value("status", 200) == 200


def test_log_file_is_redacted_json(tmp_path: Path) -> None:
    path = configure_logging(tmp_path / "logs")
    log = logging.getLogger("walmart.service.test")
    log.info(
        "login for %s with card %s",
        "jane@example.com",
        "4111111111111111",
        extra={"password": "hunter22", "route": "/login", "customer_name": "Jane Doe"},
    )
    try:
        raise ValueError("bad token=wga_0123456789ab_SECRETSECRET")
    except ValueError:
        log.exception("failed", extra={"request_id": "r1"})
    stop_logging()  # flushes the writer thread
    lines = path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    first, second = entries[-2], entries[-1]
    assert first["message"] == f"login for {REDACTED} with card {REDACTED}"
    assert first["password"] == REDACTED and first["customer_name"] == REDACTED
    assert first["route"] == "/login" and first["level"] == "info"
    assert second["request_id"] == "r1"
    assert second["exception"] == f"ValueError: bad token={REDACTED}"
    text = path.read_text()
    for secret in ("hunter22", "jane@example.com", "4111111111111111", "Jane Doe", "SECRETSECRET"):
        assert secret not in text
