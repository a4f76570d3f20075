"""Hook points: where a model hands its tensors out, and who hears them in this call.

Instrumenting a model (`model.core.instrument`, once) labels its *sites*: each attention
module, by stack and layer, and each embedding component, by name. On every forward a site
hands what it computed to `hook(module, point, value, **info)`:

    point        value                                   info
    "attention"  probs (batch, heads, q_len, k_len)      q, k, v (batch, heads, len, d_head),
                                                         scaling, additive_mask, scores
    "heads"      each head's output, before W_O          head_dim (the axis of the heads)
    "embedding"  (batch, seq, d_model)                   -
    "residual"   the residual stream entering a sublayer     -
                 (batch, seq, d_model)
    "sublayer"   the sublayer's output, before the add       -
    "hidden"     a feed-forward's hidden units act(x W1+b1)  -
                 (batch, seq, d_ff)
    "norm"       Add & Norm's output (batch, seq, d_model)   summed (the norm's input, residual +
                                                             sublayer), eps
    "logits"     the output projection (batch, seq, vocab)   -

The last five are a model's *blocks* (`BlockSites` in model.core.instrument): each sublayer
with its Add & Norm, labelled on the model's own modules and heard through PyTorch module
hooks, so nothing is re-implemented; a site of these points is (stack, layer, sublayer).

Who hears it is decided per call by a `ContextVar`: `intervene(model, handler)`
(model.core.instrument) adds a handler for the block, in this thread (one Streamlit
session) only. Outside every block a hook is one lookup and a return, and nothing is ever
stored on the modules, so one cached model can serve many sessions at once. A handler may
return a replacement for `value` ("heads", "embedding", "sublayer", "norm", "hidden" and
"logits"; "attention" is observed only, its output already computed, and so is "residual").
Recording (`model.core.capture.capture`), head ablation (`ablate`) and activation patching
(`model.core.patching`) are handlers; a new use is one more handler, written once, with no
change at any site.
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
Point = Literal[
    "attention", "heads", "embedding", "residual", "sublayer", "hidden", "norm", "logits"
]
Sublayer = Literal["attention", "ffn"]  # a block's sublayer; the stack says self or cross


@dataclass(frozen=True)
class Site:
    """A labelled module: where it sits in the model that owns it."""

    owner: int  # id() of the instrumented model
    stack: Stack
    layer: int = -1  # -1 outside the layers (embeddings)
    name: str = ""  # an embedding component ("token", "encoder.position"), or a block's sublayer
    shared: int = 0  # > 0: one module that runs as this many layers in turn (ALBERT)


@dataclass(frozen=True)
class BlockSites:
    """One sublayer with its Add & Norm, as the model's own modules compute it:

        normed = norm(residual + output),  output = sublayer(residual)

    `residual` is the module whose positional argument `residual_arg` is the residual stream
    entering the block; `output` the module whose output is the sublayer's, before the add;
    `norm` the layer norm whose input is the sum; `hidden` (feed-forward only) the module
    whose output is act(x W1 + b1), the activation named by `activation`; `weights` the linear
    maps of the sublayer's last steps, whose parameters a recomputation reads: (W_O,) for
    attention, (W1, W2) for feed-forward.

    A model's blocks, listed in the order its layers run them, are its one layer layout:
    the capture, the anatomy and its recomputation all read it from here."""

    stack: Stack
    layer: int
    sublayer: Sublayer
    residual: nn.Module
    residual_arg: int
    output: nn.Module
    norm: nn.Module
    hidden: nn.Module | None = None
    activation: str = ""
    weights: tuple[nn.Module, ...] = ()


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
    points: dict[str, Site] | None = getattr(module, "_atlas_points", None)
    site: Site | None = points.get(point) if points else None
    if site is None:
        site = getattr(module, "_atlas_site", None)
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
