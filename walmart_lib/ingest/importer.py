"""``import_files``: detect each file's format from its content, parse it, load it in one
transaction, and report per file.

A file is refused before anything is written when it is missing, a directory, empty, over the
size limit (``WALMART_MAX_IMPORT_BYTES``), not UTF-8, malformed or of an unknown shape; a file
whose parsing fails part-way (the canonical format streams) rolls back entirely. Other files in
the same call still import. Every attempt is written to the import log (file name and hash,
never the content).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.orm import Session

from walmart_lib.config import SAMPLE_DIR, get_settings
from walmart_lib.db.models import ImportLog
from walmart_lib.db.state import bump_data_version
from walmart_lib.ingest import canonical, exporter_csv, purchase_history, scraped_json, walmart_json
from walmart_lib.ingest.jsontools import PathError
from walmart_lib.ingest.loader import Loader
from walmart_lib.ingest.records import ImportRejected, ParsedOrder
from walmart_lib.ingest.report import FileResult, ImportReport

__all__ = ["detect_format", "import_files", "load_sample"]

log = logging.getLogger(__name__)

_ZIP_MAGIC = b"PK\x03\x04"
#: Files at least this large get a progress bar.
PROGRESS_MIN_BYTES = 1_000_000


def _read_head(path: Path, size: int = 65536) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def _check_file(path: Path, max_bytes: int) -> int:
    label = path.name
    if not path.exists():
        raise ImportRejected(label, None, "no such file")
    if path.is_dir():
        raise ImportRejected(label, None, "is a directory, not a file")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected(label, None, "file is empty (0 bytes)")
    if size > max_bytes:
        raise ImportRejected(
            label,
            None,
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB import limit "
            "(set WALMART_MAX_IMPORT_BYTES to raise it)",
        )
    return size


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            label, f"line {line}, byte {exc.start + 1}", "not UTF-8 text (exports are UTF-8)"
        ) from exc


def _detect_json(doc: Any) -> str | None:
    if walmart_json.find_order(doc) is not None:
        return walmart_json.FORMAT
    if purchase_history.find_orders(doc) is not None:
        return purchase_history.FORMAT
    if scraped_json.looks_scraped(doc):
        return scraped_json.FORMAT
    return None


@dataclass
class _Sniffed:
    """A file's format and what reading it for detection already produced (read once)."""

    fmt: str
    #: Decoded content (CSV and JSON formats); None for XLSX and streamed canonical files.
    text: str | None = None
    #: The parsed document (JSON formats).
    doc: Any = None


def _sniff(path: Path) -> _Sniffed:
    head = _read_head(path)
    if head.startswith(_ZIP_MAGIC):
        return _Sniffed(exporter_csv.FORMAT_XLSX)
    first_line = head.split(b"\n", 1)[0]
    if canonical.is_canonical_header(first_line):
        return _Sniffed(canonical.FORMAT)
    text = _decode(path.read_bytes(), path.name)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRejected(
                path.name, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON ({exc.msg})"
            ) from exc
        fmt = _detect_json(doc)
        if fmt is None:
            raise ImportRejected(
                path.name,
                "$",
                "JSON of an unknown shape: expected a Walmart order page, a purchase-history "
                "page, a scraped order, or the canonical format",
            )
        return _Sniffed(fmt, text, doc)
    kind = exporter_csv.csv_kind(next(iter(_csv_header(stripped)), []))
    if kind is not None:
        return _Sniffed(kind, text)
    raise ImportRejected(
        path.name,
        None,
        "unknown format: not Walmart order JSON, purchase-history JSON, scraped order JSON, "
        "the exporter's CSV/XLSX, or the canonical format",
    )


def detect_format(path: Path) -> str:
    """The format of ``path`` from its content (not its extension); raises if unknown."""
    return _sniff(path).fmt


def _csv_header(text: str) -> Iterator[list[str]]:
    import csv
    import io

    try:
        yield next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    except (StopIteration, csv.Error):
        return


def _parse(path: Path, source: _Sniffed, default_tz: str) -> list[ParsedOrder]:
    label, fmt = path.name, source.fmt
    try:
        if fmt == exporter_csv.FORMAT_XLSX:
            return exporter_csv.parse_xlsx(path, default_tz)
        if fmt in (exporter_csv.FORMAT_ITEMS, exporter_csv.FORMAT_ORDERS):
            assert source.text is not None
            return exporter_csv.parse_csv(source.text, default_tz)[1]
        if fmt == walmart_json.FORMAT:
            return walmart_json.parse_order_page(source.doc, default_tz)
        if fmt == purchase_history.FORMAT:
            return purchase_history.parse_purchase_history(source.doc, default_tz)
        return scraped_json.parse_scraped(source.doc, default_tz)
    except PathError as exc:
        raise ImportRejected(label, exc.path, exc.reason) from exc
    except exporter_csv.RowError as exc:
        raise ImportRejected(label, exc.where, exc.reason) from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _progress(
    enabled: bool, label: str, total: int, in_bytes: bool = False
) -> tuple[AbstractContextManager[Any], Callable[[int], None] | None]:
    """A progress bar on stderr (bytes read for streamed files, orders otherwise)."""
    if not enabled:
        return nullcontext(), None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(f"importing {label}", total=total)
    return bar, lambda n: bar.advance(task, n)


class _CountingReader:
    """Wraps a binary file to report bytes read (the progress of a streamed import)."""

    def __init__(self, fh: BinaryIO, on_bytes: Callable[[int], None] | None) -> None:
        self._fh = fh
        self._on_bytes = on_bytes

    def _count(self, data: bytes) -> bytes:
        if self._on_bytes is not None:
            self._on_bytes(len(data))
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self._fh.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._fh.readline(size))


def _load_file(
    path: Path, conn: Connection, source: _Sniffed, size: int, progress: bool, default_tz: str
) -> FileResult:
    label, fmt = path.name, source.fmt
    show = progress and size >= PROGRESS_MIN_BYTES
    loader = Loader(conn)
    if fmt == canonical.FORMAT:
        bar, on_bytes = _progress(show, label, size, in_bytes=True)
        with bar, path.open("rb") as fh:
            for batch, frames in canonical.parsed_batches(_CountingReader(fh, on_bytes)):
                if frames is None:
                    loader.load(batch.parse(label, default_tz))
                else:

                    def general(ids: set[str], b: canonical.Batch = batch) -> list[ParsedOrder]:
                        return b.parse(label, default_tz, only=ids)

                    loader.load_frames(*frames, canonical.FORMAT, general)
            counts = loader.counts
    else:
        parsed = _parse(path, source, default_tz)
        bar, on_orders = _progress(show, label, len(parsed))
        with bar:
            counts = loader.load(parsed, on_orders)
    if counts.changed:
        bump_data_version(conn)
    # Every LoadCounts field is a FileResult field of the same name.
    return FileResult(file=label, status="imported", format=fmt, **asdict(counts))


def _log_row(result: FileResult, file_hash: str) -> dict[str, Any]:
    return {
        "file_name": result.file,
        "file_hash": file_hash,
        "format": result.format,
        "status": result.status,
        "orders_added": result.orders_added,
        "orders_updated": result.orders_updated,
        "lines_added": result.lines_added,
        "products_added": result.products_added,
        "message": result.error or ("; ".join(result.warnings) or None),
    }


def _import_one(
    path: Path,
    begin: Callable[[], AbstractContextManager[Connection]],
    max_bytes: int,
    progress: bool,
    default_tz: str,
) -> FileResult:
    fmt: str | None = None
    digest: Future[str] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-hash") as pool:
        try:
            size = _check_file(path, max_bytes)
            # The hash only goes to the import log: work it out on the side (hashlib releases
            # the GIL) instead of reading the whole file once more before the import starts.
            digest = pool.submit(_sha256, path)
            source = _sniff(path)
            fmt = source.fmt
            with begin() as conn:
                result = _load_file(path, conn, source, size, progress, default_tz)
                conn.execute(insert(ImportLog), _log_row(result, digest.result()))
            log.info(
                "imported %s (%s): %d orders new, %d updated, %d lines",
                result.file,
                fmt,
                result.orders_added,
                result.orders_updated,
                result.lines_added,
            )
            return result
        except ImportRejected as exc:
            result = FileResult(file=path.name, status="rejected", format=fmt, error=str(exc))
        except (OSError, MemoryError) as exc:
            result = FileResult(
                file=path.name,
                status="rejected",
                format=fmt,
                error=f"{path.name}: cannot be read ({exc.__class__.__name__}: {exc})",
            )
        file_hash = "-"
        if digest is not None and digest.exception() is None:
            file_hash = digest.result()
    log.warning("rejected %s: %s", path.name, result.error)
    with begin() as conn:
        conn.execute(insert(ImportLog), _log_row(result, file_hash))
    return result


def import_files(
    paths: Sequence[Path | str],
    bind: Engine | Session,
    *,
    progress: bool = False,
    max_bytes: int | None = None,
) -> ImportReport:
    """Import each file in its own transaction and report what happened to each.

    ``bind`` is an Engine (each file commits on its own) or a Session (each file runs in a
    savepoint of the session's transaction; the caller commits).
    """
    settings = get_settings()
    limit = settings.max_import_bytes if max_bytes is None else max_bytes
    if isinstance(bind, Session):
        session = bind

        def begin() -> AbstractContextManager[Connection]:
            conn = session.connection()
            return _savepoint(conn)
    else:
        engine = bind

        def begin() -> AbstractContextManager[Connection]:
            return engine.begin()

    report = ImportReport()
    for raw in paths:
        report.files.append(_import_one(Path(raw), begin, limit, progress, settings.timezone))
    return report


class _savepoint(AbstractContextManager[Connection]):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        self._tx = self.conn.begin_nested()
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self._tx.commit()
        else:
            self._tx.rollback()


def load_sample(bind: Engine | Session, *, progress: bool = False) -> ImportReport:
    """Load the bundled sample dataset (``data/sample/*.json``); importing it again adds nothing."""
    files = sorted(SAMPLE_DIR.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no sample files in {SAMPLE_DIR}")
    return import_files(files, bind, progress=progress)
