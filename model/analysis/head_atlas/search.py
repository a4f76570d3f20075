"""A word pair's links through every head, and the query-key view (t-SNE of one head's
queries and keys)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from model.analysis.head_atlas.readers import Reading
from model.analysis.head_atlas.syntax import align, word_attention
from model.core.errors import InputError
from model.core.runtime import lazy

WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def find_words(text: str, word: str) -> list[int]:
    """Where a word occurs in a text (indices into `text_words`), case ignored."""
    return [i for i, (w, _) in enumerate(text_words(text)) if w.lower() == word.lower()]


def text_words(text: str) -> list[tuple[str, tuple[int, int]]]:
    return [(m.group(), m.span()) for m in WORD.finditer(text)]


def links(
    readings: Iterable[tuple[str, Reading]], stack: str, query_word: str, key_word: str
) -> tuple[np.ndarray | None, int]:
    """How strongly each head links a query word to a key word across sentences: the
    word-level attention (rolled up as for relations) from each occurrence of `query_word` to
    each of `key_word`, averaged over the pairs of a sentence and then over the sentences
    holding both. Returns the (layers, heads) means, or None, and the sentences used."""
    total: np.ndarray | None = None
    used = 0
    for text, reading in readings:
        if stack not in reading.stacks:
            continue
        probs, q, k = reading.stacks[stack]
        words = text_words(text)
        spans = [span for _, span in words]
        queries, keys = find_words(text, query_word), find_words(text, key_word)
        pairs = [(a, b) for a in queries for b in keys if a != b]
        if not pairs or not q.spans or not k.spans:
            continue
        rolled = word_attention(
            np.asarray(probs, dtype=np.float64), align(q.spans, spans), align(k.spans, spans),
            len(words),
        )  # fmt: skip
        mean = np.mean([rolled[..., a, b] for a, b in pairs], axis=0)
        total = mean if total is None else total + mean
        used += 1
    return (None if total is None else total / used), used


def query_key_layout(
    queries: np.ndarray, keys: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """AttentionViz's (Yeh et al., 2023) joint view of one head's queries and keys: keys
    moved so the two centroids coincide (each query's scores change by a constant, which
    softmax ignores) and both scaled to the same mean norm (queries by c, keys by 1/c: every
    score unchanged), then t-SNE (scikit-learn) on both together. Returns the 2-D points
    of the queries and of the keys."""
    TSNE = lazy("sklearn.manifold").TSNE

    keys = keys - keys.mean(axis=0) + queries.mean(axis=0)
    q_norm = float(np.linalg.norm(queries, axis=1).mean()) or 1.0
    k_norm = float(np.linalg.norm(keys, axis=1).mean()) or 1.0
    scale = np.sqrt(k_norm / q_norm)
    points = np.concatenate([queries * scale, keys / scale]).astype(np.float32)
    n = len(points)
    if n < 5:
        raise InputError("The query-key view needs at least 5 vectors: choose more sentences.")
    layout = TSNE(
        n_components=2, init="pca", perplexity=float(min(30.0, (n - 1) / 3)), random_state=seed
    ).fit_transform(points)
    return layout[: len(queries)], layout[len(queries) :]
