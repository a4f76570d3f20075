"""Which input tokens an output depends on, by gradient and by occlusion, computed with
Captum; and how faithful a ranking of the tokens is, measured by removing them.

    subject = Subject.of(model, inputs, AnswerSpan(12, 14), tokens, special, removed_id)
    attribute(subject, "ig")            # integrated gradients, converged, with its delta
    attribute(subject, "gradxinput")    # gradient x input
    attribute(subject, "occlusion")     # each token removed in turn: the reference effect
    faithfulness(subject, scores)       # ERASER's comprehensiveness and sufficiency

What is explained is one number of the model's output, a `Target`: a label's logit at some
positions (NER), an answer span's start + end logits (QA), a token's logit at a decoding
step (translation, encoder-decoders) or at the last position (decoder-only models).

A token is **removed** by replacing it with the tokenizer's mask token, or its unknown
token where it has no mask token (our translator), and it stays where it was, attended
like any other. Every other input the model reads per token that belongs to the token
(`Subject.follow`: the NER tagger's casing class, in its token type ids) takes the value a
mask token has, so that nothing of the token is left behind; what belongs to the position
(a QA input's segment) stays. One definition serves every method that removes: occlusion,
integrated gradients' baseline, comprehensiveness and sufficiency. Special tokens ([CLS],
[SEP], [EOS]) are never removed and never ranked.

Gradient methods are taken on the embedding layer (Captum's layer variants): the token
embeddings, or, where removal changes more than the token (`follow`), the whole embedding
module's output (BERT's word + casing + position, normalised), so that integrated
gradients' path runs between the same two inputs as removal and credits what it changes.
An embedding vector's attributions are summed into one score per token. Integrated
gradients integrates with Gauss-Legendre nodes (Captum's default), from IG_STEPS, doubling
until its completeness error, delta = sum(scores) - (f(x) - f(baseline)), is within
IG_TOLERANCE of f(x) - f(baseline) (or IG_MAX_STEPS is reached: the delta says how far).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch import nn

from model.core.runtime import lazy

Method = Literal["gradxinput", "ig", "occlusion"]
METHODS: tuple[Method, ...] = ("gradxinput", "ig", "occlusion")
METHOD_NAMES: dict[Method, str] = {
    "gradxinput": "gradient x input",
    "ig": "integrated gradients",
    "occlusion": "occlusion",
}
IG_STEPS = 32  # integrated gradients' first number of steps (Gauss-Legendre nodes)
IG_MAX_STEPS = 512  # ... doubled up to this many while not converged
IG_TOLERANCE = 0.01  # converged: |delta| <= this x |f(x) - f(baseline)| (or below IG_FLOOR)
IG_FLOOR = 1e-5  # a delta float32's rounding alone can make
FRACTIONS = (0.1, 0.2, 0.5)  # of the removable tokens, for comprehensiveness and sufficiency
BATCH = 32  # inputs per forward pass for occlusion and integrated gradients


def _logits(output: Any, field: str = "logits") -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else getattr(output, field)


class Target(Protocol):
    """One number of a model's output, for a batch of inputs."""

    @property
    def name(self) -> str: ...

    @property
    def queries(self) -> tuple[int, ...]: ...  # the output positions that produce it

    def logit(self, output: Any) -> torch.Tensor: ...  # (batch,): what is attributed

    def probability(self, output: Any) -> torch.Tensor: ...  # (batch,): what removal changes


@dataclass(frozen=True)
class LabelAt:
    """A label at each of some positions (an entity's pieces, B- then I-): the sum of those
    logits; its probability is the mean of theirs."""

    positions: tuple[int, ...]
    labels: tuple[int, ...]  # one per position
    name: str = "label"

    @property
    def queries(self) -> tuple[int, ...]:
        return self.positions

    def logit(self, output: Any) -> torch.Tensor:
        picked = _logits(output)[:, list(self.positions)]  # (batch, positions, labels)
        return picked[:, range(len(self.positions)), list(self.labels)].sum(-1)

    def probability(self, output: Any) -> torch.Tensor:
        probs = torch.softmax(_logits(output)[:, list(self.positions)].float(), -1)
        return probs[:, range(len(self.positions)), list(self.labels)].mean(-1)


@dataclass(frozen=True)
class AnswerSpan:
    """An answer span: its start logit plus its end logit (the span's score); its
    probability is p(start) x p(end)."""

    start: int
    end: int
    name: str = "answer span"

    @property
    def queries(self) -> tuple[int, ...]:
        return (self.start, self.end)

    def logit(self, output: Any) -> torch.Tensor:
        starts, ends = _logits(output, "start_logits"), _logits(output, "end_logits")
        return starts[:, self.start] + ends[:, self.end]

    def probability(self, output: Any) -> torch.Tensor:
        starts = torch.softmax(_logits(output, "start_logits").float(), -1)
        ends = torch.softmax(_logits(output, "end_logits").float(), -1)
        return starts[:, self.start] * ends[:, self.end]


@dataclass(frozen=True)
class TokenAt:
    """A vocabulary token at one position of the output: a decoding step of an
    encoder-decoder, or the last position of a decoder-only model (the next token)."""

    position: int
    token: int
    name: str = "token"

    @property
    def queries(self) -> tuple[int, ...]:
        return (self.position,)

    def logit(self, output: Any) -> torch.Tensor:
        return _logits(output)[:, self.position, self.token]

    def probability(self, output: Any) -> torch.Tensor:
        return torch.softmax(_logits(output)[:, self.position].float(), -1)[:, self.token]


@dataclass(frozen=True)
class Subject:
    """One input and one target, as the methods need them."""

    model: nn.Module  # instrumented: its attention on the same input is captured beside
    run: Callable[[torch.Tensor], Any]  # token ids (batch, seq) -> the model's output
    target: Target
    embedding: nn.Module  # the layer whose output is the token embeddings
    ids: torch.Tensor  # (1, seq)
    tokens: tuple[str, ...]
    removable: tuple[bool, ...]  # False: a special token, never removed nor ranked
    removed_id: int  # what a removed token becomes
    batch: int = BATCH  # inputs per forward pass (Captum's internal batch): memory's bound
    # per-token inputs that follow removal: input name -> the value a removed token takes
    follow: Mapping[str, int] = field(default_factory=dict)
    removed_as: str = ""  # what removal does, in words (Removal.said, and what follows it)

    @classmethod
    def of(
        cls,
        model: nn.Module,
        inputs: Mapping[str, torch.Tensor],
        target: Target,
        tokens: Sequence[str],
        special: Sequence[bool],
        removed_id: int,
        embedding: nn.Module | None = None,
        ids: str = "input_ids",
        follow: Mapping[str, int] | None = None,
        removed_as: str = "",
    ) -> Subject:
        """A Hugging Face model (or any taking keyword inputs): `inputs[ids]` is explained,
        the other inputs (attention mask, segments, a decoder's prefix) stay as they are,
        but those named in `follow`, which take their removed value wherever a token is
        removed (then `embedding` must be the layer whose output carries them)."""
        rest = {k: v for k, v in inputs.items() if k != ids}
        follow = dict(follow or {})
        if missing := sorted(set(follow) - set(rest)):
            raise ValueError(f"follow names inputs the model is not given: {missing}")
        original = inputs[ids][:1]

        def run(batch: torch.Tensor) -> Any:
            n = batch.shape[0]
            given = {k: v.expand(n, *v.shape[1:]) for k, v in rest.items()}
            if follow:
                removed = (batch == removed_id) & (original != removed_id)
                for name, value in follow.items():
                    given[name] = torch.where(removed, torch.full_like(given[name], value),
                                              given[name])  # fmt: skip
            return model(**{ids: batch}, **given)

        if embedding is not None:
            layer = embedding
        elif follow:  # the module whose output holds the token's every embedding
            found = getattr(getattr(model, "base_model", model), "embeddings", None)
            if not isinstance(found, nn.Module):
                raise ValueError("follow needs the embedding module that reads those inputs")
            layer = found
        else:
            layer = model.get_input_embeddings()  # type: ignore[operator]
        return cls(model, run, target, layer, original, tuple(tokens),
                   tuple(not s for s in special), removed_id, follow=follow,
                   removed_as=removed_as)  # fmt: skip

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return self.target.logit(self.run(batch))

    def removed(self, positions: Sequence[int]) -> torch.Tensor:
        """The ids with the tokens at `positions` removed (never a special token)."""
        ids = self.ids.clone()
        keep = [p for p in positions if self.removable[p]]
        ids[0, keep] = self.removed_id
        return ids

    @property
    def baseline(self) -> torch.Tensor:
        """Every removable token removed: integrated gradients' starting point."""
        return self.removed([i for i, r in enumerate(self.removable) if r])

    @torch.no_grad()
    def probabilities(self, batch: torch.Tensor) -> torch.Tensor:
        out = [self.target.probability(self.run(part)) for part in batch.split(self.batch)]
        return torch.cat(out).double()


@dataclass(frozen=True)
class Removal:
    id: int  # what a removed token becomes
    said: str  # the same in words, and why when it is a fallback


REMOVERS = {"mask_token_id": "mask token", "unk_token_id": "unknown token",
            "pad_token_id": "padding token", "eos_token_id": "end token"}  # fmt: skip


def removal(tokenizer: Any) -> Removal:
    """What a removed token becomes: the mask token, else the unknown, else padding, else the
    end token; a fallback says which tokens the tokenizer lacks."""
    lacking: list[str] = []
    for name, what in REMOVERS.items():
        value = getattr(tokenizer, name, None)
        if value is None:
            lacking.append(what)
            continue
        convert = getattr(tokenizer, "convert_ids_to_tokens", None)
        token = str(convert(int(value))) if convert else f"(id {int(value)})"
        why = f" (this tokenizer has no {' and no '.join(lacking)})" if lacking else ""
        return Removal(int(value), f"the {what} {token}{why}")
    raise ValueError("the tokenizer has no mask, unknown, padding or end token to remove with")


def removal_id(tokenizer: Any) -> int:
    return removal(tokenizer).id


@dataclass(frozen=True)
class Attribution:
    """One score per token; 0 for special tokens. Integrated gradients only: `delta`, its
    signed completeness error sum(scores) - (f(x) - f(baseline)); `change`, f(x) -
    f(baseline); `steps`, the Gauss-Legendre nodes it took."""

    method: Method
    tokens: tuple[str, ...]
    scores: np.ndarray  # (tokens,)
    delta: float | None = None
    change: float | None = None
    steps: int | None = None

    @property
    def relative_delta(self) -> float | None:
        return relative_delta(self.delta, self.change)


def relative_delta(delta: float | None, change: float | None) -> float | None:
    """|delta| / |f(x) - f(baseline)| (inf when the two ends are equal and delta is not)."""
    if delta is None or change is None:
        return None
    if change == 0:
        return 0.0 if delta == 0 else float("inf")
    return abs(delta) / abs(change)


def converged(delta: float, change: float, tolerance: float = IG_TOLERANCE) -> bool:
    return abs(delta) <= max(tolerance * abs(change), IG_FLOOR)


def attribute(
    subject: Subject | nn.Module,
    inputs: Any = None,
    target: Target | None = None,
    method: Method = "ig",
    steps: int = IG_STEPS,
    tolerance: float | None = IG_TOLERANCE,
) -> Attribution:
    """Per-token scores of one method (Captum's implementations), for a Subject, or in a
    notebook for a model, its encoded input (model.hf.encoding.encode) and a target:

        attribute(model, encode(tokenizer, question, context), AnswerSpan(9, 11), "ig")

    Integrated gradients starts at `steps` and doubles them until converged (`converged`,
    up to IG_MAX_STEPS); `tolerance=None`: exactly `steps`."""
    if not isinstance(subject, Subject):
        if inputs is None or target is None:
            raise ValueError("attribute(model, inputs, target): the inputs and the target")
        subject = Subject.of(subject, inputs.inputs, target, inputs.tokens, inputs.special,
                             inputs.removed_id, follow=inputs.follow,
                             removed_as=inputs.removed_as)  # fmt: skip
    attr = lazy("captum.attr")
    FeatureAblation, LayerIntegratedGradients = attr.FeatureAblation, attr.LayerIntegratedGradients
    LayerGradientXActivation = attr.LayerGradientXActivation

    delta = change = used = None
    with torch.enable_grad():
        if method == "gradxinput":
            found = LayerGradientXActivation(subject.forward, subject.embedding).attribute(
                subject.ids
            )
            scores = found.sum(-1)[0]
        elif method == "ig":
            integrated = LayerIntegratedGradients(subject.forward, subject.embedding)
            used = steps
            while True:
                found, gap = integrated.attribute(
                    subject.ids, baselines=subject.baseline, n_steps=used,
                    internal_batch_size=subject.batch, return_convergence_delta=True,
                )  # fmt: skip
                scores, delta = found.sum(-1)[0], float(gap[0])
                change = float(scores.sum()) - delta  # f(x) - f(baseline)
                if tolerance is None or used >= IG_MAX_STEPS or converged(delta, change, tolerance):
                    break
                used = min(2 * used, IG_MAX_STEPS)
        elif method == "occlusion":
            with torch.inference_mode():  # each token removed in turn: f(x) - f(x without it)
                positions = torch.arange(subject.ids.shape[1], device=subject.ids.device)
                scores = FeatureAblation(subject.forward).attribute(
                    subject.ids, baselines=subject.baseline, feature_mask=positions[None],
                    perturbations_per_eval=subject.batch,
                )[0].float()  # fmt: skip
        else:
            raise ValueError(f"no attribution method {method!r}; one of {', '.join(METHODS)}")
    kept = torch.tensor(subject.removable, dtype=torch.bool)
    scores = scores.detach().float().cpu()  # (a model on a GPU: the scores come back)
    values = torch.where(kept, scores, torch.zeros_like(scores))
    return Attribution(method, subject.tokens, values.numpy(), delta, change, used)


# -- faithfulness: ERASER's comprehensiveness and sufficiency (DeYoung et al., 2020) ---------
@dataclass(frozen=True)
class Faithfulness:
    """For each fraction of the removable tokens, the top-ranked ones first:
    comprehensiveness = p(x) - p(x without them) (higher: the ranking found what matters);
    sufficiency = p(x) - p(only them) (lower: they suffice). AOPC: the mean over fractions."""

    comprehensiveness: tuple[float, ...]
    sufficiency: tuple[float, ...]
    probability: float = float("nan")  # p(x): the output's probability with nothing removed

    @property
    def comprehensiveness_aopc(self) -> float:
        return float(np.mean(self.comprehensiveness))

    @property
    def sufficiency_aopc(self) -> float:
        return float(np.mean(self.sufficiency))


def top_tokens(subject: Subject, scores: np.ndarray, fraction: float) -> list[int]:
    """The removable tokens with the highest scores, `fraction` of them (at least one);
    ties keep text order."""
    candidates = [i for i, r in enumerate(subject.removable) if r]
    count = max(1, round(fraction * len(candidates)))
    ranked = sorted(candidates, key=lambda i: -float(scores[i]))
    return ranked[:count]


def faithfulness(
    subject: Subject, scores: np.ndarray, fractions: Sequence[float] = FRACTIONS
) -> Faithfulness:
    if not any(subject.removable):
        raise ValueError("there is no token to remove: the input holds special tokens only")
    variants = [subject.ids]
    everyone = [i for i, r in enumerate(subject.removable) if r]
    for fraction in fractions:
        top = top_tokens(subject, scores, fraction)
        variants.append(subject.removed(top))  # without them
        variants.append(subject.removed([i for i in everyone if i not in top]))  # only them
    p = subject.probabilities(torch.cat(variants)).tolist()
    full = p[0]
    return Faithfulness(
        comprehensiveness=tuple(full - p[1 + 2 * k] for k in range(len(fractions))),
        sufficiency=tuple(full - p[2 + 2 * k] for k in range(len(fractions))),
        probability=full,
    )


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two score vectors (nan when either is constant)."""
    from scipy.stats import spearmanr

    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)
