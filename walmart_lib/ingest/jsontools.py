"""A tiny JSON walker that remembers where it is, so errors name the JSON path.

``Node(doc).req("props").req("pageProps")`` raises :class:`PathError` with
``$.props.pageProps`` in it when a key is missing or has the wrong type; the importers turn
that into an :class:`~walmart_lib.ingest.records.ImportRejected` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["Node", "PathError"]

T = TypeVar("T")


class PathError(ValueError):
    """Bad or missing JSON at ``path``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


class Node:
    """A JSON value and its path from the document root."""

    __slots__ = ("path", "value")

    def __init__(self, value: Any, path: str = "$") -> None:
        self.value = value
        self.path = path

    def _child_path(self, key: str | int) -> str:
        return f"{self.path}[{key}]" if isinstance(key, int) else f"{self.path}.{key}"

    def get(self, key: str) -> Node | None:
        """The child at ``key`` or None when absent/null (this node must be an object)."""
        if not isinstance(self.value, dict):
            raise PathError(self.path, f"expected an object, found {_type_name(self.value)}")
        child = self.value.get(key)
        return None if child is None else Node(child, self._child_path(key))

    def req(self, key: str) -> Node:
        """The child at ``key``; a clear error when it is missing."""
        child = self.get(key)
        if child is None:
            raise PathError(self._child_path(key), "required field is missing")
        return child

    def dig(self, *keys: str) -> Node | None:
        """Follow ``keys`` while each exists and is an object; None if any is absent."""
        node: Node | None = self
        for key in keys:
            if node is None or not isinstance(node.value, dict):
                return None
            node = node.get(key)
        return node

    def items(self) -> Iterator[Node]:
        """The elements of a list node."""
        if not isinstance(self.value, list):
            raise PathError(self.path, f"expected a list, found {_type_name(self.value)}")
        for index, element in enumerate(self.value):
            yield Node(element, self._child_path(index))

    def text(self) -> str:
        """A string (numbers are accepted and converted: ids are often numeric in JSON)."""
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int)):
            raise PathError(self.path, f"expected text, found {_type_name(self.value)}")
        return str(self.value)

    def convert(self, func: Callable[[Any], T]) -> T:
        """Apply a parser (e.g. ``parse_money``); its ValueError becomes a PathError here."""
        try:
            return func(self.value)
        except PathError:
            raise
        except ValueError as exc:
            raise PathError(self.path, str(exc)) from exc


def opt_text(node: Node | None) -> str | None:
    """Text of an optional node (None stays None, empty text becomes None)."""
    if node is None:
        return None
    value = node.text().strip()
    return value or None
