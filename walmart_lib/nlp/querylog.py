"""The NLP query log: one ``nlp_query_log`` row per parse, written off the request path.

``parse()`` only appends a tuple to an in-memory queue (microseconds); one daemon thread per
database drains the queue and inserts the rows in batches, at most one transaction per
:data:`LINGER_S` unless a flush is waiting. The log holds text length, intent,
confidence and latency, never the text itself: a request can carry names, addresses or health
details, and nothing reliable tells us when it does (docs/nlp.md). A database error is logged
(once per burst) and the rows dropped: the query log must never break or slow parsing. Pending
rows are flushed at interpreter exit and by :meth:`QueryLogger.flush`.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, insert

from walmart_lib.db.models import NlpQueryLog

__all__ = ["LogRecord", "QueryLogger", "get_query_logger"]

_log = logging.getLogger(__name__)
#: Most rows kept waiting; beyond it new rows are dropped (a stuck database must not eat RAM).
MAX_PENDING = 10_000
BATCH = 500
#: After the first row of a burst the writer waits this long for more before it writes: one
#: transaction for many parses. A transaction per ``parse_batch`` (SQLAlchemy's Python work
#: holding the GIL the encoder's threads need) cost 4-8% of batched throughput (docs/nlp.md).
LINGER_S = 0.5


@dataclass(frozen=True)
class LogRecord:
    text_length: int
    intent: str
    confidence: float
    latency_ms: float


class QueryLogger:
    """Batches log rows for one engine on a background thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.Queue[LogRecord] = queue.Queue(maxsize=MAX_PENDING)
        # Rows queued but not yet written or dropped; flush() waits for zero.
        self._pending = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # Set by flush(): write what is queued now instead of lingering.
        self._hurry = threading.Event()
        self.written = 0
        self.dropped = 0

    def log(self, record: LogRecord) -> None:
        """Queue one row (never raises, never blocks)."""
        with self._cond:
            try:
                self._queue.put_nowait(record)
            except queue.Full:
                self.dropped += 1
                return
            self._pending += 1
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="nlp-query-log", daemon=True
                    )
                    self._thread.start()

    def _drain(self, limit: int) -> list[LogRecord]:
        rows: list[LogRecord] = []
        while len(rows) < limit:
            try:
                rows.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return rows

    def _write(self, rows: list[LogRecord]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(NlpQueryLog),
                    [
                        {
                            "text_length": r.text_length,
                            "intent": r.intent,
                            "confidence": r.confidence,
                            "latency_ms": r.latency_ms,
                            "text": None,
                        }
                        for r in rows
                    ],
                )
            self.written += len(rows)
        except Exception as exc:
            self.dropped += len(rows)
            _log.warning("nlp query log: %d rows dropped (%s)", len(rows), type(exc).__name__)

    def _linger(self) -> None:
        """Wait up to :data:`LINGER_S` for a full batch; a flush or a full batch ends it."""
        deadline = time.monotonic() + LINGER_S
        while self._queue.qsize() < BATCH - 1:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._hurry.wait(min(left, 0.05)):
                self._hurry.clear()
                return

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            self._linger()
            rows = [first, *self._drain(BATCH - 1)]
            self._write(rows)
            with self._cond:
                self._pending -= len(rows)
                self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row is written (or dropped); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                self._hurry.set()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True


_LOGGERS: dict[int, QueryLogger] = {}
_LOCK = threading.Lock()


def get_query_logger(engine: Engine) -> QueryLogger:
    """The logger for ``engine`` (one writer thread per database)."""
    with _LOCK:
        logger = _LOGGERS.get(id(engine))
        if logger is None or logger.engine is not engine:
            logger = _LOGGERS[id(engine)] = QueryLogger(engine)
        return logger


@atexit.register
def _flush_all() -> None:
    for logger in list(_LOGGERS.values()):
        logger.flush(timeout=2.0)
