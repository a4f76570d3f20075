"""Greedy and beam-search decoding with a key/value cache, for our Transformer.

Both always stop: at the end-of-sequence id or after `max_new` tokens, whichever
comes first, and never past the model's max_len.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from model.transformer.attention import KVCache
from model.transformer.model import Transformer

MAX_NEW = 80  # output tokens at most, for a translation


def output_limit(source_tokens: int, max_new: int | None) -> int:
    """How many tokens decoding may produce: as asked, or twice the source plus ten (a
    translation is rarely much longer than its source), never more than MAX_NEW."""
    return max_new if max_new is not None else min(MAX_NEW, 2 * source_tokens + 10)


@dataclass(frozen=True)
class Hypothesis:
    ids: tuple[int, ...]  # generated ids, starting after BOS, including EOS if reached
    score: float  # sum of log-probabilities (length-normalised for beams)
    finished: bool  # EOS reached before the length limit


@dataclass(frozen=True)
class Candidate:
    """One extension of a beam that beam search weighed at a step."""

    parent: int  # the beam it extends: an index into the previous step's kept candidates
    token: int
    log_prob: float  # log p(token | source, the beam's prefix)
    score: float  # the prefix's summed log-probability, this token included
    fate: Literal["kept", "finished", "pruned"]  # kept open, ended with EOS, or cut


@dataclass(frozen=True)
class BeamStep:
    """The best 2 x beam extensions of one step, best first, and what became of each."""

    step: int
    candidates: tuple[Candidate, ...]

    @property
    def kept(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.fate == "kept")


def _limit(model: Transformer, max_new: int) -> int:
    return max(1, min(max_new, model.config.max_len - 1))


@torch.inference_mode()
def greedy_decode(
    model: Transformer, src: torch.Tensor, bos: int, eos: int, max_new: int = 100
) -> Hypothesis:
    """src: (1, src_len). One decoder step per new token, reusing cached keys and values."""
    memory, src_allowed = model.encode(src)  # (1, src_len, d_model)
    cache: KVCache = {}
    token = torch.tensor([[bos]])  # (1, 1)
    ids: list[int] = []
    score = 0.0
    for step in range(_limit(model, max_new)):
        logits = model.decode(token, memory, src_allowed, cache, offset=step)  # (1, 1, vocab)
        log_probs = torch.log_softmax(logits[0, -1], dim=-1)  # (vocab,)
        best = int(log_probs.argmax())
        score += float(log_probs[best])
        ids.append(best)
        if best == eos:
            return Hypothesis(tuple(ids), score, True)
        token = torch.tensor([[best]])  # (1, 1)
    return Hypothesis(tuple(ids), score, False)


@torch.inference_mode()
def beam_search(
    model: Transformer,
    src: torch.Tensor,
    bos: int,
    eos: int,
    beam_size: int = 4,
    max_new: int = 100,
    length_penalty: float = 0.6,
    trace: list[BeamStep] | None = None,
) -> Hypothesis:
    """Keep the `beam_size` best prefixes; the beams share one batched cache. With `trace`,
    each step's candidates are appended to it: the tree of hypotheses kept and pruned."""
    if beam_size < 1:
        raise ValueError(f"beam_size must be at least 1, not {beam_size}")
    memory, src_allowed = model.encode(src)  # (1, src_len, d_model)
    cache: KVCache = {}
    beams: list[tuple[list[int], float]] = [([], 0.0)]
    finished: list[Hypothesis] = []

    def normalised(score: float, length: int) -> float:
        return score / (((5 + length) / 6) ** length_penalty)  # GNMT length penalty

    for step in range(_limit(model, max_new)):
        n = len(beams)
        last = torch.tensor([[ids[-1] if ids else bos] for ids, _ in beams])  # (n, 1)
        logits = model.decode(
            last, memory.expand(n, -1, -1), src_allowed.expand(n, -1, -1, -1), cache, step
        )  # (n, 1, vocab)
        log_probs = torch.log_softmax(logits[:, -1], dim=-1)  # (n, vocab)
        # Scores add up in float64, so a long hypothesis's score is its log-probabilities' sum.
        scores = torch.tensor([s for _, s in beams], dtype=torch.float64)  # (n,)
        totals = scores[:, None] + log_probs.double()  # (n, vocab)
        top_scores, top_index = totals.flatten().topk(min(2 * beam_size, totals.numel()))
        vocab = log_probs.shape[-1]
        next_beams: list[tuple[list[int], float]] = []
        origins: list[int] = []
        weighed: list[Candidate] = []
        for score, index in zip(top_scores.tolist(), top_index.tolist(), strict=True):
            origin, token = divmod(index, vocab)
            fate: Literal["kept", "finished", "pruned"] = "pruned"
            if len(next_beams) < beam_size:
                ids = [*beams[origin][0], token]
                if token == eos:
                    finished.append(Hypothesis(tuple(ids), normalised(score, len(ids)), True))
                    fate = "finished"
                else:
                    next_beams.append((ids, score))
                    origins.append(origin)
                    fate = "kept"
            weighed.append(Candidate(origin, token, float(log_probs[origin, token]), score, fate))
        if trace is not None:
            trace.append(BeamStep(step, tuple(weighed)))
        best_finished = max((h.score for h in finished), default=float("-inf"))
        best_open = max((normalised(s, len(i)) for i, s in next_beams), default=float("-inf"))
        if len(finished) >= beam_size or not next_beams or best_finished > best_open:
            break
        order = torch.tensor(origins)  # which old beam each new beam extends
        for module, (k, v) in list(cache.items()):
            if k.shape[0] == n:  # cross-attention keys of a single source broadcast as they are
                cache[module] = (k[order], v[order])  # (beams, heads, len, d_head)
        beams = next_beams
    if not finished:
        finished = [Hypothesis(tuple(i), normalised(s, len(i)), False) for i, s in beams]
    return max(finished, key=lambda h: h.score)


@torch.inference_mode()
def forced_decode_steps(
    model: Transformer, src: torch.Tensor, bos: int, ids: tuple[int, ...]
) -> torch.Tensor:
    """Feed a chosen output back one step at a time with the cache, as decoding does.

    Run inside `capture` to record every decoding step of a hypothesis found by
    beam search (whose beams were batched). Returns the logits (1, len(ids), vocab).
    """
    memory, src_allowed = model.encode(src)
    cache: KVCache = {}
    inputs = [bos, *ids[:-1]] if ids else [bos]
    logits = []
    for step, token in enumerate(inputs):
        step_ids = torch.tensor([[token]])  # (1, 1)
        logits.append(model.decode(step_ids, memory, src_allowed, cache, offset=step))
    return torch.cat(logits, dim=1)  # (1, steps, vocab)
