"""One text followed through every block of a transformer: what Inside the Transformer shows.

    anatomy = translator_anatomy(translator, "The cat sleeps.", beams=3)
    anatomy.spec.n_layers                       # read from the model, never assumed
    anatomy.capture.block("encoder", 0, "ffn")  # residual, output, summed, normed, hidden
    next_tokens(anatomy, step=2)                # Linear + Softmax: the 10 likeliest tokens

Everything shown comes from one capture (`capture(..., activations=True)`), read from the
model's own modules; `model.analysis.recompute` proves each number from the parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from model.core.capture import AttentionCapture
from model.hf.encoding import Encoded, run_with_capture
from model.transformer.decoding import BeamStep, beam_search, output_limit
from model.transformer.model import Transformer

Kind = Literal["translator", "bert"]
NEAR_ZERO = 0.05  # a GELU unit counts as quiet below this magnitude (ReLU: exactly 0)


@dataclass(frozen=True)
class ModelSpec:
    """What kind of transformer a model is and its sizes, read from its config: the diagram is
    drawn from it and the page's captions quote it."""

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


def spec_of(model: nn.Module, name: str = "") -> ModelSpec:
    if isinstance(model, Transformer):
        c = model.config
        return ModelSpec(
            "translator", name or "our translator", c.n_layers, c.n_heads, c.d_model, c.d_ff,
            c.tgt_vocab_size, "relu", "sinusoidal", segments=False,
            lm_head=True,
        )  # fmt: skip
    config: Any = model.config
    getter = getattr(model, "get_output_embeddings", None)
    return ModelSpec(
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

    spec: ModelSpec
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
        spec=spec_of(model),
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


def bert_anatomy(model: Any, encoded: Encoded, name: str = "") -> Anatomy:
    """One forward pass of a BERT-family model with everything captured."""
    result, _ = run_with_capture(
        model, encoded, scores=True, qkv=True, masks=True, embeddings=True, activations=True
    )
    return Anatomy(
        spec=spec_of(model, name),
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
def stream_norms(
    anatomy: Anatomy, stack: Literal["encoder", "decoder"]
) -> tuple[list[str], np.ndarray]:
    """Each token's L2 norm along the residual stream: where it enters layer 0, then after
    each add (before the norm) and after each norm. Returns the points' names and
    (tokens, points). In a post-norm model the sum grows and each norm brings it back."""
    cap = anatomy.capture
    names = ["enters layer 0"]
    layout = cap.layout(stack)
    first_stack, first_sublayer = layout[0]
    columns = [cap.joined(first_stack, 0, first_sublayer, "residual")[0].norm(dim=-1)]
    for layer in range(anatomy.spec.n_layers):
        for sub_stack, sublayer in layout:
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
