"""Instrumenting a model (labelling its sites, once) and opening a handler on it for a block.

Our transformer names its own sites (`atlas_sites`, `atlas_embeddings`, `atlas_blocks`,
`atlas_logits`). A Hugging Face model is switched to an attention function that runs the
model's own eager attention and then calls the same hook points, and its blocks are found
by the module names of its family (`model.core.hf_attention`).

Attention sites call `hook` themselves. Everything else (embedding components, the
residual stream, sublayer outputs, feed-forward hidden units, Add & Norm, logits) is heard
through PyTorch hooks on the model's own modules, registered here once: the numbers are the
ones those modules computed. Outside a capture a module hook costs one lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast, runtime_checkable

import torch
from torch import nn

from model.core.hooks import BlockSites, Handler, Point, Site, Stack, hook, listening


@contextmanager
def intervene(model: nn.Module, handler: Handler) -> Iterator[Handler]:
    """Let `handler` hear `model`'s hook points for calls made inside the block (this thread).

    A model nobody instrumented (a notebook's `with capture(model):`) is instrumented for the
    block only: when the last such block on it closes, its attention implementation is the
    one it had ("sdpa", say) and its outputs are what they were. A server instruments its
    models once at load (`instrument`), and they stay so."""
    if handler.owner != id(model):
        raise ValueError("the handler belongs to another model")
    with _borrowed(model), listening(handler):
        yield handler


_BORROWERS = "_atlas_borrowers"  # open blocks that instrumented a model only for themselves
_ORIGINAL = "_atlas_original_attention"  # the implementation a borrowed model had


@contextmanager
def _borrowed(model: nn.Module) -> Iterator[None]:
    """`model` instrumented inside the block; put back as it was after, if it was not."""
    with _INSTRUMENT_LOCK:
        borrowers = getattr(model, _BORROWERS, 0)
        if borrowers == 0 and getattr(model, "_atlas_instrumented", None) != id(model):
            config = getattr(model, "config", None)
            setattr(model, _ORIGINAL, getattr(config, "_attn_implementation", None))
            _instrument(model)
            borrowers = 0
        elif borrowers == 0:  # instrumented for good (a server's models)
            borrowers = -1
        if borrowers >= 0:
            setattr(model, _BORROWERS, borrowers + 1)
    try:
        yield
    finally:
        if borrowers >= 0:
            with _INSTRUMENT_LOCK:
                _give_back(model)


def _give_back(model: nn.Module) -> None:
    """One borrowing block closed (under the lock): the last one restores the model."""
    left = getattr(model, _BORROWERS, 0) - 1
    if left > 0 or getattr(model, _BORROWERS, 0) == 0:  # still borrowed, or kept for good since
        setattr(model, _BORROWERS, max(left, 0))
        return
    setattr(model, _BORROWERS, 0)
    original = getattr(model, _ORIGINAL, None)
    if original is not None and hasattr(model, "set_attn_implementation"):
        cast(Any, model).set_attn_implementation(original)
    model._atlas_instrumented = None  # type: ignore[assignment]  # labelled anew next time


@runtime_checkable
class SelfLabelling(Protocol):
    """A model that names its own sites (ours does)."""

    def atlas_sites(self) -> Iterable[tuple[nn.Module, Stack, int]]: ...

    def atlas_embeddings(self) -> Iterable[tuple[nn.Module, Stack, str]]: ...

    def atlas_blocks(self) -> Iterable[BlockSites]: ...

    def atlas_logits(self) -> nn.Module | None: ...


_INSTRUMENT_LOCK = threading.Lock()
_HOOKED = "_atlas_hooked"  # a module's hooks are registered (a deep copy keeps them)


def _points(module: nn.Module) -> dict[str, Site]:
    points: dict[str, Site] | None = getattr(module, "_atlas_points", None)
    if points is None:
        points = {}
        module._atlas_points = points  # type: ignore[assignment]
    return points


def _output_hook(module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
    """Every output point labelled on the module, in turn; a handler may replace the value."""
    points: tuple[Point, ...] = getattr(module, "_atlas_outputs", ())
    for point in points:
        if point == "norm":
            output = hook(module, point, output, summed=args[0], eps=module.eps)
        else:
            output = hook(module, point, output)
    return output


def _residual_hook(module: nn.Module, args: tuple[Any, ...]) -> None:
    index: int = getattr(module, "_atlas_residual_arg", 0)
    hook(module, "residual", args[index])


def _label_output(module: nn.Module, point: Point, site: Site) -> None:
    _points(module)[point] = site
    outputs: tuple[str, ...] = getattr(module, "_atlas_outputs", ())
    if point not in outputs:
        module._atlas_outputs = (*outputs, point)  # type: ignore[assignment]
    if not getattr(module, f"{_HOOKED}_output", False):
        module.register_forward_hook(_output_hook)
        setattr(module, f"{_HOOKED}_output", True)


def _label_block(owner: int, block: BlockSites) -> None:
    site = Site(owner, block.stack, block.layer, block.sublayer)
    _points(block.residual)["residual"] = site
    block.residual._atlas_residual_arg = block.residual_arg  # type: ignore[assignment]
    if not getattr(block.residual, f"{_HOOKED}_residual", False):
        block.residual.register_forward_pre_hook(_residual_hook)
        setattr(block.residual, f"{_HOOKED}_residual", True)
    _label_output(block.output, "sublayer", site)
    _label_output(block.norm, "norm", site)
    if block.hidden is not None:
        _label_output(block.hidden, "hidden", site)


def block_sites(model: nn.Module) -> list[BlockSites]:
    """The model's blocks (sublayer and Add & Norm), in the order its layers run them: our
    transformer's as its layers list them, a BERT-family model's by its module names; empty
    for families whose blocks are not labelled."""
    if isinstance(model, SelfLabelling):
        return list(model.atlas_blocks())
    from model.core.hf_attention import hf_blocks

    return hf_blocks(model)


def instrument(model: nn.Module) -> nn.Module:
    """Label `model`'s sites, once, for good (a model a server loads). Idempotent and
    thread-safe; returns the model."""
    with _INSTRUMENT_LOCK:
        setattr(model, _BORROWERS, 0)  # kept instrumented when a borrowing block closes
        return _instrument(model)


def _instrument(model: nn.Module) -> nn.Module:
    """Label `model`'s sites (under the lock)."""
    owner = id(model)
    if getattr(model, "_atlas_instrumented", None) == owner:
        return model  # (a deep copy carries its original's mark and is labelled anew)
    if isinstance(model, SelfLabelling):
        sites = list(model.atlas_sites())
        embeddings = list(model.atlas_embeddings())
        logits = model.atlas_logits()
    else:
        from model.core.hf_attention import hf_logits, switch_to_hooked_attention

        sites, embeddings = switch_to_hooked_attention(model)
        logits = hf_logits(model)
    blocks = block_sites(model)
    for module, stack, layer in sites:
        # a negative layer labels one module that serves -layer layers in turn (ALBERT);
        # a recorder counts its calls to tell them apart
        site = Site(owner, stack, layer) if layer >= 0 else Site(owner, stack, 0, shared=-layer)
        module._atlas_site = site  # type: ignore[assignment]
    model._atlas_shared = any(layer < 0 for _, _, layer in sites)  # type: ignore[assignment]
    layers: dict[str, int] = {}  # per stack: how many layers a call runs
    for _, stack, layer in sites:
        layers[stack] = max(layers.get(stack, 0), layer + 1 if layer >= 0 else -layer)
    model._atlas_layers = layers  # type: ignore[assignment]
    for module, stack, name in embeddings:
        _label_output(module, "embedding", Site(owner, stack, name=name))
    for block in blocks:
        _label_block(owner, block)
    if logits is not None:
        _label_output(logits, "logits", Site(owner, "decoder", name="logits"))
    model._atlas_instrumented = owner  # type: ignore[assignment]
    return model
