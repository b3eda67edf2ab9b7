"""The canonical fast path (polars, column-wise) stores exactly what the general parser does."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from walmart_lib.db import Order, OrderLine, Product, Store, make_engine
from walmart_lib.db.schema import ensure_schema
from walmart_lib.ingest import canonical, import_files
from walmart_lib.ingest.generate import write_dataset
from walmart_lib.ingest.loader import Loader


def _dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    tables = {
        "orders": select(*[c for c in Order.__table__.c if c.name != "imported_at"]).order_by(
            Order.id
        ),
        "lines": select(*[c for c in OrderLine.__table__.c if c.name != "id"]).order_by(
            OrderLine.order_id, OrderLine.line_no
        ),
        "products": select(Product.__table__).order_by(Product.us_item_id),
        "stores": select(Store.__table__).order_by(Store.walmart_store_id),
    }
    with engine.connect() as conn:
        dump = {k: [tuple(r) for r in conn.execute(q)] for k, q in tables.items()}
    # Product and store ids depend on insertion order; compare them by item id / store id.
    products = {r[0]: r[1] for r in _ids(engine, "SELECT id, us_item_id FROM products")}
    dump["lines"] = [
        (*r[:2], products[r[2]], *r[3:10], products.get(r[10]), *r[11:]) for r in dump["lines"]
    ]
    dump["products"] = [r[1:] for r in dump["products"]]
    stores = {r[0]: r[1] for r in _ids(engine, "SELECT id, walmart_store_id FROM stores")}
    dump["orders"] = [(*r[:4], stores.get(r[4]), *r[5:]) for r in dump["orders"]]
    dump["stores"] = [r[1:] for r in dump["stores"]]
    return dump


def _ids(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_fast_path_equals_general_parser(tmp_path: Path) -> None:
    data = tmp_path / "history.jsonl"
    write_dataset(data, orders=600, seed=11)
    fast = make_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    ensure_schema(fast)
    assert import_files([data], fast).ok
    general = make_engine(f"sqlite:///{tmp_path / 'general.db'}")
    ensure_schema(general)
    with general.begin() as conn, data.open("rb") as fh:
        loader = Loader(conn)
        for batch in canonical.iter_batches(fh):
            assert canonical.batch_frames(batch) is not None  # the generator's output is strict
            loader.load(batch.parse(data.name, "America/New_York"))
    assert _dump(fast) == _dump(general)


def test_fast_path_declines_unusual_spellings_and_the_general_parser_accepts_them(
    tmp_path: Path, engine: Engine
) -> None:
    header = json.dumps({"format": "walmart-grocery-canonical", "version": 1})
    order = {
        "order_id": "U1",
        "order_date": "Mar 24, 2025",
        "subtotal": "$3.00",
        "lines": [{"name": "Milk", "quantity": "2", "line_total": "3.00"}],
    }
    path = tmp_path / "unusual.jsonl"
    path.write_text(header + "\n" + json.dumps(order) + "\n")
    with path.open("rb") as fh:
        (batch,) = list(canonical.iter_batches(fh))
    assert canonical.batch_frames(batch) is None
    report = import_files([path], engine)
    assert report.ok and report.files[0].orders_added == 1
    with engine.connect() as conn:
        assert conn.execute(select(OrderLine.quantity)).scalar_one() == 2.0


_STRICT = {
    "order_id": "T1",
    "order_date": "2025-03-01T10:00:00-05:00",
    "subtotal": "3.00",
    "lines": [{"name": "Milk", "quantity": 2, "line_total": "3.00"}],
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subtotal", 3.0),  # money as a number
        ("order_id", 123),
        ("store", "Greer"),  # a store must be an object
        ("lines", {"name": "Milk"}),  # lines must be a list
        ("line.quantity", "2"),
        ("line.quantity", True),
        ("line.weight_adjusted", "true"),
        ("line.weight_adjusted", 1),
        ("line.name", 5),
    ],
)
def test_fast_path_declines_every_wrong_json_type(field: str, value: object) -> None:
    # The JSON reader must never coerce a value: anything off the strict spelling is the
    # general parser's to accept (with its rules) or reject (naming the line).
    order = json.loads(json.dumps(_STRICT))
    if field.startswith("line."):
        order["lines"][0][field[5:]] = value
    else:
        order[field] = value
    assert canonical.batch_frames(canonical.Batch(2, json.dumps(order).encode() + b"\n")) is None
    strict = canonical.Batch(2, json.dumps(_STRICT).encode() + b"\n")
    frames = canonical.batch_frames(strict)
    assert frames is not None and frames[1]["quantity"].to_list() == [2.0]


def test_fast_path_enriches_known_orders_and_warns_on_mismatch(
    tmp_path: Path, engine: Engine
) -> None:
    header = json.dumps({"format": "walmart-grocery-canonical", "version": 1})
    first = {"order_id": "E1", "order_date": "2025-05-01T09:30:00-04:00", "lines": []}
    path = tmp_path / "first.jsonl"
    path.write_text(header + "\n" + json.dumps(first) + "\n")
    assert import_files([path], engine).ok
    second = {
        **first,
        "subtotal": "5.00",
        "lines": [
            {
                "name": "Milk",
                "us_item_id": "1",
                "quantity": 1,
                "line_total": "3.00",
                "status": "charged",
            }
        ],
    }
    fresh = {
        "order_id": "E2",
        "order_date": "2025-05-02T09:30:00-04:00",
        "subtotal": "9.00",
        "lines": [{"name": "Eggs", "us_item_id": "2", "quantity": 3, "line_total": "9.00"}],
    }
    path2 = tmp_path / "second.jsonl"
    path2.write_text(header + "\n" + json.dumps(second) + "\n" + json.dumps(fresh) + "\n")
    report = import_files([path2], engine)
    result = report.files[0]
    assert (result.orders_added, result.orders_updated, result.lines_added) == (1, 1, 2)
    assert result.warnings == [
        "order E1: charged lines sum to $3.00 but the order states a subtotal of $5.00 "
        "(difference $2.00)"
    ]


def _file(n: int) -> io.BytesIO:
    header = json.dumps({"format": "walmart-grocery-canonical", "version": 1}).encode() + b"\n"
    order = {"order_id": "X", "order_date": "2025-05-01T09:30:00-04:00", "lines": []}
    body = b"".join(json.dumps({**order, "order_id": f"X{i}"}).encode() + b"\n" for i in range(n))
    return io.BytesIO(header + body)


def test_parsed_batches_stream_everything_in_order() -> None:
    batches = list(canonical.parsed_batches(_file(25), batch_bytes=300))
    assert len(batches) > 3  # small blocks: several batches, each of whole lines
    got = [i for _batch, frames in batches if frames is not None for i in frames[0]["order_id"]]
    assert got == [f"X{i}" for i in range(25)]


def test_batches_number_lines_across_block_boundaries() -> None:
    # Block sizes that cut lines anywhere, including smaller than one line.
    for size in (1, 7, 64, 100, 1 << 20):
        batches = list(canonical.iter_batches(_file(12), batch_bytes=size))
        numbered = [(b.first_line + k, raw) for b in batches for k, raw in enumerate(b.raw)]
        assert [n for n, _ in numbered] == list(range(2, 14))
        assert [json.loads(raw)["order_id"] for _, raw in numbered] == [f"X{i}" for i in range(12)]


def test_a_bad_line_is_named_by_its_number_in_a_later_batch(tmp_path: Path, engine: Engine) -> None:
    data = _file(40).getvalue().replace(b'"order_id": "X33"', b'"order_id": "X33",,')
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    report = import_files([path], engine)
    assert not report.ok
    assert "line 35" in (report.files[0].error or "")  # header is line 1, X0 is line 2


def test_a_file_without_a_final_newline_keeps_its_last_order(
    tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "no-newline.jsonl"
    path.write_bytes(_file(3).getvalue().rstrip(b"\n"))
    report = import_files([path], engine)
    assert report.ok and report.files[0].orders_added == 3


def test_parsed_batches_pass_reader_errors_on_and_stop_cleanly() -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            if self.tell() > 1000:
                raise OSError("disk went away")
            return super().read(size)

    seen = 0
    try:
        for _batch, _frames in canonical.parsed_batches(Broken(_file(40).getvalue()), 500):
            seen += 1
    except OSError as exc:
        assert "disk went away" in str(exc)
    else:
        raise AssertionError("the reader's error was swallowed")
    assert seen >= 1
    # A consumer that stops early must not leave the worker blocked (this returns at all).
    for _ in canonical.parsed_batches(_file(100), batch_bytes=100):
        break
