"""The intent taxonomy: the 17 labels the parser may return, with what each one means.

The labels are a fixed contract (DESIGN.md): the chat agent dispatches on them and the HTTP
service reports how many there are. ``out_of_scope`` is both a trained class (recipes, weather,
bank balances, ...) and what the parser falls back to when its calibrated confidence is too low.
"""

from __future__ import annotations

__all__ = ["INTENTS", "INTENT_DESCRIPTIONS", "IN_SCOPE_INTENTS", "OUT_OF_SCOPE"]

OUT_OF_SCOPE = "out_of_scope"

#: label -> what the intent means (shown by ``walmart nlp`` help and docs/nlp.md).
INTENT_DESCRIPTIONS: dict[str, str] = {
    "product_search": "find products",
    "price_check": "current/latest price of a product",
    "price_history": "how a price moved over time",
    "list_add": "put something on the grocery list",
    "list_remove": "take something off the list",
    "list_show": "what is on the list / does it have X / its total",
    "list_clear": "empty the list",
    "spending": "money spent (period, category, store, product)",
    "budget": "set or check a budget",
    "order_history": "past orders and purchases",
    "reorder": "what to restock / usual order",
    "store_compare": "which store is cheaper",
    "deals": "price drops, sales, bargains",
    "substitute": "alternatives to a product",
    "checkout": "finish the list: totals with tax and delivery, export",
    "help": "greetings, thanks, what can you do",
    OUT_OF_SCOPE: "anything else (weather, recipes, calories, bank balance, ...)",
}

#: The labels, in a fixed order (the classifier's output order).
INTENTS: tuple[str, ...] = tuple(INTENT_DESCRIPTIONS)
IN_SCOPE_INTENTS: tuple[str, ...] = tuple(i for i in INTENTS if i != OUT_OF_SCOPE)
