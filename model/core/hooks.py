"""Hook points: where a model hands its tensors out, and who hears them in this call.

Instrumenting a model (`instrument`, once) labels its *sites*: each attention module, by
stack and layer, and each embedding component, by name. On every forward a site hands
what it computed to `hook(module, point, value, **info)`:

    point        value                                   info
    "attention"  probs (batch, heads, q_len, k_len)      q, k, v (batch, heads, len, d_head),
                                                         scaling, additive_mask, scores
    "heads"      each head's output, before W_O          head_dim (the axis of the heads)
    "embedding"  (batch, seq, d_model)                   -

Who hears it is decided per call by a `ContextVar`: `intervene(model, handler)` adds a
handler for the block, in this thread (one Streamlit session) only. Outside every block a
hook is one lookup and a return, and nothing is ever stored on the modules, so one cached
model can serve many sessions at once. A handler may return a replacement for `value`
("heads" and "embedding"; "attention" is observed only, its output already computed).
Recording (`model.core.capture.capture`) and head ablation (`ablate`) are two handlers;
a new use is one more handler, written once, with no change at any site.

Our transformer names its own sites (`atlas_sites`, `atlas_embeddings`). A Hugging Face
model is switched to an attention function that runs the model's own eager attention and
then calls the same hooks (`model.core.hf_attention`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

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
def intervene(model: nn.Module, handler: Handler) -> Iterator[Handler]:
    """Let `handler` hear `model`'s hook points for calls made inside the block (this thread)."""
    instrument(model)
    if handler.owner != id(model):
        raise ValueError("the handler belongs to another model")
    token = _HANDLERS.set((*_HANDLERS.get(), handler))
    try:
        yield handler
    finally:
        _HANDLERS.reset(token)


# -- instrumenting models ----------------------------------------------------------------------
@runtime_checkable
class SelfLabelling(Protocol):
    """A model that names its own attention sites and embedding components (ours does)."""

    def atlas_sites(self) -> Iterable[tuple[nn.Module, Stack, int]]: ...

    def atlas_embeddings(self) -> Iterable[tuple[nn.Module, Stack, str]]: ...


_INSTRUMENT_LOCK = threading.Lock()


def _embedding_hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
    return hook(module, "embedding", output)


def instrument(model: nn.Module) -> nn.Module:
    """Label `model`'s sites, once. Idempotent and thread-safe; returns the model."""
    with _INSTRUMENT_LOCK:
        owner = id(model)
        if getattr(model, "_atlas_instrumented", None) == owner:
            return model  # (a deep copy carries its original's mark and is labelled anew)
        if isinstance(model, SelfLabelling):
            sites = list(model.atlas_sites())
            embeddings = list(model.atlas_embeddings())
        else:
            from model.core.hf_attention import switch_to_hooked_attention

            sites, embeddings = switch_to_hooked_attention(model)
        for module, stack, layer in sites:
            module._atlas_site = Site(owner, stack, layer)  # type: ignore[assignment]
        for module, stack, name in embeddings:
            if getattr(module, "_atlas_site", None) is None:  # a copy keeps its hook
                module.register_forward_hook(_embedding_hook)
            module._atlas_site = Site(owner, stack, name=name)  # type: ignore[assignment]
        model._atlas_instrumented = owner  # type: ignore[assignment]
        return model
