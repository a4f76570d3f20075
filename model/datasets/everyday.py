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
