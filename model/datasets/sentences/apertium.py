"""Apertium's tools (lt-proc over Debian's apertium-eng-spa) and the lexicon read from its
bilingual dictionary: each noun's Spanish lemma and gender, each verb's Spanish lemma."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.datasets.sentences.words import (
    ADJECTIVES,
    AGENTS,
    COMPARISONS,
    CONTAINERS,
    DRINKS,
    FOODS,
    INTRANSITIVE,
    MOTION,
    PLACES,
    READS,
    SENSES,
    SURFACES,
    THANKS,
    THINGS,
    TRANSITIVE,
)

APERTIUM = Path("/usr/share/apertium/apertium-eng-spa")
BILINGUAL = APERTIUM / "eng-spa.autobil.bin"
POSTGEN = APERTIUM / "eng-spa.autopgen.bin"  # Spanish post-generation ("~la" -> "la")
SPANISH = APERTIUM / "eng-spa.autogen.bin"  # generates Spanish forms
ENGLISH = APERTIUM / "spa-eng.autogen.bin"  # generates English forms


class ApertiumMissing(RuntimeError):
    """apertium-eng-spa is not installed (the message says how to get it)."""


def _lt_proc(binary: Path, flag: str, lines: Sequence[str]) -> list[str]:
    """One lt-proc call over many lines; its output lines, one for each, in order."""
    if not binary.exists():
        raise ApertiumMissing(
            f"{binary} is missing: apt-get install apertium-eng-spa (.ci/run installs it)"
        )
    done = subprocess.run(
        ["lt-proc", flag, str(binary)],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout.split("\n")[: len(lines)]
    if len(out) != len(lines):
        raise RuntimeError(f"lt-proc {flag} returned {len(out)} lines for {len(lines)}")
    return out


def _run(binary: Path, flag: str, units: Sequence[str]) -> list[str]:
    """One lt-proc call for many lexical units (one a line); its outputs, in order."""
    return _lt_proc(binary, flag, [f"^{u}$" for u in units])


@dataclass(frozen=True)
class Noun:
    english: str
    spanish: str  # lemma
    gender: str  # "m" or "f"


def _form(lemma: str, gender: str) -> str:
    """The gender tag Apertium's generator wants: "mf" for a word with one form for both
    genders (estudiante, mar, joven, feliz), else the gender it agrees with."""
    return "mf" if lemma in lexicon_both_genders() else gender


def lexicon_both_genders() -> frozenset[str]:
    """Spanish lemmas (nouns and adjectives) the dictionary marks <mf>."""
    return _lexicon()[1]


def lexicon() -> tuple[dict[str, Noun], dict[str, str], dict[str, str]]:
    """Nouns (with gender), verbs and adjectives: English lemma -> Spanish, from the
    bilingual dictionary; words it cannot translate plainly are left out."""
    return _lexicon()[0]


@cache
def _lexicon() -> tuple[tuple[dict[str, Noun], dict[str, str], dict[str, str]], frozenset[str]]:
    objects = {o for options in TRANSITIVE.values() for o in options}
    nouns = sorted(set(AGENTS + DRINKS + FOODS + READS + THINGS + PLACES + SURFACES + THANKS)
                   | objects | set(CONTAINERS))  # fmt: skip
    verbs = sorted(set(INTRANSITIVE) | set(TRANSITIVE) | set(MOTION))
    units = [f"{n}<n><sg>" for n in nouns] + [f"{v}<vblex><inf>" for v in verbs]
    units += [f"{a}<adj><sint>" for a in ADJECTIVES] + [f"{a}<adj>" for a in ADJECTIVES]
    lemmas = [u.partition("<")[0] for u in units]
    found = [
        _pick(line, SENSES.get(e))
        for e, line in zip(lemmas, _run(BILINGUAL, "-b", units), strict=True)
    ]
    noun_map: dict[str, Noun] = {}
    for english, (lemma, tags) in zip(nouns, found[: len(nouns)], strict=True):
        masculine = any(g in tags for g in ("<m>", "<GD>", "<mf>"))
        gender = "m" if masculine else "f" if "<f>" in tags else ""
        if lemma and gender:  # GD, mf: either gender (gato/gata, estudiante): the masculine
            noun_map[english] = Noun(english, lemma, gender)
    verb_part = found[len(nouns) : len(nouns) + len(verbs)]
    verb_map = {e: lemma for e, (lemma, _) in zip(verbs, verb_part, strict=True) if lemma}
    adj_part = found[len(nouns) + len(verbs) :]
    adjective_map: dict[str, str] = {}
    for index, english in enumerate(ADJECTIVES):  # synthetic (small<sint>) or plain (red)
        for lemma, _ in (adj_part[index], adj_part[len(ADJECTIVES) + index]):
            if lemma and english not in adjective_map:
                adjective_map[english] = lemma
    both = frozenset(lemma for lemma, tags in found if "<mf>" in tags)
    return (noun_map, verb_map, adjective_map), both


def _pick(line: str, prefer: str | None = None) -> tuple[str, str]:
    """A translation from a biltrans line: (Spanish lemma, its tags), the first one, or
    `prefer` where the dictionary lists it; ("", "") when it has none."""
    options = [o for o in line.strip("^$").split("/")[1:] if o and not o.startswith("@")]
    chosen = [o for o in options if o.partition("<")[0] == prefer] or options
    if not chosen:
        return "", ""
    lemma, _, tags = chosen[0].partition("<")
    return lemma, "<" + tags


@cache
def verb_class(lemma: str) -> str:
    """The part of speech Apertium's Spanish generator files a verb under ("poder" is a
    modal, <vbmod>; "deber" a lexical verb, <vblex>)."""
    tried = ("vbmod", "vblex")
    forms = _run(SPANISH, "-g", [f"{lemma}<{tag}><inf>" for tag in tried])
    return next((tag for tag, form in zip(tried, forms, strict=True) if "#" not in form),
                "vblex")  # fmt: skip


@cache
def synthetic_comparatives() -> frozenset[str]:
    """The adjectives English compares with "-er" ("taller", "better") as its generator
    spells them; the others take "more"."""
    words = sorted({a for group in COMPARISONS.values() for a in group})
    forms = _run(ENGLISH, "-g", [f"{a}<adj><sint><comp>" for a in words])
    return frozenset(a for a, form in zip(words, forms, strict=True) if "#" not in form)
