"""One text followed through every block of a transformer: what the architecture page shows,
and the recomputation that proves each number.

    anatomy = translator_anatomy(translator, "The cat sleeps.", beams=3)
    anatomy.architecture.n_layers               # read from the model, never assumed
    anatomy.capture.block("encoder", 0, "ffn")  # residual, output, summed, normed, hidden
    next_tokens(anatomy, step=2)                # Linear + Softmax: the 10 likeliest tokens
    recompute(translator.model, anatomy)        # every number, again, from the parameters

Everything shown comes from one capture (`capture(..., activations=True)`), read from the
model's own modules. `recompute` starts again from the model's parameters and the captured
inputs of each block, with the formulas written out here (LayerNorm, FFN, W_O, the
embeddings, softmax), so a capture that recorded the wrong tensor fails it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from model.core.capture import AttentionCapture, BlockRecord, Stack, capture
from model.core.hooks import Sublayer
from model.transformer.decoding import BeamStep, beam_search, forced_decode_steps, output_limit
from model.transformer.model import Transformer

Kind = Literal["translator", "bert"]
NEAR_ZERO = 0.05  # a GELU unit counts as quiet below this magnitude (ReLU: exactly 0)


@dataclass(frozen=True)
class Architecture:
    """The sizes the diagram is drawn from, read from the model's config."""

    kind: Kind
    name: str
    n_layers: int
    n_heads: int
    d_model: int
    d_ff: int
    vocab: int
    activation: str  # "relu", "gelu"...
    positions: Literal["sinusoidal", "learned"]
    segments: bool  # BERT's segment (token type) embedding
    lm_head: bool  # Linear + Softmax over a vocabulary

    @property
    def decoder(self) -> bool:
        return self.kind == "translator"


def architecture_of(model: nn.Module, name: str = "") -> Architecture:
    if isinstance(model, Transformer):
        c = model.config
        return Architecture(
            "translator", name or "our translator", c.n_layers, c.n_heads, c.d_model, c.d_ff,
            c.tgt_vocab_size, "relu", "sinusoidal", segments=False,
            lm_head=True,
        )  # fmt: skip
    config: Any = model.config
    getter = getattr(model, "get_output_embeddings", None)
    return Architecture(
        "bert", name or config.name_or_path or type(model).__name__,
        config.num_hidden_layers, config.num_attention_heads, config.hidden_size,
        config.intermediate_size, config.vocab_size, str(config.hidden_act), "learned",
        segments=bool(getattr(config, "type_vocab_size", 0)),
        lm_head=callable(getter) and getter() is not None,
    )  # fmt: skip


@dataclass(frozen=True)
class BeamTree:
    """A beam search traced step by step, and where it ended."""

    width: int
    steps: tuple[BeamStep, ...]
    tokens: dict[int, str]  # every token id in the tree
    text: str  # the winning hypothesis, decoded
    score: float  # its length-normalised score


@dataclass(frozen=True)
class Anatomy:
    """One text through one model, with everything captured."""

    architecture: Architecture
    capture: AttentionCapture  # scores, Q/K/V, masks, embeddings, activations, logits
    source: tuple[str, ...]  # the encoder's tokens
    source_ids: tuple[int, ...]
    target: tuple[str, ...] = ()  # the decoder's inputs: BOS, then each chosen token but the last
    target_ids: tuple[int, ...] = ()
    output: tuple[str, ...] = ()  # the token chosen at each decoding step
    output_ids: tuple[int, ...] = ()
    text: str = ""  # the translation
    segments: tuple[int, ...] = ()  # BERT's token type ids
    tree: BeamTree | None = None  # a beam search on the same source, traced
    notices: tuple[str, ...] = ()  # truncation, unknown characters, length limit

    @property
    def steps(self) -> int:
        return len(self.output_ids)


def translator_anatomy(translator: Any, text: str, beams: int = 3) -> Anatomy:
    """Greedy decoding with everything captured, and a beam search of `beams` traced.
    `translator` is a model.tasks.translation.OurTranslator; raises InputError on empty text."""
    result = translator.translate(text, beam=1, detail=True)
    ids, _, _ = translator.encode_source(text)
    model: Transformer = translator.model
    out_ids = tuple(
        int(i) for i in (translator.tokenizer.token_to_id(t) for t in result.output_tokens)
    )
    anatomy = Anatomy(
        architecture=architecture_of(model),
        capture=result.attention,
        source=result.source_tokens,
        source_ids=tuple(ids),
        target=result.decoder_tokens,
        target_ids=(translator.bos, *out_ids[:-1]),
        output=result.output_tokens,
        output_ids=out_ids,
        text=result.text,
        notices=result.notices,
    )
    return with_beams(translator, anatomy, beams) if beams >= 2 else anatomy


def with_beams(translator: Any, anatomy: Anatomy, width: int) -> Anatomy:
    """The anatomy with the tree of a beam search of `width` beams on the same source."""
    return with_tree(anatomy, beam_tree(translator, anatomy.source_ids, width))


def with_tree(anatomy: Anatomy, tree: BeamTree) -> Anatomy:
    return replace(anatomy, tree=tree)


def beam_tree(translator: Any, source_ids: Sequence[int], width: int) -> BeamTree:
    """Beam search of `width` beams on a source, traced (as the translation page runs it)."""
    trace: list[BeamStep] = []
    with torch.inference_mode():
        best = beam_search(
            translator.model, torch.tensor([list(source_ids)]), translator.bos,
            translator.eos, width, max_new=output_limit(len(source_ids), None), trace=trace,
        )  # fmt: skip
    tree_ids = {c.token for step in trace for c in step.candidates}
    words = [i for i in best.ids if i != translator.eos]
    return BeamTree(
        width=width,
        steps=tuple(trace),
        tokens={i: translator.tokenizer.id_to_token(i) or "?" for i in tree_ids},
        text=translator.tokenizer.decode(words),
        score=best.score,
    )


def bert_anatomy(model: Any, encoded: Any, name: str = "") -> Anatomy:
    """One forward pass of a BERT-family model with everything captured. `encoded` is a
    model.hf.encoding.Encoded."""
    with (
        torch.inference_mode(),
        capture(
            model, scores=True, qkv=True, masks=True, embeddings=True, activations=True
        ) as recorder,
    ):
        model(**encoded.inputs)
    result = recorder.result.with_tokens(
        {"source": encoded.tokens}, special={"source": encoded.special}
    )
    return Anatomy(
        architecture=architecture_of(model, name),
        capture=result,
        source=encoded.tokens,
        source_ids=tuple(int(i) for i in encoded.inputs["input_ids"][0]),
        segments=encoded.segments,
        notices=(
            (
                f"The text was cut to {len(encoded.tokens)} tokens: the last {encoded.dropped} "
                "were dropped.",
            )
            if encoded.dropped
            else ()
        ),
    )


# -- what the page shows, from the capture -------------------------------------------------
def layer_blocks(
    arch: Architecture, stack: Literal["encoder", "decoder"]
) -> list[tuple[Stack, Sublayer]]:
    """The blocks of one layer of a stack, in order: (stack of the sublayer, sublayer)."""
    if stack == "encoder":
        return [("encoder", "attention"), ("encoder", "ffn")]
    return [("decoder", "attention"), ("cross", "attention"), ("decoder", "ffn")]


def stream_norms(
    anatomy: Anatomy, stack: Literal["encoder", "decoder"]
) -> tuple[list[str], np.ndarray]:
    """Each token's L2 norm along the residual stream: where it enters layer 0, then after
    each add (before the norm) and after each norm. Returns the points' names and
    (tokens, points). In a post-norm model the sum grows and each norm brings it back."""
    cap = anatomy.capture
    names = ["enters layer 0"]
    first_block = layer_blocks(anatomy.architecture, stack)[0]
    columns = [cap.joined(first_block[0], 0, first_block[1], "residual")[0].norm(dim=-1)]
    for layer in range(anatomy.architecture.n_layers):
        for sub_stack, sublayer in layer_blocks(anatomy.architecture, stack):
            short = {"attention": "attn", "ffn": "FFN"}[sublayer]
            if sub_stack == "cross":
                short = "cross"
            for part, label in (("summed", "x + sublayer(x)"), ("normed", "norm")):
                names.append(f"L{layer} {short}: {label}")
                columns.append(cap.joined(sub_stack, layer, sublayer, part)[0].norm(dim=-1))
    return names, torch.stack(columns, dim=1).numpy()


def quiet_share(hidden: torch.Tensor, activation: str) -> np.ndarray:
    """Each token's share of feed-forward units that are off: exactly 0 after ReLU, or
    smaller than NEAR_ZERO in magnitude after GELU and the like. hidden (seq, d_ff)."""
    off = hidden == 0 if activation == "relu" else hidden.abs() < NEAR_ZERO
    return off.float().mean(dim=-1).numpy()  # (seq,)


def top_units(hidden_row: torch.Tensor, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The `k` most active feed-forward units of one token: (unit indices, activations)."""
    values, index = hidden_row.topk(min(k, hidden_row.shape[-1]))
    return index.numpy(), values.numpy()


def top_logits(
    anatomy: Anatomy, step: int, vocab: Callable[[int], str], k: int = 10
) -> list[tuple[str, float]]:
    """Linear at one decoding step: the `k` largest logits, with their tokens."""
    logits = anatomy.capture.logits
    if logits is None:
        raise ValueError("this capture holds no logits (the model has no output layer)")
    values, index = logits[0, step].topk(k)
    return [(vocab(int(i)), float(v)) for v, i in zip(values.tolist(), index.tolist(), strict=True)]


def next_tokens(
    anatomy: Anatomy, step: int, vocab: Callable[[int], str], k: int = 10
) -> list[tuple[str, float, bool]]:
    """Linear + Softmax at one decoding step: the `k` likeliest next tokens, each with its
    probability and whether it is the one greedy decoding chose."""
    logits = anatomy.capture.logits
    if logits is None:
        raise ValueError("this capture holds no logits (the model has no output layer)")
    probs = torch.softmax(logits[0, step].double(), dim=-1)  # (vocab,)
    values, index = probs.topk(k)
    chosen = anatomy.output_ids[step]
    return [
        (vocab(int(i)), float(p), int(i) == chosen)
        for p, i in zip(values.tolist(), index.tolist(), strict=True)
    ]


@dataclass(frozen=True)
class BeamNode:
    step: int
    index: int  # position among the step's candidates
    parent: int | None  # index of the parent node among the previous step's candidates
    token: str
    log_prob: float
    score: float
    fate: str


def beam_nodes(anatomy: Anatomy) -> list[BeamNode]:
    """The beam search tree as nodes: every candidate weighed at every step, linked to the
    node it extends (a kept candidate of the step before)."""
    nodes: list[BeamNode] = []
    previous_kept: list[int] = [-1]
    if anatomy.tree is None:
        return nodes
    for step in anatomy.tree.steps:
        for index, c in enumerate(step.candidates):
            parent = previous_kept[c.parent] if step.step else None
            nodes.append(
                BeamNode(step.step, index, parent, anatomy.tree.tokens.get(c.token, "?"),
                         c.log_prob, c.score, c.fate)
            )  # fmt: skip
        previous_kept = [i for i, c in enumerate(step.candidates) if c.fate == "kept"]
    return nodes


def beam_paths(steps: Sequence[BeamStep]) -> Iterator[tuple[int, int, tuple[int, ...], float]]:
    """(step, candidate index, token ids from the first step, score) of every kept or
    finished candidate: the hypotheses beam search held."""
    kept_paths: list[tuple[int, ...]] = [()]
    for step in steps:
        next_paths = []
        for index, c in enumerate(step.candidates):
            if c.fate == "pruned":
                continue
            path = (*kept_paths[c.parent], c.token)
            yield step.step, index, path, c.score
            if c.fate == "kept":
                next_paths.append(path)
        kept_paths = next_paths


# -- recomputation ---------------------------------------------------------------------------
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


@dataclass(frozen=True)
class _Modules:
    """Where a family keeps each block's parameters (read here, not from the capture)."""

    norm: Callable[[Stack, int, Sublayer], nn.Module]
    w_o: Callable[[Stack, int], nn.Module]
    ffn: Callable[[Stack, int], tuple[nn.Module, nn.Module]]


def _modules(model: nn.Module, arch: Architecture) -> _Modules:
    if isinstance(model, Transformer):
        enc: Any = model.encoder_layers
        dec: Any = model.decoder_layers

        def norm(stack: Stack, layer: int, sublayer: Sublayer) -> nn.Module:
            if stack == "encoder":
                return enc[layer].norm_1 if sublayer == "attention" else enc[layer].norm_2
            if stack == "cross":
                return dec[layer].norm_2
            return dec[layer].norm_1 if sublayer == "attention" else dec[layer].norm_3

        def w_o(stack: Stack, layer: int) -> nn.Module:
            owner = enc[layer].self_attn if stack == "encoder" else dec[layer].self_attn
            return dec[layer].cross_attn.w_o if stack == "cross" else owner.w_o

        def ffn(stack: Stack, layer: int) -> tuple[nn.Module, nn.Module]:
            block = (enc if stack == "encoder" else dec)[layer].feed_forward
            return block.w_1, block.w_2

        return _Modules(norm, w_o, ffn)
    layers: Any = model.encoder.layer  # type: ignore[union-attr]
    return _Modules(
        norm=lambda s, i, sub: (
            layers[i].attention if sub == "attention" else layers[i]
        ).output.LayerNorm,
        w_o=lambda s, i: layers[i].attention.output.dense,
        ffn=lambda s, i: (layers[i].intermediate.dense, layers[i].output.dense),
    )  # fmt: skip


def _attention_output(cap: AttentionCapture, block: BlockRecord, w_o: nn.Module) -> torch.Tensor:
    record = cap.record(block.stack, block.layer, block.step)
    if record.v is None:
        raise ValueError("recompute needs a capture with qkv=True")
    heads = record.probs @ record.v  # (batch, heads, q_len, d_head)
    batch, _, q_len, _ = heads.shape
    return _linear(heads.transpose(1, 2).reshape(batch, q_len, -1), w_o)


@torch.no_grad()
def recompute(model: nn.Module, anatomy: Anatomy) -> Recomputation:
    """Every number the architecture page shows, recomputed from the model's parameters and
    each block's captured input, compared with what was captured."""
    arch, cap = anatomy.architecture, anatomy.capture
    modules = _modules(model, arch)
    act = _activation(arch.activation)
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
        norm = modules.norm(block.stack, block.layer, block.sublayer)
        note("layer norm", _gap(_layer_norm(block.summed, norm, block.eps), block.normed))
        mean, std = block.summed.mean(-1), block.summed.std(-1, unbiased=False)
        note("norm statistics", max(_gap(mean, block.mean()),
                                    _gap(torch.sqrt(std**2 + block.eps), block.std())))  # fmt: skip
        if block.sublayer == "ffn":
            w_1, w_2 = modules.ffn(block.stack, block.layer)
            hidden = act(_linear(block.residual, w_1))
            if block.hidden is None:
                raise ValueError("a feed-forward block was captured without its hidden units")
            note("ffn hidden", _gap(hidden, block.hidden))
            note("ffn output", _gap(_linear(hidden, w_2), block.output))
        else:
            w_o = modules.w_o(block.stack, block.layer)
            note("attention output", _gap(_attention_output(cap, block, w_o), block.output))
    for name, error in _chain_checks(anatomy):
        note(name, error)
    if arch.decoder:
        for where, name, error, ok in _output_checks(model, anatomy):
            note(name, error, ok)
            blocks.add(where)
    checks = tuple(
        Check(name, len(values), max(values), flags[name]) for name, values in errors.items()
    )
    return Recomputation(checks, len(blocks))


def _input_checks(model: nn.Module, anatomy: Anatomy) -> Iterator[tuple[str, str, float]]:
    """The input embedding and positions, and their sum entering layer 0."""
    cap, arch = anatomy.capture, anatomy.architecture
    source = torch.tensor(anatomy.source_ids)
    first = cap.block("encoder", 0, "attention").residual
    if isinstance(model, Transformer):
        sides = [("encoder", anatomy.source_ids, model.src_embed, first[0])]
        if anatomy.target_ids:
            entering = cap.joined("decoder", 0, "attention", "residual")[0]
            sides.append(("decoder", anatomy.target_ids, model.tgt_embed, entering))
        for stack, ids, embed, into_layer_0 in sides:
            token = embed.table.weight[torch.tensor(ids)] * math.sqrt(arch.d_model)
            position = torch.from_numpy(sinusoids(len(ids), arch.d_model)).float()
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
    cap, arch = anatomy.capture, anatomy.architecture
    stacks: list[Literal["encoder", "decoder"]] = (
        ["encoder", "decoder"] if arch.decoder else ["encoder"]
    )
    for stack in stacks:
        order = [
            (sub_stack, layer, sublayer)
            for layer in range(arch.n_layers)
            for sub_stack, sublayer in layer_blocks(arch, stack)
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
    cap, arch = anatomy.capture, anatomy.architecture
    logits = cap.logits
    if logits is None:
        raise ValueError("recompute needs a capture with activations=True")
    last = cap.joined("decoder", arch.n_layers - 1, "ffn", "normed")
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
