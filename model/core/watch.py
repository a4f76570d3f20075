"""Progress and Cancel for long computations, heard through the model's own hook points.

An explanation, a logit lens or a patching map runs a model many times (Captum's batches,
one head patched at a time). `watching(model, progress)` makes every attention call of that
model inside the block, on this thread, report to `progress`: the inputs read (counted at
the first layer of the first stack, batch by batch) and a chance to stop. A computation
knows nothing of it, and none of its code changes:

    progress = Progress(total=40)            # inputs the computation will read
    with watching(model, progress):
        patching_maps(experiment)            # progress.done grows as it runs
    progress.cancel()                        # (from another thread) -> Cancelled inside

The check runs on every layer's forward, and on every layer's backward for gradient
methods (a hook on the attention weights), so a Cancel stops the work within one layer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import torch
from torch import nn

from model.core.hooks import Point, Site
from model.core.instrument import intervene


class Cancelled(Exception):
    """The computation was stopped: its Cancel, or nobody left to see it."""


class Progress:
    """How far a computation is, and whether it must stop. Thread-safe: the computation
    counts and checks; a page reads and cancels from another thread."""

    def __init__(
        self, total: int = 0, abandoned: Callable[[], bool] | None = None, every_s: float = 0.5
    ) -> None:
        self.total = max(0, int(total))  # inputs expected (0: unknown)
        self.done = 0  # inputs read so far
        self._stop = threading.Event()
        self._abandoned = abandoned  # asked at most every `every_s`: nobody waits any more
        self._every_s = every_s
        self._asked = time.monotonic()
        self.reason = ""

    def cancel(self, reason: str = "Cancelled.") -> None:
        self.reason = self.reason or reason
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def check(self) -> None:
        """Raise Cancelled if the computation must stop."""
        if not self._stop.is_set() and self._abandoned is not None:
            now = time.monotonic()
            if now - self._asked >= self._every_s:
                self._asked = now
                if self._abandoned():
                    self.cancel("Stopped: the page that started it was closed.")
        if self._stop.is_set():
            raise Cancelled(self.reason)


class _Watch:
    """A handler of the hook points: counts inputs at the first attention site of the call,
    and checks for a Cancel at every one (and in the backward pass, where gradients run)."""

    def __init__(self, model: nn.Module, progress: Progress) -> None:
        self.owner = id(model)
        self.progress = progress
        layers: Mapping[str, int] = getattr(model, "_atlas_layers", {}) or {"encoder": 1}
        self.first = next(iter(layers))  # the stack a forward pass starts with

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> None:
        if point != "attention":
            return None
        self.progress.check()
        if site.layer == 0 and site.stack == self.first:
            self.progress.done += int(value.shape[0])
        if value.requires_grad:
            value.register_hook(self._in_backward)
        return None

    def _in_backward(self, grad: torch.Tensor) -> None:
        self.progress.check()


_CURRENT: ContextVar[Progress | None] = ContextVar("attention_atlas_progress", default=None)


@contextmanager
def watching(model: nn.Module, progress: Progress) -> Iterator[Progress]:
    """Report `model`'s calls inside the block to `progress`; Cancelled stops them."""
    progress.check()
    token = _CURRENT.set(progress)
    try:
        with intervene(model, _Watch(model, progress)):
            yield progress
    finally:
        _CURRENT.reset(token)


def checkpoint() -> None:
    """For a loop that is not a model call (the lens's read-out chunks): raise Cancelled if
    the computation watched on this thread must stop; nothing outside `watching`."""
    progress = _CURRENT.get()
    if progress is not None:
        progress.check()
