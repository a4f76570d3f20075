"""How many model calls one server process runs at once.

On this project's 2-core machines two calls at once keep both cores busy; thirty at once
would only share the cores thirty ways while holding thirty calls' working memory (a
512-token capture needs a few hundred MB while it runs). So every model call a page makes
takes a slot first (`model_slot`), and calls beyond ATLAS_MODEL_SLOTS (default: the number
of cores) wait for one. A thread that holds a slot may nest calls without taking another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = max(1, int(os.environ.get("ATLAS_MODEL_SLOTS", "0")) or os.cpu_count() or 2)
_free = threading.BoundedSemaphore(SLOTS)
_held = threading.local()


@contextmanager
def model_slot() -> Iterator[None]:
    """Hold one of the process's slots for the block (re-entrant within a thread)."""
    depth = getattr(_held, "depth", 0)
    if depth == 0:
        _free.acquire()
    _held.depth = depth + 1
    try:
        yield
    finally:
        _held.depth = depth
        if depth == 0:
            _free.release()
