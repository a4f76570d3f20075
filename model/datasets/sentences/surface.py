"""What Spanish and English spelling do after generation: enclitics with their accents, the
contractions al and del, "an", capitals, and English contractions as people write them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from model.datasets.sentences.apertium import POSTGEN, _lt_proc

STRONG = "aeoáéó"
ACCENTED = dict(zip("aeiou", "áéíóú", strict=True))


def enclitics(sentence: str) -> str:
    """Join each form written "form+clitic" ("sienta+te", "ayuda+me") as Spanish spelling
    does: one word, with a written accent where the joined word would otherwise be read with
    the wrong stress ("siéntate", "ayúdame"; "ven+te" -> "vente", one syllable before it)."""
    return re.sub(r"(\w+)\+(\w+)", lambda m: _stress_kept(m[1]) + m[2], sentence)


def _stress_kept(form: str) -> str:
    """`form` with the accent it needs once a clitic follows: a word ending in a vowel, n or s
    is stressed on its next-to-last syllable; with a syllable more, that stress is written."""
    if any(c in "áéíóú" for c in form) or form[-1] not in "aeiouns":
        return form
    nuclei = [m.span() for m in re.finditer(r"[aeiou]+", re.sub(r"(?<=[qg])u(?=[ei])", "_", form))]
    syllables: list[tuple[int, int]] = []
    for start, end in nuclei:  # two strong vowels side by side are two syllables ("tra-e")
        at = start
        for i in range(start + 1, end):
            if form[i] in STRONG and form[i - 1] in STRONG:
                syllables.append((at, i))
                at = i
        syllables.append((at, end))
    if len(syllables) < 2:
        return form
    start, end = syllables[-2]
    group = form[start:end]
    strong = [i for i, c in enumerate(group) if c in STRONG]
    at = start + (strong[0] if strong else len(group) - 1)
    return form[:at] + ACCENTED[form[at]] + form[at + 1 :]


def _english(sentence: str) -> str:
    """ "a" before a vowel is "an"; a capital first letter."""
    sentence = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", lambda m: m[1] + "n ", sentence)
    return _capital(sentence)


def post_generate(sentences: Sequence[str]) -> list[str]:
    """Apertium's Spanish post-generation ("~la" before a stressed a), then the two
    contractions of Spanish spelling, "a el" -> "al" and "de el" -> "del"."""
    out = _lt_proc(POSTGEN, "-p", sentences)
    return [re.sub(r"\b([Aa]|[Dd]e) el\b", lambda m: {"a": "al", "A": "Al", "de": "del",
                   "De": "Del"}[m[1]], line) for line in out]  # fmt: skip


# English contractions, as written (the Spanish is the same either way)
CONTRACTIONS = (
    (r"(?i)\b(do|does|did|is|are|was|were|could|should|would|must|have|has) not\b", r"\1n't"),
    (r"\bwill not\b", "won't"), (r"\bcannot\b", "can't"), (r"\b([Ii]) am\b", r"\1'm"),
    (r"\b([Ii]t|[Hh]e|[Ss]he|[Tt]hat|[Ww]hat) is\b", r"\1's"),
    (r"\b([Ww]e|[Yy]ou|[Tt]hey) are\b", r"\1're"),
    (r"\b([Ii]|[Ww]e|[Yy]ou|[Tt]hey|[Hh]e|[Ss]he) will\b", r"\1'll"),
)  # fmt: skip


def contract(english: str) -> str:
    """ "I do not like soup." -> "I don't like soup."; "It is raining." -> "It's raining."
    ("Do not" at the start: "Don't")."""
    for pattern, replacement in CONTRACTIONS:
        english = re.sub(pattern, replacement, english)
    return english


def _capital(text: str) -> str:
    """A capital first letter (after an opening "¿" or "¡")."""
    at = 1 if text[:1] in ("¿", "¡") else 0
    return text[:at] + text[at : at + 1].upper() + text[at + 1 :]
