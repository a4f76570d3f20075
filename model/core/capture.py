"""One capture API for every model: what did each head attend to in this call?

    with capture(model, scores=True, qkv=True) as rec:
        model(**inputs)
    att = rec.result                       # AttentionCapture, immutable, on CPU
    att.layer("encoder", 3)                # (heads, q_len, k_len)

    with capture(model, activations=True) as rec:
        model(**inputs)
    rec.result.block("encoder", 3, "ffn")  # BlockRecord: residual, output, summed, normed, hidden

    with ablate(model, {("encoder", 2): [0, 5]}):
        model(**inputs)                    # heads 0 and 5 of layer 2 switched off

Both are handlers of the hook points in `model.core.hooks`: every attention site hands its
tensors to them on each forward, scoped to this call by a `ContextVar`, so two sessions
calling one cached model at once each get their own numbers, and nothing is left on the
modules. The numbers recorded are the tensors the model used, not a re-implementation.

Stacks are named "encoder" (encoder self-attention; BERT's only stack),
"decoder" (masked decoder self-attention) and "cross" (decoder queries over
encoder keys).

Mask convention, used everywhere in this package: a boolean tensor, True where
a query may attend to a key. `model.core.masks.to_additive` is the one place it
becomes the additive float mask the softmax sees.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from model.core.hooks import STACKS, Point, Site, Stack, Sublayer
from model.core.instrument import instrument, intervene
from model.core.masks import from_additive

__all__ = [
    "AXES",
    "STACKS",
    "Ablation",
    "AblationMode",
    "AttentionCapture",
    "AttentionRecord",
    "BlockRecord",
    "Recorder",
    "Stack",
    "ablate",
    "capture",
    "instrument",
]
# Which token sequence lies along each axis of a stack's attention: (queries, keys).
AXES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "encoder": ("source", "source"),
        "decoder": ("target", "target"),
        "cross": ("target", "source"),
    }
)
AblationMode = Literal["zero", "mean"]


@dataclass(frozen=True)
class AttentionRecord:
    """One attention call: one stack, one layer, one decoding step (0 without generation).

    All tensors are detached and on the CPU. Batch stays the first axis.
    """

    stack: Stack
    layer: int
    step: int
    probs: torch.Tensor  # (batch, heads, q_len, k_len) softmax output
    scaling: float  # the factor applied to Q.K^T, 1/sqrt(d_head) unless the model says otherwise
    scores: torch.Tensor | None = None  # (batch, heads, q_len, k_len) scaled, masked, pre-softmax
    q: torch.Tensor | None = None  # (batch, heads, q_len, d_head)
    k: torch.Tensor | None = None  # (batch, heads, k_len, d_head)
    v: torch.Tensor | None = None  # (batch, heads, k_len, d_head)
    mask: torch.Tensor | None = None  # (batch, 1 or heads, q_len, k_len) bool, True = may attend
    bias: torch.Tensor | None = None  # (1|batch, 1|heads, q_len, k_len) added to the scores:
    # T5's position bias, or a bias a model passes inside its additive mask (Falcon's ALiBi)
    kv_heads: int = 0  # grouped-query attention: key/value heads, each shared by heads/kv_heads
    # query heads (k and v above are expanded per query head); 0 when every head has its own
    key_offset: int = 0  # keys before this position were dropped by the model's cache (a
    # sliding window while generating): probs, scores and mask still span every key, 0 (or
    # masked) before it, and k and v (which hold only the kept keys) start here
    window: int | None = None  # the sliding window the layer attends within, as the model set it
    softcap: float | None = None  # scores were softcap * tanh(scores / softcap) (Gemma 2)

    def kv_head(self, head: int) -> int:
        """The key/value head a query head reads (itself without grouped-query attention)."""
        if not self.kv_heads:
            return head
        return head // (self.probs.shape[1] // self.kv_heads)

    def kept(self, tensor: torch.Tensor) -> torch.Tensor:
        """A (..., k_len) tensor of this record (probs, scores, mask) over the keys the model
        kept, the columns k and v hold."""
        return tensor[..., self.key_offset :]


@dataclass(frozen=True)
class BlockRecord:
    """One sublayer with its Add & Norm, in one call (one decoding step):

        summed = residual + output,  normed = LayerNorm(summed)

    Every tensor is what the model's own modules took or gave, detached, on the CPU,
    (batch, seq, d_model); `hidden` (feed-forward only) is (batch, seq, d_ff)."""

    stack: Stack
    layer: int
    sublayer: Sublayer
    step: int
    residual: torch.Tensor  # the stream entering the sublayer (and skipping it)
    output: torch.Tensor  # the sublayer's output, before the add
    summed: torch.Tensor  # the norm's input
    normed: torch.Tensor  # the norm's output: the stream leaving the block
    eps: float  # the norm's epsilon
    hidden: torch.Tensor | None = None  # act(x W1 + b1), the feed-forward's hidden units

    def mean(self) -> torch.Tensor:
        """Each token's mean before the norm, (batch, seq)."""
        return self.summed.mean(dim=-1)

    def std(self) -> torch.Tensor:
        """Each token's standard deviation before the norm, as the norm divides by it:
        sqrt(var + eps), the variance over d_model without Bessel's correction. (batch, seq)"""
        return torch.sqrt(self.summed.var(dim=-1, unbiased=False) + self.eps)

    def tensors(self) -> list[torch.Tensor]:
        held = [self.residual, self.output, self.summed, self.normed]
        return held + ([self.hidden] if self.hidden is not None else [])


@dataclass(frozen=True)
class AttentionCapture:
    """Everything recorded for one call (or one generation), immutable.

    `tokens` maps an axis name ("source", "target") to its tokens and `special`
    to which of them are special ([CLS], [SEP], <pad>, </s>...). `embeddings`
    maps a component name ("token", "position", "segment", prefixed by the
    stack for seq2seq models) to its (batch, seq, d_model) tensor.
    """

    records: tuple[AttentionRecord, ...]
    tokens: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    special: Mapping[str, tuple[bool, ...]] = field(default_factory=lambda: MappingProxyType({}))
    embeddings: Mapping[str, torch.Tensor] = field(default_factory=lambda: MappingProxyType({}))
    blocks: tuple[BlockRecord, ...] = ()  # with activations=True, for models that label them
    logits: torch.Tensor | None = None  # (batch, positions, vocab), decoding steps joined

    def __post_init__(self) -> None:
        index = {(r.stack, r.layer, r.step): r for r in self.records}
        object.__setattr__(self, "_index", index)
        blocks = {(b.stack, b.layer, b.sublayer, b.step): b for b in self.blocks}
        object.__setattr__(self, "_blocks", blocks)
        for name in ("tokens", "special", "embeddings"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    # -- lookup -----------------------------------------------------------------------------
    @property
    def stacks(self) -> tuple[Stack, ...]:
        present = {r.stack for r in self.records}
        return tuple(s for s in STACKS if s in present)

    def n_layers(self, stack: Stack = "encoder") -> int:
        return 1 + max((r.layer for r in self.records if r.stack == stack), default=-1)

    def n_heads(self, stack: Stack = "encoder") -> int:
        return self.record(stack, 0).probs.shape[1]

    def n_steps(self, stack: Stack = "encoder") -> int:
        return 1 + max((r.step for r in self.records if r.stack == stack), default=-1)

    def record(self, stack: Stack, layer: int, step: int = 0) -> AttentionRecord:
        rec = self._index.get((stack, layer, step))  # type: ignore[attr-defined]
        if rec is None:
            raise KeyError(
                f"no attention recorded for stack={stack!r} layer={layer} step={step}; "
                f"stacks present: {self.stacks}, layers: {self.n_layers(stack)}, "
                f"steps: {self.n_steps(stack)}"
            )
        return rec

    def block(self, stack: Stack, layer: int, sublayer: Sublayer, step: int = 0) -> BlockRecord:
        """A sublayer's Add & Norm ("attention" or "ffn"; cross-attention is stack "cross")."""
        found = self._blocks.get((stack, layer, sublayer, step))  # type: ignore[attr-defined]
        if found is None:
            if not self.blocks:
                raise KeyError(
                    "no activations were recorded: capture with activations=True (for a "
                    "Hugging Face model, the BERT family labels its blocks)"
                )
            raise KeyError(f"no block recorded for {stack!r} layer {layer} {sublayer} step {step}")
        return found

    def block_steps(self, stack: Stack, layer: int, sublayer: Sublayer) -> int:
        return sum(
            1 for b in self.blocks if (b.stack, b.layer, b.sublayer) == (stack, layer, sublayer)
        )

    def layout(self, side: Literal["encoder", "decoder"]) -> list[tuple[Stack, Sublayer]]:
        """The blocks of one layer of a side, in the order the model ran them: (stack,
        sublayer). The decoder's side holds its cross-attention ("cross") too."""
        stacks = ("encoder",) if side == "encoder" else ("decoder", "cross")
        return [
            (b.stack, b.sublayer)
            for b in self.blocks
            if b.layer == 0 and b.step == 0 and b.stack in stacks
        ]

    def joined(self, stack: Stack, layer: int, sublayer: Sublayer, name: str) -> torch.Tensor:
        """One field of a block ("residual", "normed", "hidden"...) over every position: the
        decoding steps' single positions joined in order. (batch, seq, width)"""
        steps = self.block_steps(stack, layer, sublayer)
        parts = [getattr(self.block(stack, layer, sublayer, s), name) for s in range(steps)]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def mask(self, stack: Stack, layer: int, step: int = 0) -> torch.Tensor:
        """The boolean mask a layer applied, (batch, 1 or heads, q_len, k_len)."""
        mask = self.record(stack, layer, step).mask
        if mask is None:
            raise ValueError("no mask was recorded: capture with masks=True")
        return mask

    def axis_tokens(self, stack: Stack) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The (query, key) tokens of a stack's attention matrices."""
        q_axis, k_axis = AXES[stack]
        return self.tokens.get(q_axis, ()), self.tokens.get(k_axis, ())

    # -- views ------------------------------------------------------------------------------
    def layer(self, stack: Stack, layer: int, step: int = 0, batch: int = 0) -> torch.Tensor:
        return self.record(stack, layer, step).probs[batch]  # (heads, q_len, k_len)

    def head(
        self, stack: Stack, layer: int, head: int, step: int = 0, batch: int = 0
    ) -> torch.Tensor:
        return self.layer(stack, layer, step, batch)[head]  # (q_len, k_len)

    def mean_over_heads(
        self, stack: Stack, layer: int, step: int = 0, batch: int = 0
    ) -> torch.Tensor:
        return self.layer(stack, layer, step, batch).mean(dim=0)  # (q_len, k_len)

    def stacked(self, stack: Stack = "encoder", step: int = 0, batch: int = 0) -> torch.Tensor:
        """Every layer's attention, (layers, heads, q_len, k_len): a view, without a copy,
        where the recorder wrote the layers into one tensor (it does for every call whose
        layers it can count), else stacked anew."""
        n = self.n_layers(stack)
        probs = [self.record(stack, i, step).probs for i in range(n)]
        base = probs[0]._base
        if (
            base is not None
            and base.dim() == probs[0].dim() + 1
            and base.shape[0] == n
            and all(p._base is base and p.data_ptr() == base[i].data_ptr()
                    for i, p in enumerate(probs))
        ):  # fmt: skip
            return base[:, batch]  # (layers, heads, q_len, k_len), a view
        return torch.stack([p[batch] for p in probs])  # (layers, heads, q_len, k_len)

    def assembled(self, stack: Stack, batch: int = 0) -> torch.Tensor:
        """Per-step decoder attention put back together as full matrices.

        With a key/value cache, step t holds one query row over the keys seen so
        far. Rows are stacked in step order; keys not yet seen are 0, which is
        what the look-ahead mask gives in a single teacher-forced pass.
        """
        steps = [self.stacked(stack, step, batch) for step in range(self.n_steps(stack))]
        k_len = max(s.shape[-1] for s in steps)
        padded = [nn.functional.pad(s, (0, k_len - s.shape[-1])) for s in steps]
        return torch.cat(padded, dim=2)  # (layers, heads, total_q_len, k_len)

    def matrices(self, stack: Stack = "encoder", batch: int = 0) -> torch.Tensor:
        """A stack's full matrices, whether from one call or put together from decoding steps."""
        if self.n_steps(stack) > 1:
            return self.assembled(stack, batch)  # (layers, heads, steps, k_len)
        return self.stacked(stack, 0, batch)  # (layers, heads, q_len, k_len)

    def to_numpy(self, stack: Stack = "encoder", step: int = 0, batch: int = 0) -> np.ndarray:
        array = self.stacked(stack, step, batch).numpy().copy()  # (layers, heads, q_len, k_len)
        array.setflags(write=False)
        return array

    def windows(self, stack: Stack) -> dict[int, int]:
        """The layers of a stack that attend within a sliding window, and its size."""
        return {r.layer: r.window for r in self.records if r.stack == stack and r.window}

    def tensors(self) -> list[torch.Tensor]:
        """Every tensor the capture holds (to account for its memory)."""
        held = [*self.embeddings.values(), *([self.logits] if self.logits is not None else [])]
        for block in self.blocks:
            held += block.tensors()
        for rec in self.records:
            held += [
                t
                for t in (rec.probs, rec.scores, rec.q, rec.k, rec.v, rec.mask, rec.bias)
                if t is not None
            ]
        return held

    # -- export -----------------------------------------------------------------------------
    def _export_arrays(self) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for stack in self.stacks:
            for step in range(self.n_steps(stack)):
                key = stack if self.n_steps(stack) == 1 else f"{stack}_step{step}"
                arrays[key] = self.to_numpy(stack, step)
        return arrays

    def to_npz(self) -> bytes:
        """Attention as a compressed .npz: one (layers, heads, q_len, k_len) array per stack
        (and per step when generating), plus the tokens of each axis."""
        buffer = io.BytesIO()
        tokens = {f"tokens_{axis}": np.array(toks, dtype=str) for axis, toks in self.tokens.items()}
        np.savez_compressed(buffer, **self._export_arrays(), **tokens)  # type: ignore[arg-type]
        return buffer.getvalue()

    def to_json(self, decimals: int = 6) -> str:
        """Attention as JSON: tokens per axis and, per stack, a layers x heads x q x k list."""
        payload = {
            "tokens": {axis: list(toks) for axis, toks in self.tokens.items()},
            "special": {axis: list(flags) for axis, flags in self.special.items()},
            "axes": {stack: list(AXES[stack]) for stack in self.stacks},
            "attention": {
                key: np.round(array.astype(np.float64), decimals).tolist()
                for key, array in self._export_arrays().items()
            },
        }
        return json.dumps(payload, ensure_ascii=False)

    def with_tokens(
        self,
        tokens: Mapping[str, Sequence[str]],
        special: Mapping[str, Sequence[bool]] | None = None,
    ) -> AttentionCapture:
        """A copy with the tokens of each axis attached (the capture itself never tokenises)."""
        for stack in self.stacks:
            q_axis, k_axis = AXES[stack]
            _, _, q_len, k_len = self.record(stack, 0).probs.shape
            # While generating, a step holds one query and the keys seen so far; only the
            # source axis of cross-attention has a fixed length then.
            generating = self.n_steps(stack) > 1
            checks = [(k_axis, k_len)] if generating and stack == "cross" else []
            if not generating:
                checks = [(q_axis, q_len), (k_axis, k_len)]
            for axis, length in checks:
                if axis in tokens and len(tokens[axis]) != length:
                    raise ValueError(
                        f"attention has {length} positions on the {axis} axis of {stack!r}, "
                        f"while the number of tokens is {len(tokens[axis])}"
                    )
        return replace(
            self,
            tokens={axis: tuple(t) for axis, t in tokens.items()},
            special={axis: tuple(bool(f) for f in s) for axis, s in (special or {}).items()},
        )


# -- the two handlers ----------------------------------------------------------------------------
def _kept(tensor: torch.Tensor, offset: int = 0, fill: float | bool | None = None) -> torch.Tensor:
    """A tensor as a record keeps it: detached, on the CPU, floating point as float32 (a
    bfloat16 or float16 model's numbers are all exactly float32 numbers, and numpy, plotly and
    the exports read no bfloat16); with `offset` dropped keys, the last axis padded in front
    with `fill` so that it spans every key."""
    kept = tensor.detach().cpu()
    if kept.is_floating_point() and kept.dtype != torch.float32:
        kept = kept.float()
    if offset:
        front = torch.full((*kept.shape[:-1], offset), fill, dtype=kept.dtype)  # type: ignore[arg-type]
        kept = torch.cat([front, kept], dim=-1)
    return kept


class Recorder:
    """Records one model's attention (and, on request, scores, Q/K/V, masks, embedding
    components and the activations of every block) while its `capture` block is open;
    `result` after."""

    def __init__(
        self,
        owner: int,
        *,
        scores: bool,
        qkv: bool,
        masks: bool,
        embeddings: bool,
        activations: bool = False,
    ) -> None:
        self.owner = owner
        self.want_scores = scores
        self.want_qkv = qkv
        self.want_masks = masks
        self.want_embeddings = embeddings
        self.want_activations = activations
        self._records: list[AttentionRecord] = []
        self._steps: dict[tuple[str, int], int] = {}
        self._seen: dict[tuple[str, int], int] = {}  # query positions so far, per layer
        self._embeddings: dict[str, list[torch.Tensor]] = {}
        self._open_blocks: dict[tuple[str, int, str], dict[str, torch.Tensor]] = {}
        self._blocks: list[BlockRecord] = []
        self._block_steps: dict[tuple[str, int, str], int] = {}
        self._logits: list[torch.Tensor] = []
        self._result: AttentionCapture | None = None
        # Layers per stack (the model's sites say, `capture` sets it): each call's
        # probabilities are written into one (layers, batch, heads, q_len, k_len) tensor as
        # they come, so the whole stack is read without a copy and never held twice.
        self.layers: Mapping[str, int] = {}
        self._bases: dict[tuple[str, int], torch.Tensor] = {}
        # A generation recorded as full matrices (`capture(..., rows=)`): per stack, the query
        # positions it will have in all; each call's rows go where its queries sit.
        self.rows: Mapping[str, int] = {}
        self._row_start: dict[tuple[str, int], int] = {}

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> None:
        if point == "attention":
            self._attention(site, value, **info)
        elif point == "embedding" and self.want_embeddings:
            self._embeddings.setdefault(site.name, []).append(_kept(value))
        elif point == "logits" and self.want_activations:
            self._logits.append(_kept(value))
        elif point in ("residual", "sublayer", "hidden", "norm") and self.want_activations:
            self._activation(point, site, value, info)

    def _activation(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> None:
        """Collect a block's pieces; its norm, the last to run, closes it."""
        key = (site.stack, site.layer, site.name)
        pieces = self._open_blocks.setdefault(key, {})
        pieces[point] = _kept(value)
        if point != "norm":
            return
        del self._open_blocks[key]
        step = self._block_steps.get(key, 0)
        self._block_steps[key] = step + 1
        record = BlockRecord(
            stack=site.stack, layer=site.layer, sublayer=site.name,  # type: ignore[arg-type]
            step=step, residual=pieces["residual"], output=pieces["sublayer"],
            summed=_kept(info["summed"]), normed=pieces["norm"],
            eps=float(info["eps"]), hidden=pieces.get("hidden"),
        )  # fmt: skip
        self._blocks.append(record)

    def _attention(
        self,
        site: Site,
        probs: torch.Tensor,  # (batch, heads, q_len, k_len)
        *,
        q: torch.Tensor,  # (batch, heads, q_len, d_head)
        k: torch.Tensor,  # (batch, heads, k_len, d_head)
        v: torch.Tensor,  # (batch, heads, k_len, d_head)
        scaling: float,
        additive_mask: torch.Tensor | None = None,  # broadcastable to probs, 0 = may attend
        scores: torch.Tensor | None = None,  # (batch, heads, q_len, k_len) if the site has them
        kv_groups: int = 1,  # query heads per key/value head (grouped-query attention)
        bias: torch.Tensor | None = None,  # added to the scores before the mask (T5)
        window: int | None = None,  # the layer's sliding window, if it has one
        softcap: float | None = None,  # the scores' soft cap, if the model caps them
    ) -> None:
        layer = site.layer
        if site.shared:  # one module, called once per layer in turn (ALBERT)
            calls = self._steps.get((site.stack, -1), 0)
            self._steps[(site.stack, -1)] = calls + 1
            layer = calls % site.shared
        step = self._steps.get((site.stack, layer), 0)
        self._steps[(site.stack, layer)] = step + 1
        offset = self._key_offset(site.stack, layer, probs.shape[-2], probs.shape[-1])
        if site.stack in self.rows:
            return self._write_rows(site.stack, layer, step, probs, offset, scaling, kv_groups,
                                    k.shape[1], window, softcap)  # fmt: skip
        kv_heads = 0
        if kv_groups > 1:  # each query head with the key/value head it shares, as eager does
            kv_heads = k.shape[1]
            k, v = k.repeat_interleave(kv_groups, dim=1), v.repeat_interleave(kv_groups, dim=1)
        rec = AttentionRecord(
            stack=site.stack, layer=layer, step=step, probs=self._probs(site.stack, layer,
                                                                        step, probs, offset),
            scaling=scaling, kv_heads=kv_heads, key_offset=offset,
            window=int(window) if window else None, softcap=softcap,
        )  # fmt: skip
        if self.want_scores:
            if scores is None:
                # The same operations, in the same order, as the eager function that made probs.
                scores = torch.matmul(q, k.transpose(2, 3)) * scaling  # (b, heads, q_len, k_len)
                if softcap is not None:
                    scores = torch.tanh(scores / softcap) * softcap
                if bias is not None:
                    scores = scores + bias
                if additive_mask is not None:
                    scores = scores + additive_mask
            rec = replace(rec, scores=_kept(scores, offset, torch.finfo(torch.float32).min))
        if self.want_qkv:
            rec = replace(rec, q=_kept(q), k=_kept(k), v=_kept(v))
            recorded_bias = bias  # what a recomputation from Q, K adds besides the mask
            if additive_mask is not None:
                allowed = from_additive(additive_mask)  # broadcastable to probs
                extra = additive_mask.masked_fill(~allowed, 0)  # a bias in the mask (ALiBi)
                if extra.any():
                    recorded_bias = extra if bias is None else bias + extra
            if recorded_bias is not None:
                rec = replace(rec, bias=_kept(recorded_bias, offset, 0.0))
        if self.want_masks:
            batch, _, q_len, k_len = probs.shape
            if additive_mask is None:
                allowed = torch.ones(batch, 1, q_len, k_len, dtype=torch.bool)
            else:
                allowed = from_additive(additive_mask.detach().cpu())  # broadcastable to probs
                allowed = allowed.expand(batch, allowed.shape[1], q_len, k_len)  # (b, 1|h, q, k)
            rec = replace(rec, mask=_kept(allowed, offset, False))
        self._records.append(rec)

    def _write_rows(
        self,
        stack: Stack,
        layer: int,
        step: int,
        probs: torch.Tensor,  # (batch, heads, q_len, k_len)
        offset: int,
        scaling: float,
        kv_groups: int,
        kv_heads: int,
        window: int | None,
        softcap: float | None,
    ) -> None:
        """One call of a generation recorded as rows of the full matrices: its queries' rows
        of one (batch, heads, positions, keys) tensor per layer, at their positions, its keys
        at theirs (those a sliding window's cache dropped, and those not yet written, 0). The
        first call makes the layer's record (step 0); the later ones fill it in."""
        layers = self.layers.get(stack, 0)
        if not 0 <= layer < layers:
            raise ValueError(f"rows= needs the model's layers counted (stack {stack!r})")
        batch, heads, q_len, k_len = probs.shape
        positions = self.rows[stack]
        start = self._row_start.get((stack, layer), 0)
        self._row_start[(stack, layer)] = start + q_len
        base = self._bases.get((stack, 0))
        if base is None:
            keys = k_len if stack == "cross" else positions  # cross: the source, whole
            base = self._bases[(stack, 0)] = torch.zeros((layers, batch, heads, positions, keys))
        end = min(start + q_len, positions)
        if end > start:
            rows = probs.detach()[:, :, : end - start]  # (batch, heads, rows, k_len)
            base[layer, :, :, start:end, offset : offset + k_len].copy_(rows)  # to the CPU
        if step == 0:
            self._records.append(AttentionRecord(
                stack=stack, layer=layer, step=0, probs=base[layer], scaling=scaling,
                kv_heads=kv_heads if kv_groups > 1 else 0, window=int(window) if window else None,
                softcap=softcap,
            ))  # fmt: skip

    def _probs(
        self, stack: Stack, layer: int, step: int, probs: torch.Tensor, offset: int
    ) -> torch.Tensor:
        """The probabilities as a record keeps them (`_kept`), written into the stack's
        tensor for this step where the layers are counted."""
        layers = self.layers.get(stack, 0)
        shape = (*probs.shape[:-1], probs.shape[-1] + offset)  # (batch, heads, q_len, k_len)
        base = self._bases.get((stack, step))
        if base is None and 0 <= layer < layers:
            base = self._bases[(stack, step)] = torch.empty((layers, *shape))
        if base is None or base.shape[1:] != shape or not 0 <= layer < layers:
            return _kept(probs, offset, 0.0)
        slot = base[layer]  # (batch, heads, q_len, k_len), a view
        slot[..., :offset] = 0.0
        slot[..., offset:].copy_(probs.detach())  # to the CPU, in float32 (as `_kept`)
        return slot

    def _key_offset(self, stack: Stack, layer: int, q_len: int, k_len: int) -> int:
        """Where a self-attention call's keys start on the sequence's full key axis.

        A call whose keys are exactly its queries starts a sequence. A call that continues one
        (a decoding step, its queries after those seen so far) has keys up to its last query;
        a cache that dropped the oldest (a sliding window keeps a suffix) hands over fewer, and
        they start at the difference. Cross-attention reads the encoder: always 0."""
        if stack == "cross":
            return 0
        key = (stack, layer)
        seen = 0 if k_len == q_len else self._seen.get(key, 0)
        self._seen[key] = seen + q_len
        return max(0, seen + q_len - k_len)

    def close(self) -> None:
        embeddings: dict[str, torch.Tensor] = {}
        for name, values in self._embeddings.items():
            # A shared embedding (seq2seq) fires once per stack and per decoding step.
            embeddings[name] = values[0] if len(values) == 1 else torch.cat(values, dim=1)
        logits = None
        if self._logits:
            logits = self._logits[0] if len(self._logits) == 1 else torch.cat(self._logits, dim=1)
        self._result = AttentionCapture(
            records=tuple(self._records),
            embeddings=embeddings,
            blocks=tuple(self._blocks),
            logits=logits,
        )

    @property
    def result(self) -> AttentionCapture:
        if self._result is None:
            raise RuntimeError("the capture is still open: read .result after the `with` block")
        return self._result


@dataclass(frozen=True)
class Ablation:
    """Heads to switch off, per (stack, layer); "zero" zeroes a head's output, "mean" replaces it
    by its mean over the query positions of the call."""

    owner: int
    heads: Mapping[tuple[Stack, int], frozenset[int]]
    mode: AblationMode = "zero"

    def __call__(
        self, point: Point, site: Site, value: torch.Tensor, info: Mapping[str, Any]
    ) -> torch.Tensor | None:
        heads = self.heads.get((site.stack, site.layer)) if point == "heads" else None
        if not heads:
            return None
        head_dim: int = info["head_dim"]
        output = value.clone()
        index = torch.tensor(sorted(heads), dtype=torch.long, device=value.device)
        chosen = output.index_select(head_dim, index)
        if self.mode == "zero":
            replacement = torch.zeros_like(chosen)
        else:
            # mean over the query positions of this call; the query axis sits next to the heads
            query_dim = 2 if head_dim == 1 else 1
            replacement = chosen.mean(dim=query_dim, keepdim=True).expand_as(chosen)
        return output.index_copy(head_dim, index, replacement)


# -- the public switches ------------------------------------------------------------------------
@contextmanager
def capture(
    model: nn.Module,
    *,
    scores: bool = False,
    qkv: bool = False,
    masks: bool = False,
    embeddings: bool = False,
    activations: bool = False,
    rows: Mapping[str, int] | None = None,
) -> Iterator[Recorder]:
    """Record every attention call `model` makes inside the block (this thread only).

    Probabilities are always recorded; scores, Q/K/V, masks, embedding components and
    activations (each block's residual stream, sublayer output, Add & Norm, feed-forward
    hidden units, and the logits) on request, since they cost memory.

    `rows` records a generation as one teacher-forced pass would give it: for each stack
    named ("decoder", "cross"), the query positions the generation will have in all (the
    prompt and what is written, minus the last token); each decoding step's query rows are
    written into one (layers, heads, positions, keys) matrix per stack as the step runs, so
    the result has one step, and nothing is assembled or held twice. Probabilities only.
    """
    if rows and (scores or qkv or masks):
        raise ValueError("rows= records probabilities only: no scores, Q/K/V or masks")
    recorder = Recorder(
        id(model),
        scores=scores,
        qkv=qkv,
        masks=masks,
        embeddings=embeddings,
        activations=activations,
    )
    try:
        with intervene(model, recorder):
            recorder.layers = dict(getattr(model, "_atlas_layers", {}))
            recorder.rows = dict(rows or {})
            yield recorder
    finally:
        recorder.close()


@contextmanager
def ablate(
    model: nn.Module,
    heads: Mapping[tuple[Stack, int], Sequence[int]],
    mode: AblationMode = "zero",
) -> Iterator[None]:
    """Switch off the given heads of `model` for calls made inside the block (this thread only).

    `heads` maps (stack, layer) to head indices, e.g. {("encoder", 2): [0, 5]}.
    """
    if mode not in ("zero", "mean"):
        raise ValueError(f"ablation mode must be 'zero' or 'mean', not {mode!r}")
    frozen = {key: frozenset(int(h) for h in hs) for key, hs in heads.items()}
    with intervene(model, Ablation(id(model), frozen, mode)):
        if getattr(model, "_atlas_shared", False):
            raise ValueError(
                "this model runs one attention module as every layer (ALBERT): switching a "
                "head off would switch it off in all of them"
            )
        yield
