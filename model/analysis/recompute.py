"""Every number Inside the Transformer shows, recomputed from the model's parameters.

    result = recompute(translator.model, anatomy)
    result.error, result.blocks, result.ok

`recompute` starts again from the model's parameters and each block's captured input, with
the formulas written out here (LayerNorm, FFN, W_O, the embeddings, softmax, the beam
scores), so a capture that recorded the wrong tensor fails it. Which modules hold each
block's parameters is read from the model's one layer layout (`instrument.block_sites`),
never listed again here. Used by `python -m model.evaluate anatomy` and the tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from model.analysis.anatomy import Anatomy, beam_paths
from model.core.capture import AttentionCapture, BlockRecord
from model.core.instrument import block_sites
from model.transformer.decoding import forced_decode_steps
from model.transformer.model import Transformer


@dataclass(frozen=True)
class Check:
    """One kind of number recomputed: how many instances, the largest absolute difference."""

    name: str
    instances: int
    error: float
    ok: bool = True  # for exact checks (the arg max is the token chosen)


@dataclass(frozen=True)
class Recomputation:
    checks: tuple[Check, ...]
    blocks: int  # block instances checked: each input, sublayer and Add & Norm (per decoding
    # step), each step's Linear + Softmax, each beam hypothesis

    @property
    def error(self) -> float:
        return max((c.error for c in self.checks), default=0.0)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if name == "relu":
        return F.relu
    if name == "gelu":
        return F.gelu
    from transformers.activations import ACT2FN

    return ACT2FN[name]


# Recomputed in the model's own precision (float32): a float64 recomputation differs from
# any float32 model by its rounding (7e-5 on MiniLM's 1536-wide feed-forward), which would
# hide a real error of that size.
def _layer_norm(x: torch.Tensor, norm: nn.Module, eps: float) -> torch.Tensor:
    """(x - mean) / sqrt(var + eps) * gamma + beta."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * norm.weight + norm.bias  # type: ignore[operator]


def _linear(x: torch.Tensor, linear: nn.Module) -> torch.Tensor:
    """x W^T + b, with the parameters read from the module (torch's fused kernel, as the
    model's: an unfused product rounds 1.5e-5 away on MiniLM's 1536-wide layer)."""
    return F.linear(x, linear.weight, linear.bias)  # type: ignore[arg-type]


def _gap(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).abs().max()) if a.numel() else 0.0


def _attention_output(cap: AttentionCapture, block: BlockRecord, w_o: nn.Module) -> torch.Tensor:
    record = cap.record(block.stack, block.layer, block.step)
    if record.v is None:
        raise ValueError("recompute needs a capture with qkv=True")
    heads = record.probs @ record.v  # (batch, heads, q_len, d_head)
    batch, _, q_len, _ = heads.shape
    return _linear(heads.transpose(1, 2).reshape(batch, q_len, -1), w_o)


@torch.no_grad()
def recompute(model: nn.Module, anatomy: Anatomy) -> Recomputation:
    """Every number Inside the Transformer shows, recomputed from the model's parameters and
    each block's captured input, compared with what was captured."""
    spec, cap = anatomy.spec, anatomy.capture
    sites = {(b.stack, b.layer, b.sublayer): b for b in block_sites(model)}
    act = _activation(spec.activation)
    errors: dict[str, list[float]] = {}
    flags: dict[str, bool] = {}
    blocks: set[tuple[object, ...]] = set()

    def note(name: str, error: float, ok: bool = True) -> None:
        errors.setdefault(name, []).append(error)
        flags[name] = flags.get(name, True) and ok

    for stack, name, error in _input_checks(model, anatomy):
        note(name, error)
        blocks.add(("input", stack))
    for block in cap.blocks:
        blocks.add((block.stack, block.layer, block.sublayer, block.step))
        note("residual sum", _gap(block.residual + block.output, block.summed))
        site = sites[(block.stack, block.layer, block.sublayer)]
        note("layer norm", _gap(_layer_norm(block.summed, site.norm, block.eps), block.normed))
        mean, std = block.summed.mean(-1), block.summed.std(-1, unbiased=False)
        note("norm statistics", max(_gap(mean, block.mean()),
                                    _gap(torch.sqrt(std**2 + block.eps), block.std())))  # fmt: skip
        if block.sublayer == "ffn":
            w_1, w_2 = site.weights
            hidden = act(_linear(block.residual, w_1))
            if block.hidden is None:
                raise ValueError("a feed-forward block was captured without its hidden units")
            note("ffn hidden", _gap(hidden, block.hidden))
            note("ffn output", _gap(_linear(hidden, w_2), block.output))
        else:
            (w_o,) = site.weights
            note("attention output", _gap(_attention_output(cap, block, w_o), block.output))
    for name, error in _chain_checks(anatomy):
        note(name, error)
    if spec.decoder:
        for where, name, error, ok in _output_checks(model, anatomy):
            note(name, error, ok)
            blocks.add(where)
    checks = tuple(
        Check(name, len(values), max(values), flags[name]) for name, values in errors.items()
    )
    return Recomputation(checks, len(blocks))


def _input_checks(model: nn.Module, anatomy: Anatomy) -> Iterator[tuple[str, str, float]]:
    """The input embedding and positions, and their sum entering layer 0."""
    cap, spec = anatomy.capture, anatomy.spec
    source = torch.tensor(anatomy.source_ids)
    first = cap.block("encoder", 0, "attention").residual
    if isinstance(model, Transformer):
        sides = [("encoder", anatomy.source_ids, model.src_embed, first[0])]
        if anatomy.target_ids:
            entering = cap.joined("decoder", 0, "attention", "residual")[0]
            sides.append(("decoder", anatomy.target_ids, model.tgt_embed, entering))
        for stack, ids, embed, into_layer_0 in sides:
            token = embed.table.weight[torch.tensor(ids)] * math.sqrt(spec.d_model)
            position = torch.from_numpy(sinusoids(len(ids), spec.d_model)).float()
            captured = cap.embeddings[f"{stack}.token"][0], cap.embeddings[f"{stack}.position"][0]
            yield stack, "token embedding", _gap(token, captured[0])
            yield stack, "positional encoding", _gap(position, captured[1])
            yield stack, "input sum", _gap(token + position, into_layer_0)
        return
    embeddings: Any = model.embeddings
    token = embeddings.word_embeddings.weight[source]
    position = embeddings.position_embeddings.weight[: len(source)]
    segment = embeddings.token_type_embeddings.weight[torch.tensor(anatomy.segments)]
    yield "encoder", "token embedding", _gap(token, cap.embeddings["token"][0])
    yield "encoder", "positional encoding", _gap(position, cap.embeddings["position"][0])
    yield "encoder", "segment embedding", _gap(segment, cap.embeddings["segment"][0])
    normed = _layer_norm(token + position + segment, embeddings.LayerNorm, embeddings.LayerNorm.eps)
    yield "encoder", "input sum", _gap(normed, first[0])


def sinusoids(length: int, d_model: int) -> np.ndarray:
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...), in float64."""
    pos = np.arange(length)[:, None]
    two_i = np.arange(0, d_model, 2)[None]
    angles = pos / np.power(10000.0, two_i / d_model)
    table = np.zeros((length, d_model))
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table


def _chain_checks(anatomy: Anatomy) -> Iterator[tuple[str, float]]:
    """What leaves each block is what enters the next."""
    cap, spec = anatomy.capture, anatomy.spec
    sides: list[Literal["encoder", "decoder"]] = (
        ["encoder", "decoder"] if spec.decoder else ["encoder"]
    )
    for side in sides:
        order = [
            (stack, layer, sublayer)
            for layer in range(spec.n_layers)
            for stack, sublayer in cap.layout(side)
        ]
        for (s1, l1, b1), (s2, l2, b2) in itertools.pairwise(order):
            left = cap.joined(s1, l1, b1, "normed")
            right = cap.joined(s2, l2, b2, "residual")
            yield "stream between blocks", _gap(left, right)


def _output_checks(
    model: nn.Module, anatomy: Anatomy
) -> Iterator[tuple[tuple[object, ...], str, float, bool]]:
    """Linear (the logits), Softmax (sums to 1, its arg max the token chosen), and the beam
    scores (each the sum of its tokens' log-probabilities, decoded again one by one)."""
    assert isinstance(model, Transformer)
    cap, spec = anatomy.capture, anatomy.spec
    logits = cap.logits
    if logits is None:
        raise ValueError("recompute needs a capture with activations=True")
    last = cap.joined("decoder", spec.n_layers - 1, "ffn", "normed")
    yield ("linear",), "linear (logits)", _gap(_linear(last, model.generator), logits), True
    probs = torch.softmax(logits.double(), dim=-1)[0]  # (steps, vocab)
    for step, chosen in enumerate(anatomy.output_ids):
        yield ("softmax", step), "softmax sums to 1", abs(float(probs[step].sum()) - 1.0), True
        right = int(probs[step].argmax()) == chosen
        yield ("softmax", step), "arg max is the word chosen", 0.0, right
    if anatomy.tree is not None:
        source = torch.tensor([anatomy.source_ids])
        bos = anatomy.target_ids[0]
        for step, index, path, score in beam_paths(anatomy.tree.steps):
            with torch.inference_mode():
                replay = forced_decode_steps(model, source, bos, path)[0]  # (len, vocab)
            log_probs = torch.log_softmax(replay, dim=-1).double()  # (len, vocab)
            total = float(sum(log_probs[i, token] for i, token in enumerate(path)))
            yield ("beam", step, index), "beam score", abs(total - score), True
