"""Keeps numpy's BLAS from fighting torch for the cores while the NLP model runs.

numpy's OpenBLAS keeps its own thread pool, and its threads spin for a while after every matrix
product. The intent head and product ranking do small numpy products between encoder calls, so
on two cores those spinning threads took the cores torch's OpenMP threads were waiting for:
``parse_batch`` ran at half the encoder's speed (measured: 490 against 1,050 utterances/s).
:func:`single_threaded_blas` limits that pool to one thread for the duration of an NLP call
(the products are far too small to gain from threads) and restores it afterwards. torch's own
BLAS is linked into torch and is not affected.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

__all__ = ["single_threaded_blas"]

_LOCK = threading.Lock()
_active = 0  # calls inside, across threads: the pool is restored when the last one leaves
_limit: Any = None  # threadpoolctl's handle on the limit while any call is inside


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """numpy's BLAS on one thread inside the block (safe to nest and to use from threads)."""
    global _active, _limit
    with _LOCK:
        if _active == 0:
            _limit = _controller().limit(limits=1, user_api="blas")
        _active += 1
    try:
        yield
    finally:
        with _LOCK:
            _active -= 1
            if _active == 0:
                _limit.restore_original_limits()
                _limit = None
