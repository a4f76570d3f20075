"""A synchronous generator of everyday sentence pairs: English and Spanish built together.

The translator learned from WordNet phrases, which hold few full sentences with a subject and
a conjugated verb, so it misreads "The lion sleeps" (and so does Apertium, its teacher). Here
each pair is built from one plan (subject, verb, tense, polarity, question or statement,
object), and both sides are spelled by Apertium's own tools from Debian's apertium-eng-spa:

- the English lemmas below are everyday words; their Spanish lemmas and each noun's gender
  come from the package's bilingual dictionary (`lt-proc -b eng-spa.autobil.bin`), and a word
  it does not translate, or translates only with an unknown gender, is left out;
- every inflected Spanish form (determiners, nouns, adjectives in agreement, verbs conjugated
  for person, number and tense, numerals) comes from the package's Spanish generator
  (`lt-proc -g eng-spa.autogen.bin`), and every English form from its English generator
  (`lt-proc -g spa-eng.autogen.bin`): no inflection is written by hand.

What is written by hand is the sentence frames (word order, "no", "¿…?", "does/did/will",
the "a" before a person seen), a few closed-class words (subject pronouns, numerals' lemmas),
the everyday sense where the dictionary lists it after a rarer one (SENSES), and Spanish
spelling's two contractions (al, del) after Apertium's post-generation.
tests/integration/test_sentences.py reads the Spanish back with Apertium's Spanish analyser
and checks that determiner, noun and adjective agree and that the verb has the subject's
person and number and the plan's tense.

    python -m model.datasets.sentences --count 20 [--seed N]     # prints pairs as TSV
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

APERTIUM = Path("/usr/share/apertium/apertium-eng-spa")
BILINGUAL = APERTIUM / "eng-spa.autobil.bin"
POSTGEN = APERTIUM / "eng-spa.autopgen.bin"  # Spanish post-generation ("~la" -> "la")
SPANISH = APERTIUM / "eng-spa.autogen.bin"  # generates Spanish forms
ENGLISH = APERTIUM / "spa-eng.autogen.bin"  # generates English forms

# Everyday nouns by what they can do or undergo (English lemmas; Spanish from the dictionary).
AGENTS = (
    "dog",
    "cat",
    "bird",
    "horse",
    "lion",
    "child",
    "boy",
    "girl",
    "man",
    "woman",
    "teacher",
    "doctor",
    "farmer",
    "student",
    "friend",
    "neighbour",
    "baby",
    "cow",
)
DRINKS = ("milk", "water", "coffee", "tea", "juice", "wine")
FOODS = ("bread", "apple", "fish", "cheese", "soup", "cake", "rice", "egg")
READS = ("book", "letter", "newspaper", "story", "message")
THINGS = ("house", "car", "door", "window", "ball", "table", "chair", "bicycle", "key", "box")
PLACES = ("garden", "park", "kitchen", "school", "street", "river", "city", "market", "field")
ADJECTIVES = ("small", "big", "old", "new", "red", "white", "black", "happy", "tired", "beautiful",
              "young", "tall", "green", "clean")  # fmt: skip
INTRANSITIVE = ("sleep", "run", "sing", "walk", "swim", "play", "work", "eat", "laugh", "cry")
TRANSITIVE = {
    "drink": DRINKS, "eat": FOODS, "read": READS, "write": ("letter", "story", "message"),
    "buy": FOODS + THINGS[:6], "open": ("door", "window", "box", "book"),
    "see": AGENTS + THINGS, "clean": ("house", "car", "table", "kitchen", "window"),
}  # fmt: skip
# Where the dictionary's first sense is not the everyday one, the sense to take among those it
# lists (a word it does not list is never taken).
SENSES = {"play": "jugar", "work": "trabajar", "letter": "carta", "market": "mercado"}
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# Subject pronouns (closed class): English, Spanish ("" where Spanish drops it), person, number
PRONOUNS = (
    ("I", "", "p1", "sg"), ("you", "", "p2", "sg"), ("he", "él", "p3", "sg"),
    ("she", "ella", "p3", "sg"), ("we", "", "p1", "pl"), ("they", "", "p3", "pl"),
)  # fmt: skip
TENSES = {"present": "pri", "past": "ifi", "future": "fti"}  # Apertium's Spanish tense tags
KINDS = ("statement", "negation", "question")


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


def spanish_forms(units: Sequence[str]) -> list[str]:
    """Spanish surface forms of lexical units ("gato<n><m><pl>" -> "gatos"); "" where the
    generator has none."""
    return ["" if f.startswith("#") or not f else f for f in _run(SPANISH, "-g", units)]


def english_forms(units: Sequence[str]) -> list[str]:
    return ["" if f.startswith("#") or not f else f for f in _run(ENGLISH, "-g", units)]


@dataclass(frozen=True)
class Noun:
    english: str
    spanish: str  # lemma
    gender: str  # "m" or "f"


@cache
def lexicon() -> tuple[dict[str, Noun], dict[str, str], dict[str, str]]:
    """Nouns (with gender), verbs and adjectives: English lemma -> Spanish, from the
    bilingual dictionary; words it cannot translate plainly are left out."""
    nouns = sorted(set(AGENTS + DRINKS + FOODS + READS + THINGS + PLACES))
    verbs = sorted(set(INTRANSITIVE) | set(TRANSITIVE))
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
    return noun_map, verb_map, adjective_map


def _pick(line: str, prefer: str | None = None) -> tuple[str, str]:
    """A translation from a biltrans line: (Spanish lemma, its tags), the first one, or
    `prefer` where the dictionary lists it; ("", "") when it has none."""
    options = [o for o in line.strip("^$").split("/")[1:] if o and not o.startswith("@")]
    chosen = [o for o in options if o.partition("<")[0] == prefer] or options
    if not chosen:
        return "", ""
    lemma, _, tags = chosen[0].partition("<")
    return lemma, "<" + tags


@dataclass(frozen=True)
class Plan:
    """One sentence, before either language spells it."""

    subject: str  # a noun (English lemma) or a pronoun
    plural: bool  # a noun subject's number
    number: str  # "" or a numeral ("two") for a plural noun subject
    adjective: str  # "" or an adjective on the subject noun
    verb: str
    obj: str  # "" or the object noun
    tense: str  # TENSES
    kind: str  # KINDS
    place: str = ""  # "" or a place: "in the garden"


def plan(rng: random.Random) -> Plan:
    nouns, verbs, adjectives = lexicon()
    agents = [a for a in AGENTS if a in nouns]
    verb = rng.choice([v for v in (*INTRANSITIVE, *TRANSITIVE) if v in verbs])
    objects = [o for o in TRANSITIVE.get(verb, ()) if o in nouns]
    pronoun = rng.random() < 0.3
    plural = not pronoun and rng.random() < 0.4
    return Plan(
        subject=rng.choice(PRONOUNS)[0] if pronoun else rng.choice(agents),
        plural=plural,
        number=rng.choice(NUMBERS) if plural and rng.random() < 0.3 else "",
        adjective=rng.choice(list(adjectives)) if not pronoun and rng.random() < 0.4 else "",
        verb=verb,
        obj=rng.choice(objects) if objects and rng.random() < 0.8 else "",
        tense=rng.choice(list(TENSES)),
        kind=rng.choice(KINDS),
        place=rng.choice([p for p in PLACES if p in nouns])
        if not objects and rng.random() < 0.5
        else "",
    )


def realise(plans: Sequence[Plan]) -> list[tuple[str, str]]:
    """English and Spanish for each plan that both generators could spell."""
    return [pair for pair in realise_each(plans) if pair is not None]


def realise_each(plans: Sequence[Plan]) -> list[tuple[str, str] | None]:
    """English and Spanish for each plan, in order (None where a generator lacked a form);
    every inflected form from Apertium's generators, in three lt-proc calls for the batch."""
    nouns, verbs, adjectives = lexicon()
    es_units: list[str] = []
    en_units: list[str] = []

    def es(unit: str) -> int:
        es_units.append(unit)
        return len(es_units) - 1

    def en(unit: str) -> int:
        en_units.append(unit)
        return len(en_units) - 1

    layouts = []
    for p in plans:
        pronoun = next((x for x in PRONOUNS if x[0] == p.subject), None)
        person, num = (pronoun[2], pronoun[3]) if pronoun else ("p3", "pl" if p.plural else "sg")
        es_tense = TENSES[p.tense]
        layout: dict[str, object] = {"plan": p, "pronoun": pronoun, "person": person, "num": num}
        if not pronoun:
            noun = nouns[p.subject]
            g, n = noun.gender, num
            layout["s_det"] = es(f"el<det><def><{g}><{n}>")
            layout["s_noun"] = es(f"{noun.spanish}<n><{g}><{n}>")
            layout["s_noun_en"] = en(f"{p.subject}<n><{n}>")
            if p.number:
                layout["s_num"] = es(f"{_number(p.number)}<num><mf><sp>")
            if p.adjective:
                layout["s_adj"] = es(f"{adjectives[p.adjective]}<adj><{g}><{n}>")
        layout["verb"] = es(f"{verbs[p.verb]}<vblex><{es_tense}><{person}><{num}>")
        third_singular = person == "p3" and num == "sg"
        if p.tense == "present" and p.kind == "statement":
            tags = "<pri><p3><sg>" if third_singular else "<inf>"
            layout["verb_en"] = en(f"{p.verb}<vblex>{tags}")
        elif p.tense == "past" and p.kind == "statement":
            layout["verb_en"] = en(f"{p.verb}<vblex><past>")
        else:
            layout["verb_en"] = en(f"{p.verb}<vblex><inf>")
        if p.obj:
            obj = nouns[p.obj]
            layout["o_det"] = es(f"el<det><def><{obj.gender}><sg>")
            layout["o_noun"] = es(f"{obj.spanish}<n><{obj.gender}><sg>")
        if p.place:
            place = nouns[p.place]
            layout["p_det"] = es(f"el<det><def><{place.gender}><sg>")
            layout["p_noun"] = es(f"{place.spanish}<n><{place.gender}><sg>")
        layouts.append(layout)
    es_forms, en_forms = spanish_forms(es_units), english_forms(en_units)
    spelled = [_spell(layout, es_forms, en_forms, nouns) for layout in layouts]
    spanish = iter(post_generate([pair[1] for pair in spelled if pair is not None]))
    return [None if pair is None else (pair[0], _capital(next(spanish))) for pair in spelled]


def post_generate(sentences: Sequence[str]) -> list[str]:
    """Apertium's Spanish post-generation ("~la" before a stressed a), then the two
    contractions of Spanish spelling, "a el" -> "al" and "de el" -> "del"."""
    out = _lt_proc(POSTGEN, "-p", sentences)
    return [re.sub(r"\b([Aa]|[Dd]e) el\b", lambda m: {"a": "al", "A": "Al", "de": "del",
                   "De": "Del"}[m[1]], line) for line in out]  # fmt: skip


def _number(english: str) -> str:
    spanish = {"two": "dos", "three": "tres", "four": "cuatro", "five": "cinco", "six": "seis",
               "seven": "siete", "eight": "ocho", "nine": "nueve", "ten": "diez"}  # fmt: skip
    return spanish[english]


def _spell(
    layout: dict, es: list[str], en: list[str], nouns: dict[str, Noun]
) -> tuple[str, str] | None:
    """The two sentences of one plan, or None where a generator lacked a form."""
    p: Plan = layout["plan"]
    needed = [es[i] for k, i in layout.items() if k.startswith(("s_", "o_", "p_", "verb"))
              and not k.endswith("_en") and isinstance(i, int)]  # fmt: skip
    needed += [en[i] for k, i in layout.items() if k.endswith("_en")]
    if not all(needed):
        return None
    # Spanish: [det (num) noun (adj) | pronoun] [no] verb [det noun] [en det noun]
    if layout["pronoun"]:
        subject_es = layout["pronoun"][1]
        subject_en = p.subject
    else:
        words = [es[layout["s_det"]]]
        if p.number:
            words = [es[layout["s_num"]]]  # "dos perros", not "los dos perros"
        words.append(es[layout["s_noun"]])
        if p.adjective:
            words.append(es[layout["s_adj"]])
        subject_es = " ".join(words)
        words_en = ["the" if not p.number else p.number]
        if p.adjective:
            words_en.append(p.adjective)
        words_en.append(en[layout["s_noun_en"]])
        subject_en = " ".join(words_en)
    verb_es = es[layout["verb"]]
    verb_en = en[layout["verb_en"]]
    tail_es, tail_en = [], []
    if p.obj:
        personal = "a " if p.obj in AGENTS else ""  # a person or an animal seen: "ve al perro"
        tail_es.append(f"{personal}{es[layout['o_det']]} {es[layout['o_noun']]}")
        tail_en.append(f"the {p.obj}")
    if p.place:
        tail_es.append(f"en {es[layout['p_det']]} {es[layout['p_noun']]}")
        tail_en.append(f"in the {p.place}")
    third_singular = layout["person"] == "p3" and layout["num"] == "sg"
    aux = {"present": "does" if third_singular else "do", "past": "did", "future": "will"}
    if p.kind == "question":
        english = f"{aux[p.tense].capitalize()} {subject_en} {verb_en}"
        spanish = " ".join(w for w in (verb_es, subject_es, *tail_es) if w)
        return _sentence(english, tail_en, "?"), f"¿{_capital(spanish)}?"
    if p.kind == "negation":
        english = f"{subject_en} {aux[p.tense]} not {verb_en}"
        spanish = " ".join(w for w in (subject_es, "no", verb_es, *tail_es) if w)
    else:
        will = "will " if p.tense == "future" else ""
        english = f"{subject_en} {will}{verb_en}"
        spanish = " ".join(w for w in (subject_es, verb_es, *tail_es) if w)
    return _sentence(english, tail_en, "."), _capital(spanish) + "."


def _sentence(head: str, tail: list[str], mark: str) -> str:
    return _capital(" ".join([head, *tail])) + mark


def _capital(text: str) -> str:
    """A capital first letter (after an opening "¿")."""
    at = 1 if text.startswith("¿") else 0
    return text[:at] + text[at : at + 1].upper() + text[at + 1 :]


def generate(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` distinct (English, Spanish) pairs (fewer if the plans run out of variety)."""
    rng = random.Random(seed)
    seen: dict[str, str] = {}
    for _ in range(20):
        for english, spanish in realise([plan(rng) for _ in range(2 * count)]):
            seen.setdefault(english, spanish)
        if len(seen) >= count:
            break
    return list(seen.items())[:count]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.datasets.sentences",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for english, spanish in generate(args.count, args.seed):
        print(f"{english}\t{spanish}")


if __name__ == "__main__":
    main()
