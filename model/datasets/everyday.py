"""The everyday translation test set (data/everyday/test.tsv): English sentences of the kinds
a class types, each with a Spanish reference, written by hand apart from any generator or
corpus the translator learns from.

Each line: `kind<TAB>english<TAB>spanish`; the kinds are KINDS.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from model.core.paths import DATA

EVERYDAY = DATA / "everyday" / "test.tsv"
KINDS = (
    "present", "past", "future", "question", "negation", "pronoun", "plural", "agreement",
    "wouldlike", "number", "time",
    # what a lecturer types in front of a class (issue 32)
    "contract", "modal", "imperative", "irregular", "perfect", "compare", "doquestion",
    "weather", "phrase",
)  # fmt: skip


@dataclass(frozen=True)
class EverydayPair:
    kind: str  # one of KINDS
    english: str
    spanish: str  # the reference


def everyday_test() -> list[EverydayPair]:
    with EVERYDAY.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    pairs = [EverydayPair(r["kind"], r["english"], r["spanish"]) for r in rows]
    unknown = {p.kind for p in pairs} - set(KINDS)
    if unknown:
        raise ValueError(f"{EVERYDAY}: unknown kinds {sorted(unknown)}; known: {KINDS}")
    return pairs


def trigrams(text: str) -> list[tuple[str, ...]]:
    words = text.lower().split()
    return [tuple(words[i : i + 3]) for i in range(len(words) - 2)]


def repeats_a_trigram(source: str, output: str) -> bool:
    """Whether `output` says some 3 words twice while `source` repeats no 3 words of its own:
    the sign of a decoder caught in a loop ("tres lenguas tres lenguas")."""
    if len(set(trigrams(source))) < len(trigrams(source)):
        return False  # the source repeats itself; a faithful translation may too
    found = trigrams(output)
    return len(set(found)) < len(found)
