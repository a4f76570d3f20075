"""Every explanation of one output, side by side on the same tokens: where attention looks
(a head, its layer, every layer, rollout, flow) and what the output depends on (gradient x
input, integrated gradients, occlusion), with each one's rank correlation with occlusion.

    subject = tagger.explain(result, entity)      # or reader.explain, translator.explain...
    found = explain(subject, layer=5, head=3)
    found.rows["integrated gradients"], found.correlation["rollout"]
    found.delta, found.steps                      # integrated gradients' error and steps

    ready = prepare(subject)                      # the model's work, once (a page's job)
    ready.at(layer=5, head=3)                     # any head's explanation: no model call

What attention stands for is defined once (`attention.EXPLAINED_BY`): the rows of the tokens
that produce the output (`Target.queries`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from model.analysis.attention import explained_attention
from model.core.attribution import (
    IG_STEPS,
    METHOD_NAMES,
    METHODS,
    Attribution,
    Method,
    Subject,
    attribute,
    rank_correlation,
    relative_delta,
)
from model.core.capture import AttentionCapture, capture


@dataclass(frozen=True)
class Explanation:
    target: str  # what is explained, in words
    tokens: tuple[str, ...]
    removable: tuple[bool, ...]  # False: special tokens, left out of rankings
    rows: dict[str, np.ndarray]  # method name -> one score per token, attention first
    delta: float | None  # integrated gradients' signed completeness error (Attribution)
    stack: str  # the attention stack whose rows stand for the output
    steps: int | None = None  # the Gauss-Legendre nodes integrated gradients took
    change: float | None = None  # f(x) - f(baseline), what delta is measured against
    removed_as: str = ""  # what removal does, in words (Subject.removed_as)

    @property
    def relative_delta(self) -> float | None:
        return relative_delta(self.delta, self.change)

    @property
    def correlation(self) -> dict[str, float]:
        """Each row's Spearman correlation with occlusion, over the removable tokens."""
        reference = self.rows.get(METHOD_NAMES["occlusion"])
        if reference is None:
            return {}
        kept = np.array(self.removable)
        return {
            name: rank_correlation(row[kept], reference[kept])
            for name, row in self.rows.items()
            if name != METHOD_NAMES["occlusion"]
        }


def attention_of(subject: Subject) -> AttentionCapture:
    """The model's attention on the subject's own input (the same call attribution makes)."""
    with torch.inference_mode(), capture(subject.model) as recorder:
        subject.run(subject.ids)
    return recorder.result


def attributions(
    subject: Subject, methods: Sequence[Method] = METHODS, steps: int = IG_STEPS
) -> tuple[dict[str, np.ndarray], Attribution | None]:
    """Each method's scores (by its name), and integrated gradients' own result (its delta,
    change and steps) when it is one of them."""
    rows: dict[str, np.ndarray] = {}
    integrated = None
    for method in methods:
        found = attribute(subject, method=method, steps=steps)
        rows[METHOD_NAMES[method]] = found.scores
        integrated = found if method == "ig" else integrated
    return rows, integrated


@dataclass(frozen=True)
class Prepared:
    """Everything the model computes for one output's explanations, whichever head is then
    looked at: the explained rows of every head, the rows that do not depend on the head
    (every layer's mean, rollout, flow) and the attributions. Small: a few numbers per key
    token and head, not the attention itself."""

    target: str
    tokens: tuple[str, ...]
    removable: tuple[bool, ...]
    stack: str
    picked: np.ndarray  # (layers, heads, k_len): each head's rows of the explained tokens
    fixed: dict[str, np.ndarray]  # rows that do not depend on the head chosen
    scores: dict[str, np.ndarray]  # attribution method name -> one score per token
    delta: float | None  # integrated gradients' (as Explanation's)
    steps: int | None = None
    change: float | None = None
    removed_as: str = ""

    @property
    def nbytes(self) -> int:
        arrays = [self.picked, *self.fixed.values(), *self.scores.values()]
        return 500 + sum(a.nbytes for a in arrays)

    def at(self, layer: int, head: int) -> Explanation:
        """The explanation with one head's rows (a layer or head beyond the model's: its last)."""
        layer, head = min(layer, self.picked.shape[0] - 1), min(head, self.picked.shape[1] - 1)
        rows = {
            f"layer {layer}, head {head}": self.picked[layer, head],
            f"layer {layer}, mean of heads": self.picked[layer].mean(0),
            **self.fixed,
            **self.scores,
        }
        return Explanation(self.target, self.tokens, self.removable, rows, self.delta, self.stack,
                           self.steps, self.change, self.removed_as)  # fmt: skip


def prepare(
    subject: Subject,
    methods: Sequence[Method] = METHODS,
    steps: int = IG_STEPS,
    flow: bool = True,
) -> Prepared:
    """The model's work for every explanation of the subject's output (`Prepared.at`)."""
    att = attention_of(subject)
    stack = "cross" if "cross" in att.stacks else att.stacks[0]
    weights = att.matrices(stack).numpy()  # (layers, heads, queries, keys)
    through = att.matrices("encoder").numpy() if stack == "cross" else None
    rows = explained_attention(weights, subject.target.queries, 0, 0, flow, through)
    picked = weights[:, :, list(subject.target.queries)].mean(axis=2)  # (layers, heads, k)
    del att, weights, through
    fixed = {name: row for name, row in rows.items() if not name.startswith("layer 0,")}
    scores, ig = attributions(subject, methods, steps)
    return Prepared(
        subject.target.name, subject.tokens, subject.removable, stack, picked, fixed, scores,
        *((ig.delta, ig.steps, ig.change) if ig else (None, None, None)), subject.removed_as,
    )  # fmt: skip


def explain(
    subject: Subject,
    layer: int,
    head: int,
    methods: Sequence[Method] = METHODS,
    steps: int = IG_STEPS,
    flow: bool = True,
) -> Explanation:
    """Every explanation of the subject's output, with the rows of one head (`prepare` once,
    then `Prepared.at` for each head, where several are looked at)."""
    return prepare(subject, methods, steps, flow).at(layer, head)
