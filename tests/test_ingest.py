"""``import_files`` against SQLite and a real PostgreSQL server, on the real Walmart shapes."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from walmart_lib.db import ImportLog, Order, OrderLine, Product, Store, data_version
from walmart_lib.ingest import detect_format, import_files
from walmart_lib.stats import database_stats

FIXTURES = Path(__file__).parent / "fixtures" / "walmart_formats"
DETAIL = FIXTURES / "order-detail.json"
HISTORY = FIXTURES / "purchase-history.json"
HYPERLINK_NAME = '=HYPERLINK Product "Deal", 2-pack'

ORDERS_HEADER = (
    "Order Number,Order Date,Items,Address Recipient,Shipping Address,Delivery Instructions,"
    "Payment Method,Payment Messages,Payment Split,Subtotal (Before Savings),Savings,Subtotal,"
    "Delivery Charges,Bag Fee,Tax,Tip,Refund,Donations,Order Total,Seller(s),Fulfillment,"
    "Delivered Date,Tracking Numbers,Receipt Barcode URL,Order Type"
)
ITEMS_HEADER = "Order Number,Order Date,Product Name,Quantity,Price,Delivery Status,Product Link"


def write(path: Path, text: str, bom: bool = True) -> Path:
    data = text.replace("\n", "\r\n").encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def items_csv(tmp_path: Path, rows: list[str], name: str = "Walmart_Order_Items.csv") -> Path:
    return write(tmp_path / name, "\n".join([ITEMS_HEADER, *rows]) + "\n")


def detail_doc() -> dict[str, Any]:
    return json.loads(DETAIL.read_text())


def order_of(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["props"]["pageProps"]["initialData"]["data"]["order"]  # type: ignore[no-any-return]


def save(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


def one(engine: Engine, stmt: Any) -> Any:
    """The single ORM object a select returns."""
    with Session(engine) as session:
        return session.scalars(stmt).one()


def counts(engine: Engine) -> tuple[int, int, int, int]:
    s = database_stats(engine)
    return s.orders, s.products, s.lines, s.stores


def test_order_detail_to_the_cent(engine: Engine) -> None:
    report = import_files([DETAIL], engine)
    assert report.ok
    stats = database_stats(engine)
    assert str(stats.items_spend) == "9.58"  # milk $7.96 + bananas $1.62; canceled not spend
    with engine.connect() as conn:
        lines = conn.execute(
            select(
                OrderLine.name, OrderLine.line_total_cents, OrderLine.status, OrderLine.quantity
            ).order_by(OrderLine.line_no)
        ).all()
    order = one(engine, select(Order))
    assert [(n, c, s) for n, c, s, _ in lines] == [
        ("Great Value Milk 1 Gallon", 796, "charged"),
        ("Bananas, each", 162, "charged"),
        (HYPERLINK_NAME, 1112, "canceled"),  # stored verbatim, never as a formula
    ]
    assert order.subtotal_cents == 1853
    assert order.tax_cents == 114
    assert order.fees_cents == 25  # $0.00 delivery + $0.25 bag fee
    assert order.tip_cents == 400
    assert order.grand_total_cents == 2411
    assert order.utc_offset_minutes == -240
    assert order.order_date.isoformat() == "2026-07-01T14:23:00"


def test_subtotal_mismatch_is_recorded_and_reported(engine: Engine) -> None:
    report = import_files([DETAIL], engine)
    (warning,) = report.files[0].warnings
    assert "$9.58" in warning and "$18.53" in warning and "200010000000042" in warning
    with engine.connect() as conn:
        stored = json.loads(conn.execute(select(Order.warnings)).scalar_one())
    assert stored == [warning.split(": ", 1)[1]]


def test_matching_subtotal_gives_no_warning(engine: Engine, tmp_path: Path) -> None:
    doc = detail_doc()
    order_of(doc)["priceDetails"]["subTotal"]["displayValue"] = "$9.58"
    report = import_files([save(tmp_path / "ok.json", doc)], engine)
    assert report.ok and report.files[0].warnings == []


def test_purchase_history_ids_duplicates_and_enrichment(engine: Engine) -> None:
    report = import_files([HISTORY], engine)
    assert report.ok
    assert report.files[0].orders_added == 2  # the duplicate render becomes one order
    with engine.connect() as conn:
        ids = set(conn.execute(select(Order.id)).scalars())
        assert ids == {"200010000000042", "77501234567890123456"}  # 20 digits kept as text
    in_store = one(engine, select(Order).where(Order.id == "77501234567890123456"))
    assert in_store.order_type == "IN_STORE" and in_store.has_prices is False
    before = counts(engine)

    report = import_files([DETAIL], engine)
    assert report.files[0].orders_added == 0 and report.files[0].orders_updated == 1
    orders, products, lines, _stores = counts(engine)
    assert orders == before[0]  # enriched, not duplicated
    assert products == 4  # milk and bananas matched by name, got their item ids
    with engine.connect() as conn:
        milk = conn.execute(select(Product.name).where(Product.us_item_id == "10450114"))
        assert milk.scalar_one() == "Great Value Milk 1 Gallon"
        priced = conn.execute(
            select(func.count())
            .select_from(OrderLine)
            .where(OrderLine.order_id == "200010000000042", OrderLine.line_total_cents.is_not(None))
        ).scalar_one()
        assert priced == 3
    assert lines == 4


def test_reimport_is_idempotent_in_any_order(engine: Engine) -> None:
    import_files([DETAIL, HISTORY], engine)
    first = database_stats(engine)
    version = data_version(engine)
    report = import_files([HISTORY, DETAIL], engine)
    assert report.ok
    assert database_stats(engine) == first
    assert report.total("orders_added") == 0 and report.total("lines_added") == 0
    assert data_version(engine) == version  # nothing changed, caches stay valid


def test_same_order_from_two_formats_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    import_files([DETAIL], engine)
    first = database_stats(engine)
    csv_file = items_csv(
        tmp_path,
        [
            "2000100-00000042,2026-07-01,Great Value Milk 1 Gallon,2,7.96,Delivered,"
            "https://www.walmart.com/ip/10450114",
            '2000100-00000042,2026-07-01,"Bananas, each",6,1.62,Delivered,'
            "https://www.walmart.com/ip/44390948",
        ],
    )
    report = import_files([csv_file], engine)
    assert report.ok, report
    assert database_stats(engine) == first


def test_exporter_csv_pair_either_alone_then_both(engine: Engine, tmp_path: Path) -> None:
    orders_file = write(
        tmp_path / "Walmart_Orders.csv",
        ORDERS_HEADER
        + "\n"
        + '2000100-00000099,2025-03-24,2,Someone,"1 Main St, Greer SC",Door,VISA ending 1234,,,'
        "12.50,0.50,12.00,0.00,0.00,0.72,3.00,0.00,0.00,15.72,Walmart.com,Delivery,"
        "2025-03-25,,,GLASS\n",
    )
    report = import_files([orders_file], engine)
    assert report.ok and report.files[0].format == "exporter-orders-csv"
    order = one(engine, select(Order))
    assert order.id == "200010000000099"
    assert (order.subtotal_cents, order.tax_cents, order.tip_cents) == (1200, 72, 300)
    assert order.grand_total_cents == 1272  # the exporter's total includes the tip; ours not
    items_file = items_csv(
        tmp_path,
        [
            '2000100-00000099,"Mar 24, 2025",Great Value Large White Eggs 12 Count,2,7.00,'
            "Delivered,https://www.walmart.com/ip/Great-Value-Eggs/145051970",
            f'2000100-00000099,"Mar 24, 2025","{HYPERLINK_NAME.replace(chr(34), chr(34) * 2)}",'
            "1,5.00,Delivered,",
        ],
    )
    report = import_files([items_file], engine)
    assert report.ok and report.files[0].orders_updated == 1
    stats = database_stats(engine)
    assert (stats.orders, stats.lines, str(stats.items_spend)) == (1, 2, "12.00")
    with engine.connect() as conn:
        names = set(conn.execute(select(Product.name)).scalars())
        item_ids = set(conn.execute(select(Product.us_item_id)).scalars())
    assert HYPERLINK_NAME in names
    assert "145051970" in item_ids


def test_exporter_xlsx(engine: Engine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Orders"
    sheet.append(ORDERS_HEADER.split(","))
    sheet.append(
        ["200010000000077", "2025-04-02"]
        + [""] * 9
        + ["5.00", "", "", "0.30", ""]
        + ["", "", "5.30"]
        + [""] * 6
    )
    items = book.create_sheet("Order Items")
    items.append(ITEMS_HEADER.split(","))
    items.append(
        [
            "200010000000077",
            "2025-04-02",
            "Bananas, each",
            5,
            1.35,
            "Delivered",
            "https://www.walmart.com/ip/44390948",
        ]
    )
    items.append(
        [
            "200010000000077",
            "2025-04-02",
            "Fresh Gala Apples, per lb",
            "1.5 lb",
            3.65,
            "Delivered",
            "",
        ]
    )
    path = tmp_path / "export.xlsx"
    book.save(path)
    assert detect_format(path) == "exporter-xlsx"
    report = import_files([path], engine)
    assert report.ok, report
    stats = database_stats(engine)
    assert (stats.orders, stats.lines, str(stats.items_spend)) == (1, 2, "5.00")
    assert report.files[0].warnings == []
    with engine.connect() as conn:
        apples = conn.execute(
            select(Product.size_unit, OrderLine.quantity)
            .join(OrderLine, OrderLine.product_id == Product.id)
            .where(Product.name.like("%Apples%"))
        ).one()
    assert tuple(apples) == ("lb", 1.5)


def test_xlsx_order_number_mangled_by_a_spreadsheet_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ITEMS_HEADER.split(","))
    sheet.append([77501234567890123456.0, "2025-04-02", "Milk", 1, 3.0, "Delivered", ""])
    path = tmp_path / "mangled.xlsx"
    book.save(path)
    report = import_files([path], engine)
    assert not report.ok
    assert "row 2" in (report.files[0].error or "")
    assert "spreadsheet" in (report.files[0].error or "")


def test_scraped_order_json(engine: Engine, tmp_path: Path) -> None:
    doc = [
        {
            "orderNumber": "1234567890",
            "orderDate": "Mar 24, 2025",
            "storeLocation": {
                "name": "Greer Supercenter",
                "address": "1 Way",
                "city": "Greer",
                "state": "SC",
                "zip": "29651",
            },
            "fulfillmentType": "Pickup",
            "itemsReceived": [
                {
                    "name": "Great Value Whole Milk, 1 Gallon",
                    "quantity": "2",
                    "price": "$6.54",
                    "unitPricing": "2.6¢/fl oz",
                    "type": "shopped",
                },
                {"name": "Bananas, each", "quantity": 5, "unitPrice": 0.27},
                {
                    "name": "Fresh Gala Apples, per lb",
                    "quantity": "1.5 lb",
                    "totalPrice": "$3.65",
                    "type": "weight-adjusted",
                },
                {
                    "name": "Great Value 2% Milk, 1 Gallon",
                    "quantity": 1,
                    "currentPrice": "3.27",
                    "originalPrice": "3.47",
                    "savings": "0.20",
                    "type": "substitution",
                    "substitutedFor": {"name": "Great Value Whole Milk, 1 Gallon"},
                },
            ],
            "unavailableItems": [{"name": "Marketside Baby Spinach, 10 oz", "quantity": 1}],
            "paymentDetails": {
                "subtotal": "$14.81",
                "tax": "$0.89",
                "total": "$15.70",
                "cardLast4": "1234",
            },
        }
    ]
    report = import_files([save(tmp_path / "scraped.json", doc)], engine)
    assert report.ok, report
    assert report.files[0].format == "scraped-order-json"
    assert report.files[0].warnings == []  # 6.54 + 1.35 + 3.65 + 3.27 = 14.81
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                OrderLine.status,
                OrderLine.weight_adjusted,
                OrderLine.line_total_cents,
                OrderLine.substitute_for_product_id,
                OrderLine.savings_cents,
            ).order_by(OrderLine.line_no)
        ).all()
        store = conn.execute(select(Store.city, Store.zip)).one()
    assert [r.status for r in rows] == ["charged"] * 4 + ["unavailable"]
    assert rows[2].weight_adjusted is True and rows[1].line_total_cents == 135
    assert rows[3].substitute_for_product_id is not None and rows[3].savings_cents == 20
    assert tuple(store) == ("Greer", "29651")


def test_canonical_format(engine: Engine, tmp_path: Path) -> None:
    order = {
        "order_id": "C1",
        "order_date": "2025-05-01T09:30:00-04:00",
        "order_type": "GLASS",
        "fulfillment_type": "PICKUP",
        "status": "Picked up",
        "store": {
            "walmart_store_id": "1234",
            "name": "Spartanburg Supercenter",
            "address": "1 Main",
            "city": "Spartanburg",
            "state": "SC",
            "zip": "29301",
        },
        "subtotal": "10.00",
        "savings": "0.00",
        "tax": "0.60",
        "fees": "0.00",
        "tip": "0.00",
        "grand_total": "10.60",
        "lines": [
            {
                "name": "Great Value Large White Eggs, 12 Count",
                "us_item_id": "145051970",
                "quantity": 2,
                "unit_price": "3.00",
                "line_total": "6.00",
                "status": "charged",
            },
            {
                "name": "Bananas, each",
                "us_item_id": "44390948",
                "quantity": 4,
                "unit_price": "1.00",
                "line_total": "4.00",
                "status": "charged",
            },
        ],
    }
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({"format": "walmart-grocery-canonical", "version": 1})
        + "\n"
        + json.dumps(order)
        + "\n"
    )
    assert detect_format(path) == "canonical"
    report = import_files([path], engine)
    assert report.ok
    assert counts(engine) == (1, 2, 2, 1)
    assert import_files([path], engine).files[0].orders_unchanged == 1


BadFile = Callable[[Path], Path]


def _truncated(tmp: Path) -> Path:
    (tmp / "truncated.json").write_text(DETAIL.read_text()[:700])
    return tmp / "truncated.json"


def _wrong_type(tmp: Path) -> Path:
    doc = detail_doc()
    order_of(doc)["groups_2101"][0]["items"][1]["quantity"] = {"value": 6}
    return save(tmp / "wrong_type.json", doc)


def _negative(tmp: Path) -> Path:
    doc = detail_doc()
    order_of(doc)["groups_2101"][0]["items"][0]["quantity"] = -2
    return save(tmp / "negative.json", doc)


def _absurd(tmp: Path) -> Path:
    doc = detail_doc()
    order_of(doc)["groups_2101"][0]["items"][0]["quantity"] = 1e9
    return save(tmp / "absurd.json", doc)


def _no_id(tmp: Path) -> Path:
    doc = detail_doc()
    del order_of(doc)["id"]
    return save(tmp / "no_id.json", doc)


def _not_utf8(tmp: Path) -> Path:
    data = DETAIL.read_bytes().replace(b"Bananas", b"Bananas \xff\xfe")
    (tmp / "latin.json").write_bytes(data)
    return tmp / "latin.json"


def _empty(tmp: Path) -> Path:
    (tmp / "empty.json").write_bytes(b"")
    return tmp / "empty.json"


def _directory(tmp: Path) -> Path:
    (tmp / "a_folder").mkdir()
    return tmp / "a_folder"


def _unknown_json(tmp: Path) -> Path:
    return save(tmp / "unknown.json", {"hello": "world"})


def _unknown_text(tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("buy milk\n")
    return tmp / "notes.txt"


def _bad_csv_row(tmp: Path) -> Path:
    return items_csv(
        tmp,
        [
            "2000100-00000042,2026-07-01,Milk,2,7.96,Delivered,",
            "2000100-00000042,2026-07-01,Eggs,two,3.00,Delivered,",
        ],
    )


@pytest.mark.parametrize(
    ("make", "where", "reason"),
    [
        (_truncated, "line ", "invalid JSON"),
        (
            _wrong_type,
            "$.props.pageProps.initialData.data.order.groups_2101[0].items[1].quantity",
            "quantity expected",
        ),
        (_negative, "groups_2101[0].items[0].quantity", "negative quantity"),
        (_absurd, "groups_2101[0].items[0].quantity", "absurd quantity"),
        (_no_id, "$.props.pageProps.initialData.data.order.id", "required field is missing"),
        (_not_utf8, "byte ", "not UTF-8"),
        (_empty, "", "empty"),
        (_directory, "", "directory"),
        (_unknown_json, "$", "unknown shape"),
        (_unknown_text, "", "unknown format"),
        (_bad_csv_row, "line 3, column 'Quantity'", "not a quantity"),
    ],
)
def test_bad_files_are_refused_with_file_position_and_reason(
    engine: Engine, tmp_path: Path, make: BadFile, where: str, reason: str
) -> None:
    bad = make(tmp_path)
    report = import_files([bad, HISTORY], engine)
    rejected, good = report.files
    assert rejected.status == "rejected" and good.ok  # the other file still imports
    assert rejected.error is not None
    assert rejected.error.startswith(bad.name)
    assert where in rejected.error and reason in rejected.error
    assert not report.ok
    assert counts(engine)[0] == 2  # only the good file's orders
    with engine.connect() as conn:
        log = conn.execute(select(ImportLog.status, ImportLog.file_name)).all()
    assert ("rejected", bad.name) in [tuple(r) for r in log]


def test_a_bad_line_late_in_a_file_rolls_back_the_whole_file(
    engine: Engine, tmp_path: Path
) -> None:
    good = {
        "order_id": "G",
        "order_date": "2025-05-01",
        "lines": [{"name": "Milk", "quantity": 1, "line_total": "3.00", "status": "charged"}],
    }
    lines = [json.dumps({"format": "walmart-grocery-canonical", "version": 1})]
    for i in range(4500):  # more than one loader chunk, so earlier chunks were inserted
        lines.append(json.dumps({**good, "order_id": f"G{i}"}))
    lines.append(
        json.dumps(
            {
                **good,
                "order_id": "BAD",
                "lines": [{"name": "Milk", "quantity": -1, "status": "charged"}],
            }
        )
    )
    path = tmp_path / "late_error.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_files([path], engine)
    assert not report.ok
    assert "line 4502" in (report.files[0].error or "")
    assert counts(engine) == (0, 0, 0, 0)


def test_size_limit_is_configurable(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from walmart_lib.config import get_settings

    monkeypatch.setenv("WALMART_MAX_IMPORT_BYTES", "1000")
    get_settings.cache_clear()
    report = import_files([DETAIL], engine)
    assert not report.ok
    assert "over the 0.0 MB import limit" in (report.files[0].error or "")
    assert counts(engine) == (0, 0, 0, 0)


def test_no_personal_data_is_stored(engine: Engine) -> None:
    import_files([DETAIL, HISTORY], engine)
    with engine.connect() as conn:
        dump = json.dumps(
            [
                [list(map(str, row)) for row in conn.execute(select(table))]
                for table in (Order, OrderLine, Product, Store, ImportLog)
            ]
        )
    for secret in (
        "Test Customer",
        "123 Main St",
        "ending in 1234",
        "VISA",
        "GIFTCARD",
        "Leave at door",
        "1Z999AA10123456784",
        "Springfield",
    ):
        assert secret not in dump


def test_session_import_uses_savepoints(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        report = import_files([DETAIL, _empty(tmp_path)], session)
        assert [f.status for f in report.files] == ["imported", "rejected"]
        session.commit()
    assert counts(engine)[0] == 1


def test_deep_copy_of_fixture_unchanged() -> None:
    # The importer must never mutate what it reads (fixtures are shared between tests).
    doc = detail_doc()
    snapshot = copy.deepcopy(doc)
    from walmart_lib.ingest.walmart_json import parse_order_page

    parse_order_page(doc, "America/New_York")
    assert doc == snapshot


def test_substitute_links_to_an_original_listed_after_it(engine: Engine, tmp_path: Path) -> None:
    order = {
        "order_id": "S1",
        "order_date": "2025-05-01T09:30:00-04:00",
        "subtotal": "3.27",
        "lines": [
            {
                "name": "Great Value 2% Milk, 1 Gallon",
                "us_item_id": "200",
                "quantity": 1,
                "line_total": "3.27",
                "status": "charged",
                "substitute_for_us_item_id": "100",
            },
            {
                "name": "Great Value Whole Milk, 1 Gallon",
                "us_item_id": "100",
                "quantity": 1,
                "line_total": "3.47",
                "status": "unavailable",
            },
        ],
    }
    path = tmp_path / "sub.jsonl"
    path.write_text(
        json.dumps({"format": "walmart-grocery-canonical", "version": 1})
        + "\n"
        + json.dumps(order)
        + "\n"
    )
    assert import_files([path], engine).ok
    with engine.connect() as conn:
        original = conn.execute(select(Product.id).where(Product.us_item_id == "100")).scalar()
        linked = conn.execute(
            select(OrderLine.substitute_for_product_id).where(OrderLine.line_no == 1)
        ).scalar()
    assert original is not None and linked == original


def test_the_import_log_holds_each_files_sha256(engine: Engine, tmp_path: Path) -> None:
    # The hash is computed on a side thread while the file imports; it must still be exact.
    bad = tmp_path / "broken.json"
    bad.write_text('{"order": ')
    missing = tmp_path / "missing.json"
    import_files([HISTORY, bad, missing], engine)
    with engine.connect() as conn:
        log = {r.file_name: r for r in conn.execute(select(ImportLog))}
    assert log[HISTORY.name].file_hash == hashlib.sha256(HISTORY.read_bytes()).hexdigest()
    assert log[HISTORY.name].status == "imported"
    assert log[bad.name].file_hash == hashlib.sha256(bad.read_bytes()).hexdigest()
    assert log[bad.name].status == "rejected"
    assert log[missing.name].file_hash == "-"  # nothing to hash
