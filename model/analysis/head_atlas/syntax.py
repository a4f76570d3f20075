"""Clark et al.'s (2019) syntax test at the word level: tokens aligned to a parse's words,
attention rolled up to words, the head each word attends to most, the fixed-offset baselines,
and the figures the paper reports for BERT-base."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.analysis.head_atlas.readers import Span
from model.datasets.parses import ROOT, Parse

OFFSETS = (-3, -2, -1, 0, 1, 2)  # Clark et al.'s fixed-offset baselines (0: the word itself)
DIRECTIONS = ("dependent -> head", "head -> dependent")


@dataclass(frozen=True)
class ClarkRow:
    """One row of Clark et al.'s Table 1: BERT-base's best head for a relation (their layer-
    head numbering, from 1), its accuracy, and the best fixed offset's."""

    relation: str  # as spaCy names it
    theirs: str  # as Clark et al.'s Stanford dependencies name it
    head: str
    direction: int  # 0: dependent -> head, 1: head -> dependent
    accuracy: float
    offset: int
    baseline: float

    @property
    def label(self) -> str:
        """ "8-11 dep → head", with their relation's name where it differs from spaCy's."""
        way = "dep → head" if self.direction == 0 else "head → dep"
        named = "" if self.theirs == self.relation else f" ({self.theirs})"
        return f"{self.head} {way}{named}"


CLARK_CITATION = (
    "Kevin Clark, Urvashi Khandelwal, Omer Levy and Christopher D. Manning. 2019. What Does "
    "BERT Look At? An Analysis of BERT's Attention. BlackboxNLP (arXiv:1906.04341), Table 1: "
    "BERT-base (12 layers x 12 heads) on the Wall Street Journal's Penn Treebank dev set, "
    "Stanford dependencies. Numbers as their published notebook (Syntax_Analysis.ipynb) "
    "prints them; heads counted from 1."
)
CLARK_BERT_BASE = tuple(ClarkRow(*row) for row in (
    ("all", "all", "7-6", 0, 34.7, 1, 26.7),
    ("prep", "prep", "7-4", 0, 66.7, -1, 61.8),
    ("pobj", "pobj", "9-6", 1, 76.3, -2, 34.6),
    ("det", "det", "8-11", 0, 94.3, 1, 51.7),
    ("compound", "nn", "4-10", 0, 70.4, 1, 70.2),
    ("nsubj", "nsubj", "8-2", 0, 58.5, 1, 45.5),
    ("amod", "amod", "4-10", 0, 75.6, 1, 68.3),
    ("dobj", "dobj", "8-10", 0, 86.8, -2, 40.0),
    ("advmod", "advmod", "7-6", 0, 48.8, 1, 40.2),
    ("aux", "aux", "4-10", 0, 81.1, 1, 71.5),
    ("nummod", "num", "8-11", 0, 67.4, 1, 56.4),
    ("cc", "cc", "7-5", 0, 47.8, -1, 41.2),
    ("conj", "conj", "7-1", 0, 53.3, -2, 26.8),
    ("poss", "poss", "7-6", 0, 80.5, 1, 47.7),
    ("ccomp", "ccomp", "8-1", 0, 48.8, -2, 12.4),
    ("xcomp", "xcomp", "5-7", 0, 57.3, -2, 47.1),
    ("mark", "mark", "8-2", 0, 50.7, 2, 14.5),
    ("auxpass", "auxpass", "4-10", 0, 94.1, 1, 82.5),
    ("nsubjpass", "nsubjpass", "7-6", 0, 57.5, 2, 43.7),
    ("relcl", "rcmod", "9-11", 0, 40.9, -3, 26.6),
    ("advcl", "advcl", "5-4", 0, 29.5, -3, 4.6),
    ("appos", "appos", "7-1", 0, 30.5, -3, 28.3),
    ("npadvmod", "npadvmod", "2-6", 1, 44.6, -2, 34.9),
    ("pcomp", "pcomp", "6-10", 1, 79.7, -1, 79.2),
    ("neg", "neg", "4-10", 0, 72.5, 1, 68.3),
    ("prt", "prt", "6-7", 0, 99.1, -1, 91.4),
))  # fmt: skip


def align(spans: Sequence[Span], parse: Parse | Sequence[tuple[int, int]]) -> np.ndarray:
    """The word (of a parse, or of word spans) each token belongs to: the word its
    characters overlap most; -1 for a token with no characters in any word (specials)."""
    word_spans = parse.spans if isinstance(parse, Parse) else parse
    words = np.full(len(spans), -1, dtype=np.int64)
    for t, span in enumerate(spans):
        if span is None or span[1] <= span[0]:
            continue
        overlaps = [min(span[1], e) - max(span[0], s) for s, e in word_spans]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= 0 and overlaps[best] > 0:
            words[t] = best
    return words


def word_attention(
    probs: np.ndarray, q_words: np.ndarray, k_words: np.ndarray, n_words: int
) -> np.ndarray:
    """Token attention (..., q, k) rolled up to words (..., n_words, n_words): attention to a
    word sums its pieces' columns, attention from a word averages its pieces' rows. Tokens of
    no word (-1) are left out; a word with no tokens has a row and column of 0."""
    to_word = np.zeros((probs.shape[-1], n_words), dtype=probs.dtype)
    keys = np.flatnonzero(k_words >= 0)
    to_word[keys, k_words[keys]] = 1.0
    from_word = np.zeros((n_words, probs.shape[-2]), dtype=probs.dtype)
    queries = np.flatnonzero(q_words >= 0)
    from_word[q_words[queries], queries] = 1.0
    sizes = from_word.sum(axis=1, keepdims=True)
    from_word = np.divide(from_word, sizes, out=np.zeros_like(from_word), where=sizes > 0)
    return from_word @ probs @ to_word


def predicted_heads(words: np.ndarray) -> np.ndarray:
    """Clark et al.'s head predictions from word attention (..., n, n): for each word, in
    each direction, the other word it attends to most (dependent -> head), and the other
    word that attends to it most (head -> dependent). Returns (2, ..., n)."""
    attention = words.copy()
    n = attention.shape[-1]
    attention[..., np.arange(n), np.arange(n)] = 0.0  # not the word itself
    return np.stack([attention.argmax(axis=-1), np.swapaxes(attention, -1, -2).argmax(axis=-1)])


def offset_heads(n: int, offset: int) -> np.ndarray:
    """The fixed-offset baseline: each word's head is the word `offset` away, clipped to the
    sentence (to ROOT before the first word, as Clark et al. clip)."""
    return np.clip(np.arange(n) + offset, ROOT, n - 1)


def _poss_owner(parse: Parse, word: int) -> int:
    """Clark et al.'s special case: "John 's dog" marks possession on "'s", so the prediction
    read for a poss dependent followed by "'s" is the "'s"'s."""
    following = parse.words[word + 1] if word + 1 < len(parse) else ""
    return word + 1 if following in ("'s", "s'", "'") else word
