"""Typed SQLAlchemy 2 models: the one schema every part of the product reads and writes.

Money is stored as integer cents (``*_cents`` columns, BIGINT) so no binary float ever holds a
price; frames built from these tables convert to dollars in one place
(:mod:`walmart_lib.analytics_frames`).
Order ids are TEXT because in-store ids are 20-21 digits. Constraint names come from the
metadata naming convention so migrations can refer to them on every backend. No personal data
(payment cards, customer names, delivery addresses, pickup persons) has a column here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "LINE_STATUSES",
    "OVERALL_BUDGET",
    "AppMeta",
    "Base",
    "Budget",
    "GroceryList",
    "ImportLog",
    "ListItem",
    "NlpQueryLog",
    "Order",
    "OrderLine",
    "Product",
    "Store",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Line statuses. Only ``charged`` lines count as spend or as a price paid.
LINE_STATUSES = ("charged", "unavailable", "canceled", "refunded")
#: Budget category meaning "all categories together".
OVERALL_BUDGET = "all"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Store(Base):
    """A Walmart store (or the online fulfilment "store" when no store is named)."""

    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    walmart_store_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))

    orders: Mapped[list[Order]] = relationship(back_populates="store")


class Product(Base):
    """A catalogue product; the same ``us_item_id`` is always the same product."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    us_item_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    #: Normalised name used for matching names that have no ``us_item_id``.
    name_key: Mapped[str] = mapped_column(String(500), index=True)
    brand: Mapped[str | None] = mapped_column(String(100))
    size_value: Mapped[float | None] = mapped_column(Float)
    size_unit: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(40), default="other", index=True)


class Order(Base):
    """One order: online (``GLASS``) or in store. Totals as stated by the source, in cents."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_id: Mapped[str | None] = mapped_column(String(60))
    #: Local wall-clock time of the order as Walmart states it (naive), so "which day" and
    #: "which month" need no conversion; ``utc_offset_minutes`` keeps the zone (-240 = EDT).
    order_date: Mapped[datetime] = mapped_column(DateTime(timezone=False), index=True)
    utc_offset_minutes: Mapped[int | None] = mapped_column(Integer)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    order_type: Mapped[str | None] = mapped_column(String(20))
    fulfillment_type: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str | None] = mapped_column(String(60))
    subtotal_cents: Mapped[int | None] = mapped_column(BigInteger)
    savings_cents: Mapped[int | None] = mapped_column(BigInteger)
    tax_cents: Mapped[int | None] = mapped_column(BigInteger)
    fees_cents: Mapped[int | None] = mapped_column(BigInteger)
    tip_cents: Mapped[int | None] = mapped_column(BigInteger)
    grand_total_cents: Mapped[int | None] = mapped_column(BigInteger)
    source_format: Mapped[str] = mapped_column(String(30))
    #: True when the source gave line prices (order detail, CSV, ...); purchase-history lacks them.
    has_prices: Mapped[bool] = mapped_column(Boolean, default=True)
    #: JSON list of human-readable warnings (e.g. subtotal mismatch), or NULL.
    warnings: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    store: Mapped[Store | None] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )


class OrderLine(Base):
    """One line of an order, with the name as written and the price paid (cents)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        # Written as OR-ed equalities, not IN (...): SQLite evaluates this per inserted row,
        # and the IN form measured ~20% of a bulk import's time.
        CheckConstraint(" OR ".join(f"status = '{s}'" for s in LINE_STATUSES), name="line_status"),
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        Index("ix_order_lines_product_order", "product_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[float] = mapped_column(Float)
    unit_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    line_total_cents: Mapped[int | None] = mapped_column(BigInteger)
    original_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    savings_cents: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="charged")
    substitute_for_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    weight_adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The unit-price string as shown by the source, e.g. "21.3¢/fl oz".
    unit_pricing: Mapped[str | None] = mapped_column(String(40))

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(foreign_keys=[product_id])


class GroceryList(Base):
    """A named grocery list."""

    __tablename__ = "grocery_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    items: Mapped[list[ListItem]] = relationship(
        back_populates="grocery_list", cascade="all, delete-orphan", order_by="ListItem.id"
    )


class ListItem(Base):
    """An item on a list: a matched product, or free text not matched yet."""

    __tablename__ = "list_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("grocery_lists.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    text: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[float] = mapped_column(Float, default=1.0)
    unit: Mapped[str | None] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    grocery_list: Mapped[GroceryList] = relationship(back_populates="items")
    product: Mapped[Product | None] = relationship()


class Budget(Base):
    """A monthly budget, overall (category ``all``) or for one category."""

    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(40), unique=True)
    monthly_limit_cents: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ImportLog(Base):
    """One row per file import attempt (file name only, never its content)."""

    __tablename__ = "import_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(300))
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12))
    orders_added: Mapped[int] = mapped_column(Integer, default=0)
    orders_updated: Mapped[int] = mapped_column(Integer, default=0)
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    products_added: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class NlpQueryLog(Base):
    """One row per parse: how long it took and what was understood."""

    __tablename__ = "nlp_query_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    text_length: Mapped[int] = mapped_column(Integer)
    intent: Mapped[str] = mapped_column(String(30), index=True)
    confidence: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)
    #: The text itself only when it cannot hold personal data (see docs/nlp.md); else NULL.
    text: Mapped[str | None] = mapped_column(String(1000))


class AppMeta(Base):
    """Key/value state: ``schema_version`` and ``data_version`` (bumped by every import)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
