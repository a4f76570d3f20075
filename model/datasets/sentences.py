"""A synchronous generator of everyday sentence pairs: English and Spanish built together.

The translator learned from WordNet phrases, which hold few full sentences with a subject and
a conjugated verb, so it misreads "The lion sleeps" (and so does Apertium, its teacher). Here
each pair is built from one plan (a frame, a subject, a verb, a tense, statement, negation or
question, an object, a place, a time), and both sides are spelled by Apertium's own tools from
Debian's apertium-eng-spa:

- the English lemmas below are everyday words; their Spanish lemmas and each noun's gender
  come from the package's bilingual dictionary (`lt-proc -b eng-spa.autobil.bin`), and a word
  it does not translate, or translates only with an unknown gender, is left out;
- every inflected Spanish form (determiners, possessives and demonstratives, nouns,
  adjectives in agreement, verbs conjugated for person, number and tense, gerunds, the
  conditional of "gustar") comes from the package's Spanish generator (`lt-proc -g
  eng-spa.autogen.bin`), and every inflected English form from its English generator
  (`lt-proc -g spa-eng.autogen.bin`): no inflection is written by hand.

The frames: actions ("The lion sleeps near the river."), the progressive ("The children are
playing in the park."), "going to", "would like" ("I would like a cup of coffee." -> "Me
gustaría una taza de café."), "be" with an adjective or a place (ser or estar by the
adjective), "there is", ages, clock times ("It is half past three."). What is written by hand
is the frames (word order, "no", "¿…?", "do/does/did/will", the "a" before a person seen,
clitic pronouns before the verb), closed-class words (pronouns, numerals, times of day,
days of the week), the everyday sense where the dictionary lists it after a rarer one
(SENSES), and Spanish spelling's two contractions (al, del) after Apertium's post-generation.
tests/integration/test_sentences.py reads the Spanish back with Apertium's Spanish analyser
and checks that determiner, noun and adjective agree and that each verb has the subject's
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
PEOPLE = ("child", "boy", "girl", "man", "woman", "teacher", "doctor", "farmer", "student",
          "friend", "neighbour", "mother", "father", "sister", "brother", "son", "daughter",
          "grandmother", "grandfather")  # fmt: skip
ANIMALS = ("dog", "cat", "bird", "horse", "lion", "cow", "spider")
AGENTS = PEOPLE + ANIMALS
DRINKS = ("milk", "water", "coffee", "tea", "juice", "wine")
FOODS = ("bread", "apple", "orange", "cheese", "soup", "cake", "rice", "egg", "chicken")
READS = ("book", "letter", "newspaper", "story", "message", "menu")
THINGS = ("house", "car", "door", "window", "ball", "table", "chair", "bicycle", "key", "box",
          "phone", "pen", "bag", "shoe", "ticket", "shirt", "dress", "hat", "umbrella",
          "computer", "picture", "map", "clock", "guitar", "bottle", "cup")  # fmt: skip
PLACES = ("garden", "park", "kitchen", "school", "street", "river", "city", "market", "field",
          "station", "hospital", "airport", "beach", "office", "museum", "restaurant", "shop",
          "library", "hotel", "room", "church", "mountain", "sea")  # fmt: skip
CONTAINERS = {"cup": DRINKS[:5], "glass": ("milk", "water", "juice", "wine"),
              "bottle": ("water", "wine", "milk"),
              "piece": ("bread", "cheese", "cake")}  # fmt: skip
# Adjectives that describe (Spanish "ser") and states (Spanish "estar").
DESCRIBE = ("small", "big", "old", "new", "red", "white", "black", "beautiful", "young",
            "tall", "green", "kind", "good", "cheap", "expensive", "long", "short")  # fmt: skip
STATES = ("happy", "tired", "sad", "busy", "ready", "angry", "clean", "dirty", "open", "hot",
          "cold")  # fmt: skip
MOODS = STATES[:6]  # a person's states; the rest are a thing's
ADJECTIVES = DESCRIBE + STATES
# Which describing adjectives fit which nouns (a black orange, a short daughter: never)
FITS = {PEOPLE: ("old", "young", "tall", "kind", "good", "beautiful"),
        ANIMALS: ("small", "big", "old", "young", "black", "white", "beautiful"),
        THINGS + PLACES: ("small", "big", "old", "new", "red", "white", "black", "green",
                          "cheap", "expensive", "beautiful")}  # fmt: skip
MASS = (*DRINKS, "bread", "cheese", "soup", "rice", "chicken")  # never plural here
INTRANSITIVE = ("sleep", "run", "sing", "walk", "swim", "play", "work", "eat", "laugh", "cry",
                "dance", "cook", "travel", "arrive", "live")  # fmt: skip
MOTION = ("go", "come", "walk", "run", "travel", "arrive")  # "to the park": "al parque"
TRANSITIVE = {
    "drink": DRINKS, "eat": FOODS, "read": READS, "write": ("letter", "story", "message", "book"),
    "buy": FOODS + THINGS, "open": ("door", "window", "box", "book", "bottle", "shop"),
    "close": ("door", "window", "box", "book", "shop"), "see": AGENTS + THINGS + PLACES,
    "clean": ("house", "car", "table", "kitchen", "window", "room", "shoe"),
    "have": (*ANIMALS, *THINGS, *FOODS, "brother", "sister", "son", "daughter", "friend"),
    "need": FOODS + THINGS + DRINKS, "want": FOODS + THINGS,
    "sell": FOODS + THINGS, "find": THINGS + ANIMALS, "wash": ("car", "shirt", "dress", "cup"),
    "carry": ("bag", "box", "chair", "bottle", "umbrella", "book"), "cook": FOODS,
    "help": PEOPLE, "call": PEOPLE, "visit": PEOPLE + PLACES, "know": PEOPLE + PLACES,
    "love": AGENTS, "wait": PEOPLE, "watch": ANIMALS, "build": ("house", "school", "hotel"),
    "learn": ("song", "story"), "speak": (), "play": (),
}  # fmt: skip
STATIVE = ("know", "have", "love", "want", "need")  # never "is knowing"
PERSONAL = ("see", "help", "call", "visit", "know", "love", "wait", "find", "watch")
PREPOSITION = {"wait": "for"}  # English only: "wait for the bus", "esperar el autobús"
# Where the dictionary's first sense is not the everyday one, the sense to take among those it
# lists (a word it does not list is never taken).
SENSES = {"play": "jugar", "work": "trabajar", "letter": "carta", "market": "mercado",
          "station": "estación", "room": "habitación", "key": "llave", "ball": "pelota",
          "cup": "taza", "bottle": "botella", "piece": "pedazo", "juice": "zumo",
          "know": "conocer", "love": "querer", "watch": "mirar",
          "picture": "fotografía", "table": "mesa", "chair": "silla", "bag": "bolso",
          "ticket": "entrada", "office": "oficina", "field": "campo", "run": "correr",
          "cry": "llorar", "beautiful": "bonito", "ready": "listo", "short": "corto"}  # fmt: skip
# Numerals (closed class): English, Spanish
NUMBERS = (("two", "dos"), ("three", "tres"), ("four", "cuatro"), ("five", "cinco"),
           ("six", "seis"), ("seven", "siete"), ("eight", "ocho"), ("nine", "nueve"),
           ("ten", "diez"), ("eleven", "once"), ("twelve", "doce"), ("fifteen", "quince"),
           ("twenty", "veinte"), ("thirty", "treinta"), ("forty", "cuarenta"),
           ("fifty", "cincuenta"), ("eighty", "ochenta"), ("a hundred", "cien"))  # fmt: skip
HOURS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve")  # fmt: skip
MINUTES = ("", "", "o'clock", "half past", "a quarter past", "a quarter to")
HOURS_ES = ("una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
            "once", "doce")  # fmt: skip
PERIODS = {"in the morning": "de la mañana", "in the afternoon": "de la tarde",
           "in the evening": "de la tarde", "at night": "de la noche"}  # fmt: skip
DAYS = (("Monday", "lunes"), ("Tuesday", "martes"), ("Wednesday", "miércoles"),
        ("Thursday", "jueves"), ("Friday", "viernes"), ("Saturday", "sábado"),
        ("Sunday", "domingo"))  # fmt: skip
# Times that fit any tense, and those that fit one (English, Spanish)
WHEN_ANY = (("in the morning", "por la mañana"), ("in the afternoon", "por la tarde"),
            ("at night", "por la noche"), ("at noon", "al mediodía"),
            ("at midnight", "a medianoche"), ("early", "temprano"), ("late", "tarde"))  # fmt: skip
WHEN = {
    "present": (("every day", "todos los días"), ("every morning", "todas las mañanas"),
                ("today", "hoy"), ("every week", "cada semana")),
    "past": (("yesterday", "ayer"), ("last week", "la semana pasada"),
             ("last night", "anoche"), ("last month", "el mes pasado"),
             ("last year", "el año pasado"), ("this morning", "esta mañana")),
    "future": (("tomorrow", "mañana"), ("next week", "la semana que viene"),
               ("tonight", "esta noche"), ("soon", "pronto"), ("next year", "el año que viene")),
}  # fmt: skip
# Subject pronouns (closed class): English, Spanish ("" where Spanish drops it), person, number
PRONOUNS = (
    ("I", "", "p1", "sg"), ("you", "", "p2", "sg"), ("he", "él", "p3", "sg"),
    ("she", "ella", "p3", "sg"), ("we", "", "p1", "pl"), ("they", "", "p3", "pl"),
)  # fmt: skip
LANGUAGES = {"English": "inglés", "Spanish": "español", "French": "francés",
             "German": "alemán", "Italian": "italiano", "Chinese": "chino"}  # fmt: skip
# Object pronouns and their Spanish clitics; the clitic of "gustar" for each subject pronoun
OBJECTS = {"me": "me", "you": "te", "him": "lo", "her": "la", "us": "nos", "them": "los"}
DATIVE = {"I": "me", "you": "te", "he": "le", "she": "le", "we": "nos", "they": "les"}
BE = {("p1", "sg"): ("am", "was"), ("p2", "sg"): ("are", "were"), ("p3", "sg"): ("is", "was"),
      ("p1", "pl"): ("are", "were"), ("p2", "pl"): ("are", "were"),
      ("p3", "pl"): ("are", "were")}  # fmt: skip
DETERMINERS = ("the", "a", "my", "your", "his", "her", "our", "their", "this", "that")
TENSES = {"present": "pri", "past": "ifi", "future": "fti"}  # Apertium's Spanish tense tags
KINDS = ("statement", "negation", "question")
FRAMES = {"action": 40, "progressive": 8, "going": 7, "wouldlike": 12, "copula": 12,
          "there": 6, "age": 4, "clock": 5, "where": 6}  # fmt: skip


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
    nouns = sorted(set(AGENTS + DRINKS + FOODS + READS + THINGS + PLACES) | objects
                   | set(CONTAINERS))  # fmt: skip
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


@dataclass(frozen=True)
class Phrase:
    """A noun phrase: "the two small dogs" is Phrase("dog", "two", True, "small")."""

    noun: str  # English lemma
    det: str  # DETERMINERS or an English numeral ("two")
    plural: bool
    adjective: str = ""
    container: str = ""  # "cup": "a cup of coffee" (the noun is what it holds)


@dataclass(frozen=True)
class Plan:
    """One sentence, before either language spells it."""

    frame: str  # FRAMES
    subject: Phrase | str  # a noun phrase, a pronoun (PRONOUNS), or "" (it, there)
    verb: str = ""
    obj: Phrase | str = ""  # a noun phrase, an object pronoun (OBJECTS) or ""
    tense: str = "present"  # TENSES
    kind: str = "statement"  # KINDS
    place: str = ""  # "" or a place noun
    when: tuple[str, str] = ("", "")  # a time (English, Spanish)
    adjective: str = ""  # copula: the adjective said of the subject
    number: str = ""  # age: the years (English numeral); clock: the hour
    minutes: str = ""  # clock: "", "o'clock", "half past", "a quarter past", "a quarter to"
    wh: str = ""  # "where", "when", "what", "why" for a question that asks one


def person_number(subject: Phrase | str) -> tuple[str, str]:
    """The subject's person and number for the verb ("p3", "pl")."""
    if isinstance(subject, Phrase):
        return "p3", "pl" if subject.plural else "sg"
    pronoun = next((p for p in PRONOUNS if p[0] == subject), None)
    return (pronoun[2], pronoun[3]) if pronoun else ("p3", "sg")


def _phrase(rng: random.Random, nouns: Sequence[str], plural: float = 0.35) -> Phrase:
    nouns_known, _, adjectives = lexicon()
    noun = rng.choice([n for n in nouns if n in nouns_known])
    many = noun not in MASS and rng.random() < plural
    if many and rng.random() < 0.3:
        det = rng.choice(NUMBERS)[0]
    else:
        det = rng.choice(("the",) * 5 + DETERMINERS[1:])
        if (many or noun in MASS) and det == "a":
            det = "the"
    fitting = next((fit for group, fit in FITS.items() if noun in group), ())
    fitting = tuple(a for a in fitting if a in adjectives)
    adjective = rng.choice(fitting) if fitting and rng.random() < 0.25 else ""
    return Phrase(noun, det, many, adjective)


def _subject(rng: random.Random, pronoun: float = 0.35) -> Phrase | str:
    if rng.random() < pronoun:
        return rng.choice(PRONOUNS)[0]
    return _phrase(rng, AGENTS)


def _when(rng: random.Random, tense: str, chance: float = 0.3) -> tuple[str, str]:
    if rng.random() >= chance:
        return ("", "")
    roll = rng.random()
    if roll < 0.3:
        return _clock(rng)
    if roll < 0.55:
        return rng.choice(WHEN_ANY)
    if roll < 0.65 and tense != "past":
        english, spanish = rng.choice(DAYS)
        plural = tense == "present" and rng.random() < 0.5
        return (
            (f"on {english}s", f"los {spanish}") if plural else (f"on {english}", f"el {spanish}")
        )
    return rng.choice(WHEN[tense])


def _clock(rng: random.Random) -> tuple[str, str]:
    """A clock time, "at seven in the morning" / "a las siete de la mañana"."""
    hour = rng.randrange(12)
    minutes = rng.choice(MINUTES)
    english, spanish = _hour(hour, minutes)
    english, spanish = f"at {english}", f"a {spanish}"
    if minutes in ("", "o'clock") and rng.random() < 0.3:
        period = rng.choice(list(PERIODS))
        english, spanish = f"{english} {period}", f"{spanish} {PERIODS[period]}"
    return english, spanish


def _hour(hour: int, minutes: str) -> tuple[str, str]:
    """English and Spanish for a time ("half past three", "las tres y media")."""
    if minutes == "a quarter to":  # "a quarter to four": "las cuatro menos cuarto"
        hour = (hour + 1) % 12
        return f"a quarter to {HOURS[hour]}", f"{_las(hour)} menos cuarto"
    tail = {"half past": " y media", "a quarter past": " y cuarto"}.get(minutes, "")
    english = {"o'clock": f"{HOURS[hour]} o'clock", "": HOURS[hour]}.get(
        minutes, f"{minutes} {HOURS[hour]}"
    )
    return english, _las(hour) + tail


def _las(hour: int) -> str:
    return f"{'la' if hour == 0 else 'las'} {HOURS_ES[hour]}"


def plan(rng: random.Random) -> Plan:
    """A random plan: its frame, then what that frame needs."""
    _, verbs, adjectives = lexicon()
    frame = rng.choices(list(FRAMES), weights=list(FRAMES.values()))[0]
    tense = rng.choice(list(TENSES))
    kind = rng.choice(KINDS)
    if frame == "clock":
        minutes = rng.choice(MINUTES)
        return Plan(frame, "", number=HOURS[rng.randrange(12)], minutes=minutes,
                    kind=rng.choice(("statement",) * 9 + ("question",)))  # fmt: skip
    if frame == "there":
        found = _phrase(rng, AGENTS + THINGS + FOODS, plural=0.5)
        det = (rng.choice(NUMBERS)[0] if rng.random() < 0.6 else "") if found.plural else "a"
        obj: Phrase | str = Phrase(found.noun, det, found.plural, found.adjective)
        place = rng.choice(PLACES) if rng.random() < 0.7 else ""
        kind = "question" if kind == "question" else "statement"
        return Plan(frame, "", obj=obj, tense=tense, kind=kind, place=place)
    if frame == "age":
        return Plan(frame, _subject(rng), number=rng.choice(NUMBERS)[0],
                    kind=rng.choice(("statement", "question")))  # fmt: skip
    if frame == "copula":
        subject = _subject(rng, pronoun=0.4)
        if rng.random() < 0.3:
            return Plan(frame, subject, tense=tense, kind=kind, place=rng.choice(PLACES))
        nouns = PLACES + THINGS + FOODS if rng.random() < 0.4 else AGENTS
        if isinstance(subject, Phrase):
            subject = _phrase(rng, nouns)
            subject = Phrase(subject.noun, subject.det, subject.plural)  # no adjective twice
        person = not isinstance(subject, Phrase) or subject.noun in AGENTS
        fits = next((fit for group, fit in FITS.items() if subject in group or
                     getattr(subject, "noun", "") in group), FITS[PEOPLE])  # fmt: skip
        choices = fits + (MOODS if person else STATES[4:])
        adjective = rng.choice([a for a in choices if a in adjectives])
        return Plan(frame, subject, tense=tense, kind=kind, adjective=adjective)
    if frame == "wouldlike":
        subject = _subject(rng, pronoun=0.75)
        kind = rng.choice(("statement", "statement", "negation", "question"))
        if kind == "question" and rng.random() < 0.8:
            subject = "you"  # "Would you like…?"
        if rng.random() < 0.5:
            verb = rng.choice([v for v in TRANSITIVE if v in verbs] + ["go", "dance", "sleep"])
            obj = _object(rng, verb)
            return Plan(frame, subject, verb=verb, obj=obj, kind=kind,
                        place=_place(rng, verb, obj))  # fmt: skip
        if rng.random() < 0.4:
            container = rng.choice(list(CONTAINERS))
            obj = Phrase(rng.choice(CONTAINERS[container]), "a", False, container=container)
        else:
            obj = _phrase(rng, FOODS + THINGS, plural=0.25)
        return Plan(frame, subject, obj=obj, kind=kind)
    if frame == "where":  # "Where is the station?" / "Where does your brother live?"
        subject = _subject(rng, pronoun=0.3)
        if rng.random() < 0.5:
            found = _phrase(rng, PLACES + THINGS + AGENTS)
            det = found.det if found.det in DETERMINERS[2:] else "the"  # not "a", "two"
            found = Phrase(found.noun, det, found.plural)
            return Plan(frame, found, kind="question",
                        tense=rng.choice(("present", "past")))  # fmt: skip
        verb = rng.choice([v for v in INTRANSITIVE if v in verbs])
        wh = rng.choice(("where", "when", "why"))
        return Plan(frame, subject, verb=verb, tense=tense, kind="question", wh=wh)
    subject = _subject(rng)
    verb = rng.choice([v for v in (*INTRANSITIVE, *TRANSITIVE, *MOTION) if v in verbs
                       and not (frame == "progressive" and v in STATIVE)])  # fmt: skip
    if frame == "progressive":
        tense = rng.choice(("present", "present", "past"))
    elif frame == "going":
        tense = "present"
    obj = _object(rng, verb)
    wh = "what" if obj and kind == "question" and rng.random() < 0.25 else ""
    return Plan(frame, subject, verb=verb, obj=obj, tense=tense, kind=kind,
                place=_place(rng, verb, obj), wh=wh,
                when=_when(rng, "future" if frame == "going" else tense))  # fmt: skip


def _object(rng: random.Random, verb: str) -> Phrase | str:
    options = TRANSITIVE.get(verb, ())
    if verb in ("speak", "learn") and rng.random() < 0.85:
        return rng.choice(list(LANGUAGES))
    if verb in PERSONAL and rng.random() < 0.3:
        return rng.choice(list(OBJECTS))
    if not options or (verb in INTRANSITIVE and rng.random() < 0.3):
        return ""
    return _phrase(rng, options, plural=0.3)


def _place(rng: random.Random, verb: str, obj: Phrase | str = "") -> str:
    """Where: always after "go" and "come", often after another verb of motion or an
    intransitive verb with no object, never after a verb that needs its object."""
    if verb in ("go", "come"):
        return rng.choice(PLACES)
    if verb in MOTION:
        return rng.choice(PLACES) if rng.random() < 0.8 else ""
    return rng.choice(PLACES) if verb in INTRANSITIVE and not obj and rng.random() < 0.6 else ""


# ---- Spelling: each side a line of words and lexical units for Apertium's generators ----


def _np(phrase: Phrase) -> tuple[str, str]:
    """English and Spanish (with lexical units) for a noun phrase."""
    nouns, _, adjectives = lexicon()
    noun = nouns[phrase.noun]
    g, n = noun.gender, "pl" if phrase.plural else "sg"
    numeral = dict(NUMBERS).get(phrase.det)
    if phrase.container:
        box = nouns[phrase.container]
        units = f"^uno<det><ind><{box.gender}><sg>$ ^{box.spanish}<n><{box.gender}><sg>$"
        return f"a {phrase.container} of {phrase.noun}", f"{units} de {noun.spanish}"
    spanish_det = {
        "the": f"^el<det><def><{g}><{n}>$", "a": f"^uno<det><ind><{g}><sg>$",
        "my": f"^mío<det><pos><mf><{n}>$", "your": f"^tuyo<det><pos><mf><{n}>$",
        "his": f"^suyo<det><pos><mf><{n}>$", "her": f"^suyo<det><pos><mf><{n}>$",
        "their": f"^suyo<det><pos><mf><{n}>$", "our": f"^nuestro<det><pos><{g}><{n}>$",
        "this": f"^este<det><dem><{g}><{n}>$", "that": f"^ese<det><dem><{g}><{n}>$",
    }.get(phrase.det, numeral or "")  # fmt: skip
    spanish = f"{spanish_det} ^{noun.spanish}<n><{_form(noun.spanish, g)}><{n}>$"
    english_det = phrase.det
    if phrase.plural:
        english_det = {"this": "these", "that": "those"}.get(phrase.det, phrase.det)
    adjective = ""
    if phrase.adjective:
        lemma = adjectives[phrase.adjective]
        spanish += f" ^{lemma}<adj><{_form(lemma, g)}><{n}>$"
        adjective = phrase.adjective
    return _join(english_det, adjective, f"^{phrase.noun}<n><{n}>$"), spanish.strip()


def _subject_words(subject: Phrase | str) -> tuple[str, str]:
    if isinstance(subject, Phrase):
        return _np(subject)
    pronoun = next(p for p in PRONOUNS if p[0] == subject)
    return subject, pronoun[1]


def _gender(subject: Phrase | str) -> str:
    """The gender an adjective takes after this subject (the masculine for I, you, we,
    they: Spanish's default where the sentence does not say)."""
    if isinstance(subject, Phrase):
        return lexicon()[0][subject.noun].gender
    return "f" if subject == "she" else "m"


def _spanish_verb(lemma: str, tense: str, person: str, number: str) -> str:
    return f"^{lemma}<vblex><{TENSES[tense]}><{person}><{number}>$"


def _english_verb(verb: str, tense: str, person: str, number: str) -> str:
    """The English verb of a statement ("sleeps", "slept", "will sleep")."""
    if tense == "past":
        return f"^{verb}<vblex><past>$"
    if tense == "future":
        return f"will ^{verb}<vblex><inf>$"
    return f"^{verb}<vblex><pri><p3><sg>$" if (person, number) == ("p3", "sg") else verb


def _object_words(plan: Plan) -> tuple[str, str, str]:
    """English object, Spanish clitic (before the verb), Spanish object (after it)."""
    if not plan.obj:
        return "", "", ""
    if plan.obj in LANGUAGES:
        return plan.obj, "", LANGUAGES[plan.obj]
    if isinstance(plan.obj, str):
        return plan.obj, OBJECTS[plan.obj], ""
    english, spanish = _np(plan.obj)
    personal = plan.verb in PERSONAL and plan.obj.noun in AGENTS
    preposition = PREPOSITION.get(plan.verb, "")
    return (f"{preposition} {english}".strip(), "", f"a {spanish}" if personal else spanish)


def _place_words(plan: Plan) -> tuple[str, str]:
    """ "in the garden" / "en el jardín"; "to the park" / "al parque" after a verb of motion,
    "at the station" / "a la estación" after "arrive"."""
    if not plan.place:
        return "", ""
    noun = lexicon()[0][plan.place]
    english, spanish = {"arrive": ("at", "a")}.get(
        plan.verb, ("to", "a") if plan.verb in MOTION else ("in", "en")
    )
    g = noun.gender
    return (
        f"{english} the {plan.place}",
        f"{spanish} ^el<det><def><{g}><sg>$ ^{noun.spanish}<n><{_form(noun.spanish, g)}><sg>$",
    )


def _join(*words: str) -> str:
    return " ".join(w for w in words if w)


def spell(plan: Plan) -> tuple[str, str]:
    """English and Spanish lines of one plan, with lexical units (^lemma<tags>$) still to be
    generated; the final mark included ("?" and "¿…?" for a question)."""
    english, spanish = SPELLERS[plan.frame](plan, _Subject.of(plan.subject))
    if plan.kind == "question" or plan.frame == "where":
        return english + "?", f"¿{spanish}?"
    return english + ".", spanish + "."


@dataclass(frozen=True)
class _Subject:
    """What every frame needs of its subject: both languages' words, person, number."""

    english: str
    spanish: str  # "" where Spanish drops the pronoun
    person: str
    number: str

    @classmethod
    def of(cls, subject: Phrase | str) -> _Subject:
        english, spanish = _subject_words(subject) if subject else ("", "")
        return cls(english, spanish, *person_number(subject))

    @property
    def agrees(self) -> str:  # "<p3><pl>"
        return f"<{self.person}><{self.number}>"

    def be(self, tense: str) -> str:
        """English "be": "am", "were", "will be"."""
        if tense == "future":
            return "will be"
        return BE[(self.person, self.number)][tense == "past"]

    def do(self, tense: str) -> str:
        """English auxiliary of a question or a negation: "does", "did", "will"."""
        third_singular = (self.person, self.number) == ("p3", "sg")
        return {"present": "does" if third_singular else "do", "past": "did"}.get(tense, "will")


def _not(plan: Plan) -> tuple[str, str]:
    return ("not", "no") if plan.kind == "negation" else ("", "")


def _spell_clock(plan: Plan, _: _Subject) -> tuple[str, str]:
    if plan.kind == "question":
        return "What time is it", "Qué hora es"
    english, spanish = _hour(HOURS.index(plan.number), plan.minutes)
    return f"It is {english}", f"{'es' if spanish.startswith('la ') else 'son'} {spanish}"


def _spell_there(plan: Plan, _: _Subject) -> tuple[str, str]:
    assert isinstance(plan.obj, Phrase)
    obj_en, obj_es = _np(plan.obj)
    place_en, place_es = _place_words(Plan("there", "", place=plan.place))
    there = {"present": "hay", "past": "había", "future": "habrá"}[plan.tense]
    spanish = _join(_not(plan)[1], there, obj_es, place_es)
    if plan.tense == "future":
        be = (
            "will there be" if plan.kind == "question" else _join("there will", _not(plan)[0], "be")
        )
    else:
        be_en = {"present": ("is", "are"), "past": ("was", "were")}[plan.tense][plan.obj.plural]
        be = f"{be_en} there" if plan.kind == "question" else _join("there", be_en, _not(plan)[0])
    return _join(be, obj_en, place_en), spanish


def _spell_age(plan: Plan, subject: _Subject) -> tuple[str, str]:
    have = f"^tener<vblex><pri>{subject.agrees}$"
    if plan.kind == "question":
        return f"How old {subject.be('present')} {subject.english}", _join(
            "Cuántos años", have, subject.spanish
        )
    years = dict(NUMBERS)[plan.number]
    return (
        _join(subject.english, subject.be("present"), plan.number, "years old"),
        _join(subject.spanish, have, years, "años"),
    )


def _spell_copula(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "The soup is hot" / "La sopa está caliente"; "ser" for what describes, "estar" for
    states and places."""
    if plan.adjective:
        estar = plan.adjective in STATES
        predicate_en = plan.adjective
        lemma = lexicon()[2][plan.adjective]
        gender = _form(lemma, _gender(plan.subject))
        predicate_es = f"^{lemma}<adj><{gender}><{subject.number}>$"
    else:
        estar = True
        predicate_en, predicate_es = _place_words(Plan("copula", "", place=plan.place))
        if plan.place in ("school", "station", "airport"):
            predicate_en = predicate_en.replace("in the", "at the")
    tense = "pii" if plan.tense == "past" else TENSES[plan.tense]  # era, estaba
    lemma, kind = ("estar", "vblex") if estar else ("ser", "vbser")
    verb_es = f"^{lemma}<{kind}><{tense}>{subject.agrees}$"
    be = subject.be(plan.tense)
    if plan.kind == "question":  # "Is the dog tired?", "Will they be ready?"
        first, _, rest = be.partition(" ")
        english = _join(first, subject.english, rest, predicate_en)
        if plan.place:  # "¿Están los niños en la escuela?"
            return english, _join(verb_es, subject.spanish, predicate_es)
        return english, _join(verb_es, predicate_es, subject.spanish)  # "¿Está cansado el perro?"
    if plan.kind == "negation":
        be = "will not be" if be == "will be" else f"{be} not"
    return _join(subject.english, be, predicate_en), _join(
        subject.spanish, _not(plan)[1], verb_es, predicate_es
    )


def _spell_wouldlike(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "I would like a cup of coffee" / "Me gustaría una taza de café"; "My son would like to
    go home" / "A mi hijo le gustaría ir a casa"."""
    if isinstance(plan.subject, Phrase):  # "A mi hijo le gustaría"
        lead, dative = f"a {subject.spanish}", "les" if subject.number == "pl" else "le"
    else:  # "Le gustaría" for he and she alike
        lead, dative = "", DATIVE[plan.subject]
    if plan.verb:
        obj_en, clitic, obj_es = _object_words(plan)
        place_en, place_es = _place_words(plan)
        wanted_en = _join("to", plan.verb, obj_en, place_en)
        wanted_es = _join(_attach(lexicon()[1][plan.verb], clitic), obj_es, place_es)
        like = "gustaría"
    else:
        assert isinstance(plan.obj, Phrase)
        wanted_en, wanted_es = _np(plan.obj)
        like = "gustarían" if plan.obj.plural and not plan.obj.container else "gustaría"
    spanish = _join(lead, _not(plan)[1], dative, like, wanted_es)
    if plan.kind == "question":
        return _join("would", subject.english, "like", wanted_en), spanish
    return _join(subject.english, "would", _not(plan)[0], "like", wanted_en), spanish


def _spell_where(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "Where is the station?" / "Where does your brother live?" (also when, why)."""
    if not plan.verb:
        tense = "pri" if plan.tense == "present" else "pii"
        verb_es = f"^estar<vblex><{tense}>{subject.agrees}$"
        return f"Where {subject.be(plan.tense)} {subject.english}", _join(
            "Dónde", verb_es, subject.spanish
        )
    wh_es = {"where": "dónde", "when": "cuándo", "why": "por qué"}[plan.wh]
    verb_es = _spanish_verb(lexicon()[1][plan.verb], plan.tense, subject.person, subject.number)
    return (
        _join(plan.wh, subject.do(plan.tense), subject.english, plan.verb),
        _join(wh_es, verb_es, subject.spanish),
    )


def _spell_verb(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """Actions ("The lion sleeps near the river."), the progressive ("are playing": "están
    jugando") and "going to" ("voy a verte")."""
    obj_en, clitic, obj_es = _object_words(plan)
    place_en, place_es = _place_words(plan)
    when_en, when_es = plan.when
    tail_en, tail_es = _join(obj_en, place_en, when_en), _join(obj_es, place_es, when_es)
    lemma = lexicon()[1][plan.verb]
    not_en, not_es = _not(plan)
    question = plan.kind == "question"
    if plan.frame in ("progressive", "going"):
        if plan.frame == "progressive":
            tense = "pri" if plan.tense == "present" else "pii"
            estar = f"^estar<vblex><{tense}>{subject.agrees}$"
            verb_es = _join(clitic, estar, f"^{lemma}<vblex><ger>$")  # "te está mirando"
            verb_en = f"^{plan.verb}<vblex><ger>$"
        else:
            verb_es = _join(f"^ir<vblex><pri>{subject.agrees}$", "a", _attach(lemma, clitic))
            verb_en = f"going to {plan.verb}"
        be = subject.be(plan.tense)
        if question:
            return _join(be, subject.english, verb_en, tail_en), _join(
                verb_es, subject.spanish, tail_es
            )
        return _join(subject.english, be, not_en, verb_en, tail_en), _join(
            subject.spanish, not_es, verb_es, tail_es
        )
    verb_es = _join(clitic, _spanish_verb(lemma, plan.tense, subject.person, subject.number))
    do = subject.do(plan.tense)
    if question and plan.wh == "what" and isinstance(plan.obj, Phrase):
        tail_en = _join(PREPOSITION.get(plan.verb, ""), place_en, when_en)
        return _join("what", do, subject.english, plan.verb, tail_en), _join(
            "qué", verb_es, subject.spanish, place_es, when_es
        )
    if question:
        return _join(do, subject.english, plan.verb, tail_en), _join(
            verb_es, subject.spanish, tail_es
        )
    if plan.kind == "negation":
        return _join(subject.english, do, "not", plan.verb, tail_en), _join(
            subject.spanish, "no", verb_es, tail_es
        )
    verb_en = _english_verb(plan.verb, plan.tense, subject.person, subject.number)
    return _join(subject.english, verb_en, tail_en), _join(subject.spanish, verb_es, tail_es)


SPELLERS = {"clock": _spell_clock, "there": _spell_there, "age": _spell_age,
            "copula": _spell_copula, "wouldlike": _spell_wouldlike, "where": _spell_where,
            "action": _spell_verb, "progressive": _spell_verb, "going": _spell_verb}  # fmt: skip


def _attach(infinitive: str, clitic: str) -> str:
    """An infinitive with its clitic attached ("ver" + "te" -> "verte")."""
    return f"{infinitive}{clitic}"


def realise(plans: Sequence[Plan]) -> list[tuple[str, str]]:
    """English and Spanish for each plan that both generators could spell."""
    return [pair for pair in realise_each(plans) if pair is not None]


def realise_each(plans: Sequence[Plan]) -> list[tuple[str, str] | None]:
    """English and Spanish for each plan, in order (None where a generator lacked a form);
    every inflected form from Apertium's generators, in three lt-proc calls for the batch."""
    lines = [spell(p) for p in plans]
    english = _lt_proc(ENGLISH, "-g", [e for e, _ in lines])
    spanish = _lt_proc(SPANISH, "-g", [s for _, s in lines])
    whole = [not ("#" in e or "#" in s) for e, s in zip(english, spanish, strict=True)]
    done = iter(post_generate([s for s, ok in zip(spanish, whole, strict=True) if ok]))
    return [
        (_english(e), _capital(next(done))) if ok else None
        for e, ok in zip(english, whole, strict=True)
    ]


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
