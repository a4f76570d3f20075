"""The tallies over a corpus: every head's positional, sink and spread behaviours, its syntax
scores and top examples (`build`), and the sinks at each input length."""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from model.analysis.head_atlas.readers import Reader, Side
from model.analysis.head_atlas.storage import (
    EXAMPLES,
    Atlas,
    Examples,
    StackAtlas,
    _order,
    special_behaviour,
)
from model.analysis.head_atlas.syntax import (
    OFFSETS,
    _poss_owner,
    align,
    offset_heads,
    predicted_heads,
    word_attention,
)
from model.core.errors import InputError
from model.datasets.parses import ROOT, Parse

SINK_LENGTHS = (8, 16, 32, 64, 128, 256, 512)
MARKERS = ("##", "▁", "Ġ", "Ċ", "</w>")  # word-piece markers, stripped before testing a token


def is_punctuation(token: str) -> bool:
    for marker in MARKERS:
        token = token.replace(marker, "")
    return bool(token) and all(unicodedata.category(c).startswith("P") for c in token)


class _StackTally:
    """Running sums for one stack over the corpus."""

    def __init__(self, shape: tuple[int, int], sentences: int) -> None:
        self.shape = shape
        self.sums: dict[str, np.ndarray] = {}
        self.counts: Counter[str] = Counter()
        self.correct: dict[str, np.ndarray] = {}
        self.baseline: dict[str, np.ndarray] = {}
        self.totals: Counter[str] = Counter()
        self.best = np.full((sentences, *shape), -1.0, dtype=np.float32)
        self.best_at = np.zeros((sentences, *shape, 2), dtype=np.int32)
        self.tokens: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def add(self, name: str, total: np.ndarray, rows: int) -> None:
        if name not in self.sums:
            self.sums[name] = np.zeros(self.shape)
        self.sums[name] += total
        self.counts[name] += rows


def _tally_positions(tally: _StackTally, probs: np.ndarray, q: Side, k: Side, self_: bool) -> None:
    n_q, n_k = probs.shape[-2:]
    if self_:
        rows = np.arange(n_q)
        if n_q > 1:
            tally.add("previous token", probs[..., rows[1:], rows[1:] - 1].sum(-1), n_q - 1)
            tally.add("next token", probs[..., rows[:-1], rows[:-1] + 1].sum(-1), n_q - 1)
        tally.add("same token", probs[..., rows, rows].sum(-1), n_q)
        distance = np.abs(rows[:, None] - np.arange(n_k)[None, :])
        tally.add("distance", (probs * distance).sum((-1, -2)), n_q)
    tally.add("first token", probs[..., 0].sum(-1), n_q)
    special = np.array(k.special, dtype=bool)
    tally.add("special tokens", probs[..., special].sum((-1, -2)), n_q)
    for token in sorted({t for t, s in zip(k.tokens, k.special, strict=True) if s}):
        which = np.array([t == token and s for t, s in zip(k.tokens, k.special, strict=True)])
        tally.add(special_behaviour(token), probs[..., which].sum((-1, -2)), n_q)
    pairs = zip(k.tokens, k.special, strict=True)
    punctuation = np.array([not special and is_punctuation(t) for t, special in pairs])
    tally.add("punctuation", probs[..., punctuation].sum((-1, -2)), n_q)
    logs = np.log(np.where(probs > 0, probs, 1.0))
    tally.add("entropy", -(probs * logs).sum((-1, -2)), n_q)


def _tally_examples(
    tally: _StackTally, sentence: int, probs: np.ndarray, q: Side, k: Side, self_: bool
) -> None:
    valid = ~np.array(q.special)[:, None] & ~np.array(k.special)[None, :]
    if self_:
        np.fill_diagonal(valid, False)
    if not valid.any():
        return
    masked = np.where(valid, probs, -1.0).reshape(*probs.shape[:2], -1)
    flat = masked.argmax(axis=-1)
    tally.best[sentence] = np.take_along_axis(masked, flat[..., None], -1)[..., 0]
    tally.best_at[sentence] = np.stack(np.unravel_index(flat, probs.shape[-2:]), axis=-1)
    tally.tokens[sentence] = (q.tokens, k.tokens)


def _tally_relations(tally: _StackTally, probs: np.ndarray, q: Side, k: Side, parse: Parse) -> None:
    n = len(parse)
    q_words, k_words = align(q.spans, parse), align(k.spans, parse)
    covered = np.zeros(n, dtype=bool)
    covered[q_words[q_words >= 0]] = True
    covered &= np.isin(np.arange(n), k_words)
    predictions = predicted_heads(word_attention(probs, q_words, k_words, n))  # (2, L, H, n)
    offsets = np.stack([offset_heads(n, o) for o in OFFSETS])  # (offsets, n)
    for word, (head, relation) in enumerate(zip(parse.heads, parse.relations, strict=True)):
        if not covered[word] or (head != ROOT and not covered[head]):
            continue  # cut off by the model's length limit
        read = _poss_owner(parse, word) if relation == "poss" else word
        hit = (predictions[..., read] == head).astype(np.float64)
        base = (offsets[:, word] == head).astype(np.float64)
        for name in (relation, "all"):
            if name not in tally.correct:
                tally.correct[name] = np.zeros((2, *tally.shape))
                tally.baseline[name] = np.zeros(len(OFFSETS))
            tally.correct[name] += hit
            tally.baseline[name] += base
            tally.totals[name] += 1


def _examples(tally: _StackTally) -> Examples:
    layers, heads = tally.shape
    shape = (layers, heads, EXAMPLES)
    out = Examples(
        np.full(shape, -1, dtype=np.int32), np.zeros(shape, dtype=np.int32),
        np.zeros(shape, dtype=np.int32), np.full(shape, "", dtype="<U32"),
        np.full(shape, "", dtype="<U32"), np.zeros(shape, dtype=np.float32),
    )  # fmt: skip
    order = np.argsort(-tally.best, axis=0, kind="stable")[:EXAMPLES]  # (E, L, H)
    for e in range(order.shape[0]):
        for layer, head in np.ndindex(layers, heads):
            sentence = int(order[e, layer, head])
            weight = tally.best[sentence, layer, head]
            if weight < 0:
                continue
            qi, ki = (int(i) for i in tally.best_at[sentence, layer, head])
            q_tokens, k_tokens = tally.tokens[sentence]
            out.sentence[layer, head, e] = sentence
            out.query[layer, head, e], out.key[layer, head, e] = qi, ki
            out.query_token[layer, head, e] = q_tokens[qi][:32]
            out.key_token[layer, head, e] = k_tokens[ki][:32]
            out.weight[layer, head, e] = weight
    return out


def build(
    model: str,
    corpus: str,
    read: Reader,
    sentences: Sequence[str],
    parses: Sequence[Parse] | None,
    parser: str,
    progress: Callable[[int, int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Atlas:
    """The atlas of a model over `sentences` (with their parses, or None and the reason in
    `parser`). A sentence the model cannot read (InputError) is counted and left out.
    Raises InputError for an empty corpus, and Cancelled when `cancelled()` turns true."""
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise InputError("The corpus has no sentences: give at least one non-empty line.")
    started = time.perf_counter()
    tallies: dict[str, _StackTally] = {}
    kept: list[str] = []
    notes: list[str] = []
    dropped = 0
    for i, text in enumerate(sentences):
        if cancelled is not None and cancelled():
            raise Cancelled(f"Stopped after {i} of {len(sentences)} sentences.")
        try:
            reading = read(text)
        except InputError as error:
            dropped += 1
            if len(notes) < 5:
                notes.append(f"Left out {text[:60]!r}: {error}")
            continue
        index = len(kept)
        kept.append(text)
        for stack, (probs, q, k) in reading.stacks.items():
            probs = np.asarray(probs, dtype=np.float64)
            if stack not in tallies:
                tallies[stack] = _StackTally(probs.shape[:2], len(sentences))
            self_ = stack != "cross"
            tally = tallies[stack]
            _tally_positions(tally, probs, q, k, self_)
            _tally_examples(tally, index, probs, q, k, self_)
            if parses is not None and self_ and q.spans and k.spans:
                _tally_relations(tally, probs, q, k, parses[i])
        if progress is not None:
            progress(i + 1, len(sentences))
    if not kept:
        raise InputError(f"None of the {len(sentences)} sentences could be read: {notes[0]}")
    stacks = {}
    for stack, tally in tallies.items():
        tally.best = tally.best[: len(kept)]
        behaviours = {
            name: (tally.sums[name] / tally.counts[name]).astype(np.float32)
            for name in _order(tally.sums)
        }
        relations = dict(sorted(tally.correct.items(), key=lambda kv: -tally.totals[kv[0]]))
        stacks[stack] = StackAtlas(
            behaviours,
            {r: (c / tally.totals[r]).astype(np.float32) for r, c in relations.items()},
            {r: int(tally.totals[r]) for r in relations},
            {r: (tally.baseline[r] / tally.totals[r]).astype(np.float32) for r in relations},
            _examples(tally),
            int(tally.counts["first token"]),
        )
    return Atlas(
        model, corpus, tuple(kept), stacks, parser, time.perf_counter() - started, dropped,
        tuple(notes),
    )  # fmt: skip


class Cancelled(RuntimeError):
    """The atlas was stopped before it was done."""


def sinks_by_length(
    read: Reader,
    text: str,
    count: Callable[[str], int],
    limit: int,
    lengths: Sequence[int] = SINK_LENGTHS,
    stacks: Sequence[str] = ("encoder",),
) -> tuple[tuple[int, ...], dict[str, np.ndarray]]:
    """For texts of 8 to 512 tokens (or the model's `limit`) cut from the front of `text`
    (one long text made of the corpus), each head's share of attention on the first token
    and on special tokens, averaged over query rows. Returns the lengths reached and, per
    stack, (lengths, 2, layers, heads). `count` gives a text's length in tokens as the model
    reads it."""
    done: list[int] = []
    results: dict[str, list[np.ndarray]] = {}
    # the lengths under the model's limit, and the limit itself (or the longest length)
    for length in sorted({n for n in lengths if n < limit} | {min(limit, max(lengths))}):
        low, high = 1, len(text)
        while low < high:  # the longest prefix (in characters) that fits in `length` tokens
            middle = (low + high + 1) // 2
            if count(text[:middle]) <= length:
                low = middle
            else:
                high = middle - 1
        cut = text[:low].strip()
        n = count(cut)
        if done and n <= done[-1]:
            break  # the corpus is shorter than this length
        reading = read(cut)
        for stack in stacks:
            if stack not in reading.stacks:
                continue
            probs, _, k = reading.stacks[stack]
            first = probs[..., 0].mean(-1)
            special = probs[..., np.array(k.special, dtype=bool)].sum(-1).mean(-1)
            results.setdefault(stack, []).append(np.stack([first, special]))
        done.append(n)
    return tuple(done), {stack: np.stack(values) for stack, values in results.items()}
