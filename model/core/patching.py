"""Activation patching: run a corrupted input with one activation taken from the clean run,
and see how much of the clean answer comes back. Two handlers of the one hook mechanism
(`model.core.hooks`), with no change at any site:

    with remembering(model) as clean:        # hear the clean run's activations
        run(clean_ids)
    with patching(model, clean, Where("heads", "encoder", 3, head=7)):
        run(corrupt_ids)                     # head 7 of layer 3 as in the clean run

What can be patched (`Where.point`):
- "heads": one head's output before W_O, at every position (every model's attention);
- "sublayer": a sublayer's output before its Add & Norm, at every position;
- "norm": an Add & Norm's output, the residual stream leaving a block, at one position;
- "embedding": an embedding component at one position (the stream entering layer 0 is
  their sum, so all components are patched together: `Where(..., name="*")`).
The last three need a model whose blocks are labelled (ours, BERT's layout).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from model.core.errors import InputError
from model.core.hooks import Point, Site, Stack
from model.core.instrument import intervene

PATCHABLE: tuple[Point, ...] = ("heads", "sublayer", "norm", "embedding")
Key = tuple[str, str, int, str]  # (point, stack, layer, name: sublayer or embedding component)


def key_of(point: Point, site: Site) -> Key:
    return (point, site.stack, site.layer, site.name)


@dataclass
class Remember:
    """Keeps, for one call, the value of every patchable point (the first call of each)."""

    owner: int
    values: dict[Key, torch.Tensor] = field(default_factory=dict)
    head_dims: dict[Key, int] = field(default_factory=dict)

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> None:
        if point in PATCHABLE:
            key = key_of(point, site)
            if key not in self.values:
                self.values[key] = value.detach().clone()
                if point == "heads":
                    self.head_dims[key] = int(info["head_dim"])


@dataclass(frozen=True)
class Where:
    """One activation to patch: a point of a site, and a head or a position within it."""

    point: Point
    stack: Stack
    layer: int
    name: str = ""  # "attention" / "ffn" for a block's points; an embedding component or "*"
    head: int | None = None
    position: int | None = None


@dataclass
class Patch:
    owner: int
    clean: Remember
    where: Where
    applied: int = 0  # how many values were replaced (0: the site never ran; a test checks)

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> torch.Tensor | None:
        w = self.where
        if point != w.point or site.stack != w.stack or site.layer != w.layer:
            return None
        if w.name not in ("", "*") and site.name != w.name:
            return None
        clean = self.clean.values.get(key_of(point, site))
        if clean is None or clean.shape != value.shape:
            return None  # another length: the caller checked they match
        patched = value.clone()
        if point == "heads":
            if w.head is None:
                raise ValueError("a head's output is patched one head at a time: name the head")
            axis = int(info["head_dim"])
            index = [slice(None)] * value.dim()
            index[axis] = slice(w.head, w.head + 1)
            patched[tuple(index)] = clean[tuple(index)]
        elif w.position is not None:
            patched[:, w.position] = clean[:, w.position]
        else:
            patched = clean.clone()
        self.applied += 1
        return patched


@contextmanager
def remembering(model: nn.Module) -> Iterator[Remember]:
    handler = Remember(id(model))
    with intervene(model, handler):
        yield handler


@contextmanager
def patching(model: nn.Module, clean: Remember, where: Where) -> Iterator[Patch]:
    handler = Patch(id(model), clean, where)
    with intervene(model, handler):
        yield handler


# -- the experiment: clean, corrupted, and every activation patched in turn --------------------
@dataclass(frozen=True)
class Experiment:
    """A clean and a corrupted input of the same length, and the number that tells their
    answers apart: the logit of the clean answer minus that of the corrupted one."""

    model: nn.Module
    run: Any  # Callable[[dict of inputs], output]
    clean: Mapping[str, torch.Tensor]
    corrupted: Mapping[str, torch.Tensor]
    metric: Any  # Callable[[output], float]
    tokens: tuple[str, ...]  # the clean input's tokens (the stream's positions)
    answer: str  # the clean answer and the corrupted one, in words
    stack: Stack = "encoder"  # the stream whose positions are patched


@dataclass(frozen=True)
class Maps:
    """Each patch's effect, normalised: (patched - corrupted) / (clean - corrupted), so 1 is
    the clean answer fully restored and 0 no effect."""

    clean: float
    corrupted: float
    heads: dict[Stack, Any]  # stack -> (layers, heads)
    stream: Any  # (layers, positions): the residual stream entering each layer
    sublayers: Any  # (layers, sublayers): each sublayer's output
    sublayer_names: tuple[str, ...]
    tokens: tuple[str, ...]


SUBLAYER_NAMES = {
    ("encoder", "attention"): "self-attention",
    ("encoder", "ffn"): "feed-forward",
    ("decoder", "attention"): "masked self-attention",
    ("cross", "attention"): "cross-attention",
    ("decoder", "ffn"): "decoder feed-forward",
}


class NothingToPatch(InputError):
    """The two inputs cannot be compared (lengths differ, or the same answer)."""


@torch.no_grad()
def patching_maps(experiment: Experiment) -> Maps:
    """Patch, one at a time, every head's output, the stream entering each layer at each
    position, and every sublayer's output, from the clean run into the corrupted one."""
    import numpy as np

    from model.core.capture import capture

    e = experiment
    if {k: tuple(v.shape) for k, v in e.clean.items()} != {
        k: tuple(v.shape) for k, v in e.corrupted.items()
    }:
        raise NothingToPatch(
            "The two inputs have different lengths in tokens; patching compares them position "
            "by position, so the corrupted one must tokenize to as many tokens as the clean."
        )
    with remembering(e.model) as clean, capture(e.model, activations=True) as recorder:
        clean_value = float(e.metric(e.run(e.clean)))
    corrupted_value = float(e.metric(e.run(e.corrupted)))
    if abs(clean_value - corrupted_value) < 1e-6:
        raise NothingToPatch(
            "Both inputs give the same answer, so there is no difference to restore: change "
            "the corrupted input so that the model answers otherwise."
        )
    span = clean_value - corrupted_value

    def effect(where: Where) -> float:
        with patching(e.model, clean, where):
            return (float(e.metric(e.run(e.corrupted))) - corrupted_value) / span

    att = recorder.result
    heads = {
        stack: np.array([[effect(Where("heads", stack, layer, head=h))
                          for h in range(att.n_heads(stack))]
                         for layer in range(att.n_layers(stack))])
        for stack in att.stacks
    }  # fmt: skip
    layout: list[tuple[Stack, str]] = []
    if att.blocks:
        side: Literal["encoder", "decoder"] = "encoder" if e.stack == "encoder" else "decoder"
        layout = [*att.layout("encoder"), *(att.layout("decoder") if "cross" in att.stacks else [])]
        layers = att.n_layers(e.stack)
        last_stack, last_sublayer = att.layout(side)[-1]
        positions = len(e.tokens)
        stream = np.array([
            [effect(Where("embedding", e.stack, -1, name="*", position=p)) if layer == 0
             else effect(Where("norm", last_stack, layer - 1, name=last_sublayer, position=p))
             for p in range(positions)]
            for layer in range(layers)
        ])  # fmt: skip
        sublayers = np.array([
            [effect(Where("sublayer", stack, layer, name=sublayer)) for stack, sublayer in layout]
            for layer in range(layers)
        ])  # fmt: skip
    else:
        stream = sublayers = np.zeros((0, 0))
    return Maps(
        clean_value, corrupted_value, heads, stream, sublayers,
        tuple(SUBLAYER_NAMES[(s, b)] for s, b in layout), e.tokens,
    )  # fmt: skip
