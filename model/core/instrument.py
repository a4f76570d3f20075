"""Instrumenting a model (labelling its sites, once) and opening a handler on it for a block.

Our transformer names its own sites (`atlas_sites`, `atlas_embeddings`). A Hugging Face
model is switched to an attention function that runs the model's own eager attention and
then calls the same hook points (`model.core.hf_attention`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from model.core.hooks import Handler, Site, Stack, hook, listening


@contextmanager
def intervene(model: nn.Module, handler: Handler) -> Iterator[Handler]:
    """Let `handler` hear `model`'s hook points for calls made inside the block (this thread)."""
    instrument(model)
    if handler.owner != id(model):
        raise ValueError("the handler belongs to another model")
    with listening(handler):
        yield handler


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
