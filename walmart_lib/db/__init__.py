"""Database layer: typed models, engines and sessions, versioned schema, data version.

Views never write SQL: they call analytics functions, which read the tables below through
:mod:`walmart_lib.analytics_frames` as polars DataFrames.
"""

from walmart_lib.db.engine import QueryTimeout, get_engine, make_engine, session_scope
from walmart_lib.db.models import (
    LINE_STATUSES,
    OVERALL_BUDGET,
    AppMeta,
    Base,
    Budget,
    GroceryList,
    ImportLog,
    ListItem,
    NlpQueryLog,
    Order,
    OrderLine,
    Product,
    Store,
)
from walmart_lib.db.schema import SCHEMA_VERSION, SchemaError, ensure_schema
from walmart_lib.db.state import bump_data_version, data_version

__all__ = [
    "LINE_STATUSES",
    "OVERALL_BUDGET",
    "SCHEMA_VERSION",
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
    "QueryTimeout",
    "SchemaError",
    "Store",
    "bump_data_version",
    "data_version",
    "ensure_schema",
    "get_engine",
    "make_engine",
    "session_scope",
]
