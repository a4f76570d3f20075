"""Hook points: where a model hands its tensors out, and who hears them in this call.

Instrumenting a model (`model.core.instrument`, once) labels its *sites*: each attention
module, by stack and layer, and each embedding component, by name. On every forward a site
hands what it computed to `hook(module, point, value, **info)`:

    point        value                                   info
    "attention"  probs (batch, heads, q_len, k_len)      q, k, v (batch, heads, len, d_head),
                                                         scaling, additive_mask, scores
    "heads"      each head's output, before W_O          head_dim (the axis of the heads)
    "embedding"  (batch, seq, d_model)                   -

Who hears it is decided per call by a `ContextVar`: `intervene(model, handler)`
(model.core.instrument) adds a handler for the block, in this thread (one Streamlit
session) only. Outside every block a hook is one lookup and a return, and nothing is ever
stored on the modules, so one cached model can serve many sessions at once. A handler may
return a replacement for `value` ("heads" and "embedding"; "attention" is observed only,
its output already computed). Recording (`model.core.capture.capture`) and head ablation
(`ablate`) are two handlers; a new use is one more handler, written once, with no change at
any site.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import torch
from torch import nn

Stack = Literal["encoder", "decoder", "cross"]
STACKS: tuple[Stack, ...] = ("encoder", "decoder", "cross")
Point = Literal["attention", "heads", "embedding"]


@dataclass(frozen=True)
class Site:
    """A labelled module: where it sits in the model that owns it."""

    owner: int  # id() of the instrumented model
    stack: Stack
    layer: int = -1  # -1 outside the layers (embeddings)
    name: str = ""  # an embedding component, e.g. "token" or "encoder.position"


class Handler(Protocol):
    """Hears the hook points of one model (`owner`) while its `intervene` block is open."""

    @property
    def owner(self) -> int: ...

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> torch.Tensor | None: ...


_HANDLERS: ContextVar[tuple[Handler, ...]] = ContextVar("attention_atlas_handlers", default=())


def hook(module: nn.Module, point: Point, value: torch.Tensor, **info: Any) -> torch.Tensor:
    """Called by every site on every forward; returns `value`, or what a handler put instead."""
    handlers = _HANDLERS.get()
    if not handlers:
        return value
    site: Site | None = getattr(module, "_atlas_site", None)
    if site is None:
        return value
    for handler in handlers:
        if handler.owner == site.owner:
            replaced = handler(point, site, value, info)
            if replaced is not None:
                value = replaced
    return value


@contextmanager
def listening(handler: Handler) -> Iterator[None]:
    """`handler` hears the hook points inside the block, in this context only."""
    token = _HANDLERS.set((*_HANDLERS.get(), handler))
    try:
        yield
    finally:
        _HANDLERS.reset(token)
