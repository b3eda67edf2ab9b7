"""Mapping from the status words Walmart shows to our four line statuses."""

from __future__ import annotations

__all__ = ["line_status"]

_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("canceled", ("cancel",)),
    ("refunded", ("refund", "return")),
    ("unavailable", ("unavailable", "out of stock", "not available", "missing")),
)


def line_status(text: str | None) -> str:
    """``"Canceled"`` -> canceled, ``"Out of stock"`` -> unavailable, ``"Delivered"`` -> charged.

    Anything not saying canceled / refunded / unavailable was charged (delivered, picked up,
    purchased in store, shipped, on its way).
    """
    if not text:
        return "charged"
    lowered = text.lower()
    for status, words in _RULES:
        if any(word in lowered for word in words):
            return status
    return "charged"
