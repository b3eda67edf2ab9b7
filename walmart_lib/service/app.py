"""The starter ``/walmart`` page: counts and the latest orders, read from the database.

A small Panel app so the server has a real dashboard from day one; the full multi-page app
(dashboards/) replaces :func:`create_app` later. It calls library queries only, and every
data-derived string reaches the page through escaped HTML (``pn.pane.DataFrame(escape=True)``)
or as plain numbers.
"""

from __future__ import annotations

import pandas as pd
import panel as pn
from sqlalchemy import Engine

from walmart_lib import catalog

__all__ = ["create_app", "latest_orders_frame"]


def latest_orders_frame(engine: Engine, limit: int = 10) -> pd.DataFrame:
    """The latest orders as a display table (dollars, not cents)."""
    rows = catalog.latest_orders(engine, limit)
    frame = pd.DataFrame(
        [
            {
                "Date": (r["order_date"] or "")[:10],
                "Order": r["display_id"] or r["id"],
                "Store": r["store"] or "",
                "Type": r["fulfillment_type"] or r["order_type"] or "",
                "Lines": r["line_count"],
                "Total ($)": None
                if r["grand_total_cents"] is None
                else f"{r['grand_total_cents'] / 100:.2f}",
            }
            for r in rows
        ],
        columns=["Date", "Order", "Store", "Type", "Lines", "Total ($)"],
    )
    return frame


def create_app(engine: Engine) -> pn.viewable.Viewable:
    """The Panel layout for one browser session."""
    try:
        counts = catalog.database_counts(engine)
        frame = latest_orders_frame(engine)
    except Exception:  # the page must render a message, not a traceback
        return pn.Column(
            pn.pane.Markdown("# Walmart Grocery Agent"),
            pn.pane.Alert(
                "The database could not be read; see the server log.", alert_type="danger"
            ),
        )
    numbers = pn.Row(
        *(
            pn.indicators.Number(
                label=label, value=counts[key], format="{value:,}", font_size="28pt"
            )
            for label, key in (
                ("Orders", "orders"),
                ("Products", "products"),
                ("Stores", "stores"),
                ("Order lines", "order_lines"),
            )
        )
    )
    table: pn.viewable.Viewable
    if frame.empty:
        table = pn.pane.Markdown("No orders yet: run `walmart sample` or `walmart import FILE`.")
    else:
        table = pn.pane.DataFrame(frame, index=False, escape=True, sizing_mode="stretch_width")
    return pn.Column(
        pn.pane.Markdown("# Walmart Grocery Agent"),
        numbers,
        pn.pane.Markdown("## Latest orders"),
        table,
        sizing_mode="stretch_width",
    )
