"""The project's own canonical format: JSON Lines, one order per line (docs/canonical-format.md).

The first line is the header ``{"format": "walmart-grocery-canonical", "version": 1}``. It is
what ``walmart generate`` writes and what bulk loads use, so it is read as a stream: memory stays
flat however large the file, and each error names its line. Batches of lines in the strict
canonical spelling are parsed with polars in one go (:func:`batch_frames`); any other batch goes
through the general per-line parser, which accepts every valid spelling and names bad lines.
The JSON itself is read by Arrow's multi-threaded C++ reader (half the CPU of polars' NDJSON
reader on this nested schema, measured), then handed to polars without a copy.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from queue import Full, Queue
from typing import Any, Protocol

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from walmart_lib.ingest.jsontools import Node, PathError, opt_text
from walmart_lib.ingest.parsing import MAX_QUANTITY, parse_date, parse_money, parse_quantity
from walmart_lib.ingest.records import ImportRejected, ParsedLine, ParsedOrder, ParsedStore

__all__ = [
    "FORMAT",
    "HEADER",
    "Batch",
    "batch_frames",
    "is_canonical_header",
    "iter_batches",
    "iter_canonical",
    "parsed_batches",
]

FORMAT = "canonical"
HEADER = {"format": "walmart-grocery-canonical", "version": 1}
_STATUSES = frozenset(("charged", "unavailable", "canceled", "refunded"))


def is_canonical_header(first_line: bytes) -> bool:
    try:
        head = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(head, dict) and head.get("format") == HEADER["format"]


def _cents(value: Any, base: str, key: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_money(value)
    except ValueError as exc:
        raise PathError(f"{base}.{key}" if base else f"$.{key}", str(exc)) from exc


def _order(obj: Any, default_tz: str) -> ParsedOrder:
    node = Node(obj)
    order_id = node.req("order_id").text().strip()
    if not order_id:
        raise PathError("$.order_id", "order id is empty")
    local, offset = node.req("order_date").convert(lambda v: parse_date(v, default_tz))
    store = None
    s = obj.get("store")
    if s:
        if not isinstance(s, dict):
            raise PathError("$.store", "expected an object")
        store = ParsedStore(
            walmart_store_id=s.get("walmart_store_id"),
            name=s.get("name") or "Walmart",
            address=s.get("address"),
            city=s.get("city"),
            state=s.get("state"),
            zip=s.get("zip"),
        )
    order = ParsedOrder(
        order_id=order_id,
        order_date=local,
        utc_offset_minutes=offset,
        source_format=FORMAT,
        display_id=opt_text(node.get("display_id")),
        store=store,
        order_type=obj.get("order_type"),
        fulfillment_type=obj.get("fulfillment_type"),
        status=obj.get("status"),
        subtotal_cents=_cents(obj.get("subtotal"), "", "subtotal"),
        savings_cents=_cents(obj.get("savings"), "", "savings"),
        tax_cents=_cents(obj.get("tax"), "", "tax"),
        fees_cents=_cents(obj.get("fees"), "", "fees"),
        tip_cents=_cents(obj.get("tip"), "", "tip"),
        grand_total_cents=_cents(obj.get("grand_total"), "", "grand_total"),
    )
    lines = obj.get("lines") or []
    if not isinstance(lines, list):
        raise PathError("$.lines", "expected a list")
    append = order.lines.append
    for i, ln in enumerate(lines):
        if not isinstance(ln, dict):
            raise PathError(f"$.lines[{i}]", "expected an object")
        get = ln.get
        name = get("name")
        if not isinstance(name, str) or not name.strip():
            raise PathError(f"$.lines[{i}].name", "product name is missing or empty")
        raw_qty = get("quantity")
        if type(raw_qty) is int and 0 <= raw_qty <= MAX_QUANTITY:
            quantity = float(raw_qty)  # the common case, without the general parser
        else:
            try:
                quantity = parse_quantity(raw_qty)[0]
            except ValueError as exc:
                raise PathError(f"$.lines[{i}].quantity", str(exc)) from exc
        status = get("status", "charged")
        if status not in _STATUSES:
            raise PathError(f"$.lines[{i}].status", f"unknown line status {status!r}")
        base = f"$.lines[{i}]"
        unit_pricing = get("unit_pricing")
        append(
            ParsedLine(
                name,
                quantity,
                get("us_item_id"),
                _cents(get("unit_price"), base, "unit_price"),
                _cents(get("line_total"), base, "line_total"),
                _cents(get("original_price"), base, "original_price"),
                _cents(get("savings"), base, "savings"),
                status,
                get("substitute_for_us_item_id"),
                None,
                bool(get("weight_adjusted")),
                bool(get("sold_by_weight")) or str(unit_pricing or "").endswith("/lb"),
                unit_pricing,
            )
        )
    return order


def _parse_line(raw: bytes, number: int, file: str, default_tz: str) -> ParsedOrder | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            file, f"line {number}, byte {exc.start + 1}", "not UTF-8 text"
        ) from exc
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            file, f"line {number}, column {exc.colno}", f"invalid JSON ({exc.msg})"
        ) from exc
    if not isinstance(obj, dict):
        raise ImportRejected(file, f"line {number}", "expected one order object per line")
    try:
        order = _order(obj, default_tz)
    except PathError as exc:
        raise ImportRejected(file, f"line {number}, {exc.path}", exc.reason) from exc
    order.where = f"line {number}"
    return order


def iter_canonical(stream: Iterable[bytes], file: str, default_tz: str) -> Iterator[ParsedOrder]:
    """Yield orders from a canonical file; any bad line raises :class:`ImportRejected`."""
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            continue
        order = _parse_line(raw, number, file, default_tz)
        if order is not None:
            yield order


@dataclass
class Batch:
    """Consecutive whole lines of a canonical file; ``first_line`` is the number of the first."""

    first_line: int
    data: bytes

    @property
    def raw(self) -> list[bytes]:
        """The batch's lines (split only when the general parser needs them)."""
        lines = self.data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the newline that ends the last line
        return lines

    def parse(self, file: str, default_tz: str, only: set[str] | None = None) -> list[ParsedOrder]:
        """The general (per-line) parser: exact errors, every accepted spelling of a value."""
        orders = []
        for offset, raw in enumerate(self.raw):
            order = _parse_line(raw, self.first_line + offset, file, default_tz)
            if order is not None and (only is None or order.order_id in only):
                orders.append(order)
        return orders


BATCH_BYTES = 8 << 20


class Reader(Protocol):
    """What batching needs of a file: a binary file object, or a wrapper of one."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


def iter_batches(stream: Reader, batch_bytes: int = BATCH_BYTES) -> Iterator[Batch]:
    """The file's order lines (after the header) in batches of about ``batch_bytes``.

    The file is read in blocks cut at the last newline, never line by line: per-line Python
    here would hold the GIL the database inserts on the other thread need.
    """
    stream.readline()  # the header; the caller has checked it
    first, rest = 2, b""
    while block := stream.read(batch_bytes):
        data = rest + block if rest else block
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # a single line longer than a block: read on
            rest = data
            continue
        rest = data[cut:]
        batch = Batch(first, data[:cut] if rest else data)
        first += batch.data.count(b"\n")
        yield batch
    if rest:
        yield Batch(first, rest)


_MONEY_KEYS = ("subtotal", "savings", "tax", "fees", "tip", "grand_total")
_LINE_MONEY_KEYS = ("unit_price", "line_total", "original_price", "savings")
_STORE = pl.Struct(
    {k: pl.String for k in ("walmart_store_id", "name", "address", "city", "state", "zip")}
)
_LINE = pl.Struct(
    {
        "name": pl.String,
        "us_item_id": pl.String,
        "quantity": pl.Float64,
        **{k: pl.String for k in _LINE_MONEY_KEYS},
        "status": pl.String,
        "substitute_for_us_item_id": pl.String,
        "weight_adjusted": pl.Boolean,
        "sold_by_weight": pl.Boolean,
        "unit_pricing": pl.String,
    }
)
_SCHEMA: dict[str, Any] = {
    "order_id": pl.String,
    "display_id": pl.String,
    "order_date": pl.String,
    "order_type": pl.String,
    "fulfillment_type": pl.String,
    "status": pl.String,
    "store": _STORE,
    **{k: pl.String for k in _MONEY_KEYS},
    "lines": pl.List(_LINE),
}


def _arrow_type(dtype: pa.DataType) -> pa.DataType:
    """Arrow's JSON reader takes 32-bit offsets only (polars exports the 64-bit ones)."""
    if pa.types.is_large_string(dtype):
        return pa.string()
    if pa.types.is_large_list(dtype) or pa.types.is_list(dtype):
        return pa.list_(_arrow_type(dtype.value_type))
    if pa.types.is_struct(dtype):
        return pa.struct([pa.field(f.name, _arrow_type(f.type)) for f in dtype])
    return dtype


_ARROW_SCHEMA = pa.schema(
    [pa.field(f.name, _arrow_type(f.type)) for f in pl.DataFrame(schema=_SCHEMA).to_arrow().schema]
)
_ARROW_PARSE = pa_json.ParseOptions(
    explicit_schema=_ARROW_SCHEMA, unexpected_field_behavior="ignore"
)


def _read_frame(data: bytes) -> pl.DataFrame:
    """The batch's lines as one frame of ``_SCHEMA``; raises on bad JSON or a wrong type."""
    # One block per batch: smaller blocks cost more CPU than the parallelism they buy.
    options = pa_json.ReadOptions(block_size=max(1 << 20, len(data) + 1))
    table = pa_json.read_json(io.BytesIO(data), read_options=options, parse_options=_ARROW_PARSE)
    return pl.from_arrow(table)  # type: ignore[return-value]


_MONEY_RE = r"^\d{1,6}\.\d{2}$"  # at most $999,999.99: larger amounts take the general path
_DATE_RE = r"^(199\d|20\d\d)-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$"


def _cents_expr(column: str) -> pl.Expr:
    return pl.col(column).str.replace(".", "", literal=True).cast(pl.Int64).alias(f"{column}_cents")


def _money_ok(columns: tuple[str, ...]) -> pl.Expr:
    return pl.all_horizontal(
        [pl.col(c).is_null() | pl.col(c).str.contains(_MONEY_RE) for c in columns]
    )


def batch_frames(batch: Batch) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The batch as (orders, lines) frames when every value has the strict canonical spelling.

    This is the vectorised fast path (Arrow reads the JSON, polars converts money and dates for
    all rows at once). Anything unusual returns None and the caller uses :meth:`Batch.parse`,
    which accepts every valid spelling and names the line of any error.
    """
    try:
        frame = _read_frame(batch.data)
    except Exception:  # Arrow and polars raise several types for wrong types and bad JSON
        return None
    lines_in_batch = batch.data.count(b"\n") + (not batch.data.endswith(b"\n"))
    if frame.height != lines_in_batch or frame["order_id"].n_unique() != frame.height:
        return None  # blank lines or repeated orders: let the general path merge them
    checks = frame.select(
        (pl.col("order_id").str.strip_chars().str.len_chars() > 0).all(),
        pl.col("order_date").str.contains(_DATE_RE).all(),
        _money_ok(_MONEY_KEYS).all(),
    ).row(0)
    if not all(checks):
        return None
    lines = (
        frame.select("order_id", "lines")
        .with_columns(pl.int_ranges(1, pl.col("lines").list.len() + 1).alias("line_no"))
        .explode("lines", "line_no")
        .filter(pl.col("lines").is_not_null())
        .unnest("lines")
    )
    line_checks = lines.select(
        (pl.col("name").str.strip_chars().str.len_chars() > 0).all(),
        pl.col("quantity").is_between(0, MAX_QUANTITY).all(),
        pl.col("status").fill_null("charged").is_in(list(_STATUSES)).all(),
        _money_ok(_LINE_MONEY_KEYS).all(),
    ).row(0)
    if lines.height and not all(line_checks):
        return None
    try:
        orders = frame.with_columns(
            pl.col("order_date").str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S"),
            (
                pl.when(pl.col("order_date").str.slice(19, 1) == "-").then(-1).otherwise(1)
                * (
                    pl.col("order_date").str.slice(20, 2).cast(pl.Int32) * 60
                    + pl.col("order_date").str.slice(23, 2).cast(pl.Int32)
                )
            ).alias("utc_offset_minutes"),
            *[_cents_expr(c) for c in _MONEY_KEYS],
        ).drop("lines", *_MONEY_KEYS)
    except Exception:  # an impossible date such as 2025-02-30
        return None
    lines = lines.with_columns(
        pl.col("status").fill_null("charged"),
        pl.col("weight_adjusted").fill_null(False),
        (
            pl.col("sold_by_weight").fill_null(False)
            | pl.col("unit_pricing").str.ends_with("/lb").fill_null(False)
        ).alias("sold_by_weight"),
        *[_cents_expr(c) for c in _LINE_MONEY_KEYS],
    ).drop(*_LINE_MONEY_KEYS)
    return orders, lines


_DONE = object()


def parsed_batches(
    stream: Reader, batch_bytes: int = BATCH_BYTES
) -> Iterator[tuple[Batch, tuple[pl.DataFrame, pl.DataFrame] | None]]:
    """Each batch with its frames (or None), parsed one batch ahead on a worker thread.

    Parsing (Arrow and polars, which release the GIL) then overlaps with the caller's database
    inserts (sqlite3 releases the GIL while stepping): on two cores the import costs about the
    larger of the two instead of their sum. At most two parsed batches wait, so memory stays flat.
    """
    queue: Queue[object] = Queue(maxsize=2)
    stop = threading.Event()

    def put(item: object) -> bool:
        """Queue ``item`` unless the consumer has gone; False once it has."""
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in iter_batches(stream, batch_bytes):
                if not put((batch, batch_frames(batch))):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    worker = threading.Thread(target=produce, name="canonical-parser", daemon=True)
    worker.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
