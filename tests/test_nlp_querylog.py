"""The NLP query log writer: rows batched into few transactions, flush never waits a linger."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from walmart_lib.db import ensure_schema, make_engine
from walmart_lib.db.models import NlpQueryLog
from walmart_lib.nlp import querylog
from walmart_lib.nlp.querylog import LogRecord, QueryLogger


def _logger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[QueryLogger, list[int]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    ensure_schema(engine)
    logger = QueryLogger(engine)
    writes: list[int] = []
    write = logger._write

    def counted(rows: list[LogRecord]) -> Any:
        writes.append(len(rows))
        return write(rows)

    monkeypatch.setattr(logger, "_write", counted)
    # A linger far beyond the flush timeout: flush() must cut it short or fail.
    monkeypatch.setattr(querylog, "LINGER_S", 120.0)
    return logger, writes


def _fill(logger: QueryLogger, rows: int) -> None:
    for i in range(rows):
        logger.log(LogRecord(i, "list_add", 0.9, 1.0))


def _count(logger: QueryLogger) -> int:
    with logger.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(NlpQueryLog)).scalar_one())


def test_a_burst_of_parses_is_one_transaction_and_flush_does_not_wait_the_linger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, writes = _logger(tmp_path, monkeypatch)
    _fill(logger, 30)
    assert logger.flush(timeout=30)
    assert writes == [30]
    assert _count(logger) == 30 and logger.written == 30


def test_a_full_batch_is_written_without_lingering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, writes = _logger(tmp_path, monkeypatch)
    _fill(logger, 1_200)
    # No flush: two full batches go out although the linger (120 s) has not run out.
    deadline = time.monotonic() + 30
    while logger.written < 2 * querylog.BATCH and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logger.written >= 2 * querylog.BATCH
    assert logger.flush(timeout=30)
    assert sum(writes) == 1_200 and max(writes) <= querylog.BATCH
    assert _count(logger) == 1_200
