"""What a capture holds: each attention call's record (`AttentionRecord`), each sublayer's
(`BlockRecord`), and the whole call's `AttentionCapture`, immutable, on the CPU, with its
views (a layer, a head, every step assembled) and its exports (NPZ, JSON)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

import numpy as np
import torch
from torch import nn

from model.core.hooks import STACKS, Stack, Sublayer

# Which token sequence lies along each axis of a stack's attention: (queries, keys).
AXES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "encoder": ("source", "source"),
        "decoder": ("target", "target"),
        "cross": ("target", "source"),
    }
)


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
