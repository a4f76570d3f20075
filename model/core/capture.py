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

What a capture holds (`AttentionCapture` and its records) is in `model.core.records`; this
module holds the handlers that fill it and the two switches, and names the records too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
from torch import nn

from model.core.hooks import STACKS, Point, Site, Stack
from model.core.instrument import instrument, intervene
from model.core.masks import from_additive
from model.core.records import AXES, AttentionCapture, AttentionRecord, BlockRecord

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
AblationMode = Literal["zero", "mean"]  # what a switched-off head gives: zeros, or its mean


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
