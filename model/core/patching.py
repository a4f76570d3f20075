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

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from model.core.errors import InputError
from model.core.hooks import Point, Site, Stack
from model.core.instrument import intervene

PATCHABLE: tuple[Point, ...] = ("heads", "sublayer", "norm", "embedding")
BATCH = 16  # corrupted copies patched in one forward pass
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
    """Replaces, in the corrupted run, what `rows` says with the clean run's values: row i of
    the batch gets rows[i]'s activations (a batch of one: one set of patches together)."""

    owner: int
    clean: Remember
    rows: tuple[tuple[Where, ...], ...]
    applied: int = 0  # how many values were replaced (0: the site never ran; a test checks)

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> torch.Tensor | None:
        clean = self.clean.values.get(key_of(point, site))
        if clean is None or clean.shape[1:] != value.shape[1:] or len(self.rows) != len(value):
            return None  # (another length: the experiment checks they match)
        patched: torch.Tensor | None = None
        for row, wheres in enumerate(self.rows):
            for w in wheres:
                if not _at(w, point, site):
                    continue
                if patched is None:
                    patched = value.clone()
                if point == "heads":
                    if w.head is None:
                        raise ValueError("a head's output is patched one head at a time")
                    index: list[Any] = [row] + [slice(None)] * (value.dim() - 1)
                    index[int(info["head_dim"])] = slice(w.head, w.head + 1)
                    source: list[Any] = [0, *index[1:]]
                    patched[tuple(index)] = clean[tuple(source)]
                elif w.position is not None:
                    patched[row, w.position] = clean[0, w.position]
                else:
                    patched[row] = clean[0]
        if patched is None:
            return None
        self.applied += 1
        return patched


def _row(output: Any, row: int) -> Any:
    """Row `row` of a batched output, as a batch of one (a tensor, or a ModelOutput)."""
    if isinstance(output, torch.Tensor):
        return output[row : row + 1]
    return type(output)(
        **{k: v[row : row + 1] if isinstance(v, torch.Tensor) else v for k, v in output.items()}
    )


def _at(w: Where, point: Point, site: Site) -> bool:
    return (
        point == w.point and site.stack == w.stack and site.layer == w.layer
        and (w.name in ("", "*") or site.name == w.name)
    )  # fmt: skip


@contextmanager
def remembering(model: nn.Module) -> Iterator[Remember]:
    handler = Remember(id(model))
    with intervene(model, handler):
        yield handler


@contextmanager
def patching(model: nn.Module, clean: Remember, *where: Where) -> Iterator[Patch]:
    """Inside the block, the activations `where` says come from the clean run."""
    handler = Patch(id(model), clean, (tuple(where),))
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
    batch: int = BATCH  # corrupted copies per forward pass: memory's bound
    # output -> what it answers; two runs that answer alike get a SameAnswer warning
    answer_of: Any = None


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


class SameAnswer(UserWarning):
    """The two inputs give the same answer: the map says what moves a number, not an answer."""


def predicted(output: Any) -> tuple[int, ...]:
    """What an output answers, to tell two runs apart: a QA model's best start and end, else
    the top token (or label) at every position."""
    if hasattr(output, "start_logits") and hasattr(output, "end_logits"):
        return (int(output.start_logits[0].argmax()), int(output.end_logits[0].argmax()))
    logits = getattr(output, "logits", output)
    return tuple(int(i) for i in logits[0].argmax(-1).flatten())


SAME_ANSWER = (
    "Both inputs give the same answer ({answer}), so there is no difference to restore: "
    "change the corrupted input so that the model answers otherwise."
)


@dataclass
class Runs:
    """An experiment's clean run remembered, and the corrupted run's number."""

    experiment: Experiment
    clean: Remember
    clean_value: float
    corrupted_value: float
    capture: Any  # the clean run's AttentionCapture (stacks, layers, heads, blocks)

    @torch.no_grad()
    def effect(self, *where: Where) -> float:
        """(patched - corrupted) / (clean - corrupted), with `where` patched in together."""
        e = self.experiment
        with patching(e.model, self.clean, *where):
            patched = float(e.metric(e.run(e.corrupted)))
        return (patched - self.corrupted_value) / (self.clean_value - self.corrupted_value)

    @torch.no_grad()
    def effects(self, patches: list[list[Where]], batch: int | None = None) -> list[float]:
        """The effect of each set of patches, in batches of corrupted copies (row i patched
        as patches[i] says): one forward pass per batch instead of one per patch (`batch`:
        the experiment's unless given)."""
        e = self.experiment
        batch = batch or e.batch
        found: list[float] = []
        span = self.clean_value - self.corrupted_value
        for start in range(0, len(patches), batch):
            # row 0 runs unpatched: the batch's own corrupted value, so that a patch that
            # changes nothing measures exactly 0 whatever the batch size rounds
            part = [[], *patches[start : start + batch]]
            inputs = {k: v.expand(len(part), *v.shape[1:]) for k, v in e.corrupted.items()}
            handler = Patch(id(e.model), self.clean, tuple(tuple(w) for w in part))
            with intervene(e.model, handler):
                output = e.run(inputs)
            reference = float(e.metric(_row(output, 0)))
            for row in range(1, len(part)):
                found.append((float(e.metric(_row(output, row))) - reference) / span)
        return found

    def stream_where(self, layer: int, position: int) -> list[Where]:
        """The residual stream entering `layer` at `position`: the embeddings' components
        for layer 0, else the last Add & Norm of the layer before."""
        e, att = self.experiment, self.capture
        if layer == 0:
            return [Where("embedding", e.stack, -1, name="*", position=position)]
        side: Literal["encoder", "decoder"] = "encoder" if e.stack == "encoder" else "decoder"
        stack, sublayer = att.layout(side)[-1]
        return [Where("norm", stack, layer - 1, name=sublayer, position=position)]


@torch.no_grad()
def prepare(experiment: Experiment) -> Runs:
    """Run clean (remembering every patchable activation) and corrupted."""
    from model.core.capture import capture

    e = experiment
    shapes = {k: tuple(v.shape) for k, v in e.clean.items()}
    if shapes != {k: tuple(v.shape) for k, v in e.corrupted.items()}:
        raise NothingToPatch(
            "The two inputs have different lengths in tokens; patching compares them position "
            "by position, so the corrupted one must tokenize to as many tokens as the clean."
        )
    with remembering(e.model) as clean, capture(e.model, activations=True) as recorder:
        clean_output = e.run(e.clean)
        clean_value = float(e.metric(clean_output))
    corrupted_output = e.run(e.corrupted)
    corrupted_value = float(e.metric(corrupted_output))
    if abs(clean_value - corrupted_value) < 1e-4:  # logits: below that, rounding
        raise NothingToPatch(SAME_ANSWER.format(answer=e.answer or "the same logits"))
    if e.answer_of is not None and e.answer_of(clean_output) == e.answer_of(corrupted_output):
        warnings.warn(
            SameAnswer(
                f"Both inputs give the same answer ({e.answer_of(clean_output)}); the metric "
                f"moves from {clean_value:.4g} (clean) to {corrupted_value:.4g} (corrupted), "
                "so the map shows what restores that difference, not an answer. Change the "
                "corrupted input until the model answers otherwise."
            ),
            stacklevel=4,  # the caller of patch() (through torch.no_grad's wrapper)
        )
    del clean_output, corrupted_output
    return Runs(e, clean, clean_value, corrupted_value, recorder.result)


@torch.no_grad()
def head_map(runs: Runs, stack: Stack) -> Any:
    """(layers, heads): each head's output before W_O, patched at every position."""
    import numpy as np

    att = runs.capture
    layers, heads = att.n_layers(stack), att.n_heads(stack)
    found = runs.effects([[Where("heads", stack, layer, head=h)]
                          for layer in range(layers) for h in range(heads)])  # fmt: skip
    return np.array(found).reshape(layers, heads)


@torch.no_grad()
def stream_map(runs: Runs) -> Any:
    """(layers, positions): the residual stream entering each layer, at each position."""
    import numpy as np

    layers, positions = runs.capture.n_layers(runs.experiment.stack), len(runs.experiment.tokens)
    found = runs.effects([runs.stream_where(layer, p)
                          for layer in range(layers) for p in range(positions)])  # fmt: skip
    return np.array(found).reshape(layers, positions)


def sublayer_layout(runs: Runs) -> list[tuple[Stack, str]]:
    att = runs.capture
    return [*att.layout("encoder"), *(att.layout("decoder") if "cross" in att.stacks else [])]


@torch.no_grad()
def sublayer_map(runs: Runs) -> Any:
    """(layers, sublayers): each sublayer's output before its Add & Norm."""
    import numpy as np

    layers, layout = runs.capture.n_layers(runs.experiment.stack), sublayer_layout(runs)
    found = runs.effects([[Where("sublayer", stack, layer, name=sublayer)]
                          for layer in range(layers) for stack, sublayer in layout])  # fmt: skip
    return np.array(found).reshape(layers, len(layout))


def patching_maps(experiment: Experiment) -> Maps:
    """Patch, one at a time, every head's output, the stream entering each layer at each
    position, and every sublayer's output, from the clean run into the corrupted one. The
    stream and sublayer maps need labelled blocks (ours, BERT's layout); else they are
    empty."""
    import numpy as np

    runs = prepare(experiment)
    att = runs.capture
    heads = {stack: head_map(runs, stack) for stack in att.stacks}
    labelled = bool(att.blocks)
    return Maps(
        runs.clean_value, runs.corrupted_value, heads,
        stream_map(runs) if labelled else np.zeros((0, 0)),
        sublayer_map(runs) if labelled else np.zeros((0, 0)),
        tuple(SUBLAYER_NAMES[key] for key in sublayer_layout(runs)) if labelled else (),
        experiment.tokens,
    )  # fmt: skip


# -- in a notebook ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Labelled:
    """A map of patching effects with its axes named: `values[i, j]` is `dims[0]`
    `labels[0][i]`, `dims[1]` `labels[1][j]`."""

    values: torch.Tensor
    dims: tuple[str, str]
    labels: tuple[tuple[str, ...], tuple[str, ...]]

    def __repr__(self) -> str:
        rows = "\n".join(
            f"{name:>12s} " + " ".join(f"{v:6.3f}" for v in row.tolist())
            for name, row in zip(self.labels[0], self.values, strict=True)
        )
        return f"{self.dims[0]} x {self.dims[1]} ({', '.join(self.labels[1])})\n{rows}"


def patch(
    model: nn.Module,
    clean: Mapping[str, torch.Tensor],
    corrupted: Mapping[str, torch.Tensor],
    metric: Any,
    what: Literal["heads", "stream", "sublayers"] = "heads",
    stack: Stack = "encoder",
    tokens: Sequence[str] = (),
    answer: Any = predicted,
) -> Labelled:
    """Patch `what` from the clean inputs into the corrupted ones, one at a time; `metric`
    maps the model's output to the number that tells the answers apart (a logit
    difference). Effects are (patched - corrupted) / (clean - corrupted). Refused when the
    metric does not move (NothingToPatch); a SameAnswer warning, with the numbers, when
    `answer` (output -> what it answers; `predicted` by default) is the same for both."""
    runs = prepare(Experiment(model, lambda inputs: model(**inputs), clean, corrupted, metric,
                              tuple(tokens), "", stack, answer_of=answer))  # fmt: skip
    layers = tuple(f"layer {i}" for i in range(runs.capture.n_layers(stack)))
    if what == "heads":
        found = head_map(runs, stack)
        columns = tuple(f"head {h}" for h in range(found.shape[1]))
        dims = ("layer", "head")
    elif what == "stream":
        found = stream_map(runs)
        columns = tuple(tokens) or tuple(str(p) for p in range(found.shape[1]))
        dims = ("layer", "position")
    else:
        found = sublayer_map(runs)
        columns = tuple(SUBLAYER_NAMES[key] for key in sublayer_layout(runs))
        dims = ("layer", "sublayer")
    return Labelled(torch.as_tensor(found), dims, (layers, columns))


# -- checked against plain PyTorch hooks ---------------------------------------------------------
W_O_NAMES = ("w_o", "o_proj", "out_proj", "c_proj", "dense", "o", "wo", "out_lin")


def w_o_of(model: nn.Module, stack: Stack, layer: int) -> nn.Module:
    """The module whose input is the heads' outputs joined, for one attention site: W_O."""
    from model.core.instrument import block_sites

    for block in block_sites(model):
        if (block.stack, block.layer, block.sublayer) == (stack, layer, "attention"):
            return block.weights[0]
    for module in model.modules():
        site = getattr(module, "_atlas_site", None)
        if site is not None and site.owner == id(model) and (site.stack, site.layer) == (
            stack, layer,
        ):  # fmt: skip
            for name in W_O_NAMES:
                child = getattr(module, name, None)
                if isinstance(child, nn.Module):
                    return child
    raise ValueError(f"no W_O found for {stack} layer {layer} of {type(model).__name__}")


@torch.no_grad()
def head_effect_by_hand(runs: Runs, stack: Stack, layer: int, head: int, d_head: int) -> float:
    """One head's patching effect, recomputed without the hook mechanism: plain PyTorch
    pre-hooks on W_O's input keep the clean run's joined heads and swap the head's slice
    into the corrupted run."""
    e = runs.experiment
    w_o = w_o_of(e.model, stack, layer)
    kept: list[torch.Tensor] = []
    handle = w_o.register_forward_pre_hook(lambda m, args: kept.append(args[0].detach().clone()))
    try:
        e.run(e.clean)
    finally:
        handle.remove()
    part = slice(head * d_head, (head + 1) * d_head)

    def swap(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
        joined = args[0].clone()
        joined[..., part] = kept[0][..., part]
        return (joined, *args[1:])

    handle = w_o.register_forward_pre_hook(swap)
    try:
        patched = float(e.metric(e.run(e.corrupted)))
    finally:
        handle.remove()
    return (patched - runs.corrupted_value) / (runs.clean_value - runs.corrupted_value)


@torch.no_grad()
def whole_input(runs: Runs) -> float:
    """Every embedding component of the corrupted stream, at every position, patched: the
    clean input itself, so exactly 1."""
    e = runs.experiment
    return runs.effect(
        *(Where("embedding", e.stack, -1, name="*", position=p)
          for p in range(len(e.tokens)))
    )  # fmt: skip
