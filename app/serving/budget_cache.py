"""Process-wide caches bounded by bytes, not by entries.

One server holds a whole class: a cache that keeps N entries whatever their size lets one
visitor pasting long texts fill the machine (a 512-token MiniLM capture with Q/K/V is
about 90 MB). `BudgetCache` keeps what was used last until its byte budget is full, and
drops entries idle for longer than `max_idle_s`. It is shared by every session of the
process and safe to call from their threads; concurrent requests for one key compute it
once, the others wait for that result (or that error).

Every cache registers itself when it is made, so `report()` covers all of them, wherever
they are defined (the app's are in app/serving/caches.py and app/serving/tuned.py).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

import torch

V = TypeVar("V")
MB = 1 << 20


def budget_from_env(name: str, default_mb: int) -> int:
    """A byte budget from the environment variable `name` (in MB), or the default."""
    value = os.environ.get(name, "")
    try:
        mb = float(value) if value else float(default_mb)
    except ValueError:
        raise ValueError(f"{name} must be a number of megabytes, not {value!r}") from None
    return int(mb * MB)


def tensor_bytes(tensors: list[torch.Tensor]) -> int:
    """Memory the tensors hold, each storage counted once (views and expands share one)."""
    seen: dict[int, int] = {}
    for tensor in tensors:
        storage = tensor.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


@dataclass
class _Entry(Generic[V]):
    value: V
    nbytes: int
    used: float  # time.monotonic() of the last use


class BudgetCache(Generic[V]):
    def __init__(
        self,
        name: str,
        budget: int,
        size_of: Callable[[V], int],
        max_idle_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.budget = budget
        self.size_of = size_of
        self.max_idle_s = max_idle_s
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
        self._pending: dict[Hashable, Future[V]] = {}
        self._lock = threading.Lock()
        self.nbytes = 0
        _EVERY.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            self._expire()
            return key in self._entries

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value of `key`, computing (once, whoever asks) and keeping it if absent."""
        with self._lock:
            self._expire()
            entry = self._entries.get(key)
            if entry is not None:
                return self._touch(key, entry)
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = self._pending[key] = Future()
        if not owner:
            return pending.result()  # the owner's value, or its exception raised here
        try:
            value = compute()
            size = self.size_of(value)
        except BaseException as error:  # the waiters get it too, never a wait without end
            with self._lock:
                del self._pending[key]
            pending.set_exception(error)
            raise
        with self._lock:
            del self._pending[key]
            self._store(key, value, size)
        pending.set_result(value)
        return value

    def put(self, key: Hashable, value: V) -> bool:
        """Keep `value` under `key`; False when it is larger than the whole budget (not kept)."""
        size = self.size_of(value)
        with self._lock:
            self._expire()
            return self._store(key, value, size)

    def peek(self, key: Hashable) -> V | None:
        """The value of `key` if it is still kept (a use: it becomes the most recent)."""
        with self._lock:
            self._expire()
            entry = self._entries.get(key)
            return None if entry is None else self._touch(key, entry)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._drop(key)

    def report(self) -> str:
        with self._lock:
            return (
                f"{self.name}: {len(self._entries)} entries, {self.nbytes / MB:.0f} of "
                f"{self.budget / MB:.0f} MB"
            )

    # -- under the lock ---------------------------------------------------------------------
    def _touch(self, key: Hashable, entry: _Entry[V]) -> V:
        entry.used = self.clock()
        self._entries.move_to_end(key)
        return entry.value

    def _store(self, key: Hashable, value: V, size: int) -> bool:
        self._drop(key)
        if size > self.budget:
            return False
        while self._entries and self.nbytes + size > self.budget:
            self._drop(next(iter(self._entries)))  # the least recently used
        self._entries[key] = _Entry(value, size, self.clock())
        self.nbytes += size
        return True

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.nbytes -= entry.nbytes

    def _expire(self) -> None:
        if self.max_idle_s is None:
            return
        oldest = self.clock() - self.max_idle_s
        for key in [k for k, e in self._entries.items() if e.used < oldest]:
            self._drop(key)


_EVERY: weakref.WeakSet[BudgetCache] = weakref.WeakSet()  # each cache made, while it lives


def every_cache() -> list[BudgetCache]:
    return sorted(_EVERY, key=lambda cache: cache.name)


def report() -> str:
    """Every cache of the process: its entries and its bytes against its budget."""
    return "; ".join(cache.report() for cache in every_cache())
