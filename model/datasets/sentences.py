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
adjective), "there is", ages, clock times ("It is half past three."); and what a lecturer
types (issue 32): modals and requests ("Can you help me, please?" -> "¿Puedes ayudarme, por
favor?"), imperatives ("Siéntate.", "¡No toques al perro!"), the present perfect,
comparatives, "like" ("No me gusta la sopa fría."), weather ("Está lloviendo otra vez.") and
the set phrases of data/everyday/phrases.tsv; half the English is then written with
contractions ("don't", "it's"). What is written by hand
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

from model.core.paths import DATA

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
FOODS = ("bread", "apple", "orange", "cheese", "soup", "cake", "rice", "egg", "chicken", "meat",
         "fish", "chocolate")  # fmt: skip
READS = ("book", "letter", "newspaper", "story", "message", "menu")
THINGS = ("house", "car", "door", "window", "ball", "table", "chair", "bicycle", "key", "box",
          "phone", "pen", "bag", "shoe", "ticket", "shirt", "dress", "hat", "umbrella",
          "computer", "picture", "map", "clock", "guitar", "bottle", "cup", "film", "song",
          "light")  # fmt: skip
SURFACES = ("table", "chair", "sofa", "bed", "mat")  # "on the sofa": "en el sofá"
# What one thanks for ("Thank you for your help."), for the set phrases (data/everyday)
THANKS = ("help", "gift", "flower", "dinner", "advice", "invitation", "visit", "letter", "cake",
          "book", "picture")  # fmt: skip
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
COMPARED = ("fast", "heavy", "bad")  # in comparisons only ("faster than")
ADJECTIVES = DESCRIBE + STATES + COMPARED
# Which describing adjectives fit which nouns (a black orange, a short daughter: never)
FITS = {PEOPLE: ("old", "young", "tall", "kind", "good", "beautiful"),
        ANIMALS: ("small", "big", "old", "young", "black", "white", "beautiful"),
        THINGS + PLACES: ("small", "big", "old", "new", "red", "white", "black", "green",
                          "cheap", "expensive", "beautiful")}  # fmt: skip
MASS = (*DRINKS, "bread", "cheese", "soup", "rice", "chicken", "meat", "fish", "chocolate",
        "help", "advice")  # never plural here  # fmt: skip
INTRANSITIVE = ("sleep", "run", "sing", "walk", "swim", "play", "work", "eat", "laugh", "cry",
                "dance", "cook", "travel", "arrive", "live", "sit", "fall", "fly",
                "drive")  # fmt: skip
MOTION = ("go", "come", "walk", "run", "travel", "arrive", "drive", "fly")  # "al parque"
REFLEXIVE = ("sit", "fall")  # "se sentó", "me caí": the clitic of the subject's person
SITS = ("sit", "sleep", "fall")  # "on the sofa" rather than "in the garden", often
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
    "forget": ("umbrella", "key", "ticket", "bag", "phone", "letter", "book"),
    "break": ("window", "cup", "bottle", "chair", "clock", "phone", "glass"),
    "bring": FOODS + DRINKS + ("book", "key", "umbrella", "map", "chair", "cup"),
    "lose": ("key", "ticket", "bag", "phone", "umbrella", "pen", "map", "hat", "shoe"),
    "touch": (*ANIMALS, "picture", "door", "window", "computer", "guitar", "box"),
    "finish": ("soup", "book", "letter", "cake", "story", "bread", "message"),
    "look": (*ANIMALS, "picture", "map", "clock", "window", "house", "sea"),
    "listen": (*PEOPLE, "song"),
}  # fmt: skip
STATIVE = {"know", "have", "love", "want", "need"}  # never "is knowing"
PERSONAL = ("see", "help", "call", "visit", "know", "love", "wait", "find", "watch", "listen",
            "look", "touch")  # fmt: skip
# English only: "wait for the bus" (esperar el autobús), "look at", "listen to"
PREPOSITION = {"wait": "for", "look": "at", "listen": "to"}
# Where the dictionary's first sense is not the everyday one, the sense to take among those it
# lists (a word it does not list is never taken).
SENSES = {"play": "jugar", "work": "trabajar", "letter": "carta", "market": "mercado",
          "station": "estación", "room": "habitación", "key": "llave", "ball": "pelota",
          "cup": "taza", "bottle": "botella", "piece": "pedazo", "juice": "zumo",
          "know": "conocer", "love": "querer", "watch": "mirar",
          "picture": "fotografía", "table": "mesa", "chair": "silla", "bag": "bolso",
          "ticket": "entrada", "office": "oficina", "field": "campo", "run": "correr",
          "cry": "llorar", "beautiful": "bonito", "ready": "listo", "short": "corto",
          "fish": "pescado", "advice": "consejo", "bed": "cama",
          "glass": "vaso"}  # fmt: skip
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
          "there": 6, "age": 4, "clock": 5, "where": 6,
          # what a lecturer types (issue 32): modals and requests, imperatives, the present
          # perfect, comparatives, "like", weather, greetings and set phrases
          "modal": 12, "imperative": 12, "perfect": 10, "compare": 7, "like": 10, "weather": 7,
          "phrase": 8}  # fmt: skip
# English modal -> Spanish lemma and tense: "can" puedo, "could" (a request) podrías or (the
# past) pudo, "must" debo, "should" debería
MODALS = {"can": ("poder", "pri"), "could": ("poder", "cni"), "must": ("deber", "pri"),
          "should": ("deber", "cni")}  # fmt: skip
# The reflexive clitic for each person and number ("se sentó", "nos sentamos")
REFLEXIVES = {("p1", "sg"): "me", ("p2", "sg"): "te", ("p3", "sg"): "se", ("p1", "pl"): "nos",
              ("p2", "pl"): "os", ("p3", "pl"): "se"}  # fmt: skip
# Subject pronouns after "que" in a comparison (English object pronoun -> Spanish)
THAN = {"me": "yo", "you": "tú", "him": "él", "her": "ella", "us": "nosotros",
        "them": "ellos"}  # fmt: skip
# Comparatives Spanish says in one word (Apertium's generator spells their number)
IRREGULAR_COMPARATIVE = {"good": "mejor", "bad": "peor"}
# What each kind of subject is compared in
COMPARISONS = {PEOPLE: ("tall", "old", "young", "busy", "happy", "tired"),
               ANIMALS: ("big", "small", "old", "young", "fast", "heavy", "beautiful"),
               THINGS + PLACES: ("big", "small", "old", "new", "cheap", "expensive", "heavy",
                                 "good", "bad", "beautiful"),
               FOODS + DRINKS: ("hot", "cold", "cheap", "expensive", "good", "bad")}  # fmt: skip
# Weather, closed class written by hand: "It is cold" -> "Hace frío" (hacer + noun)
WEATHER = {"cold": "frío", "hot": "calor", "warm": "calor", "sunny": "sol", "windy": "viento"}
# "It is raining": "Está lloviendo" (the package's dictionaries have no verb "snow", "nevar")
FALLING = {"rain": "llover"}
WEATHER_PLACES = (("in the garden", "en el jardín"), ("at the beach", "en la playa"),
                  ("in the city", "en la ciudad"), ("in the mountains", "en las montañas"),
                  ("outside", "fuera"), ("in the park", "en el parque"))  # fmt: skip
WEATHER_WHEN = {
    "present": (("today", "hoy"), ("now", "ahora"), ("again", "otra vez"),
                ("this morning", "esta mañana"), ("in winter", "en invierno"),
                ("in summer", "en verano")),
    "past": (("yesterday", "ayer"), ("last night", "anoche"), ("all night", "toda la noche"),
             ("all day", "todo el día"), ("last week", "la semana pasada")),
    "future": (("tomorrow", "mañana"), ("tonight", "esta noche"),
               ("next week", "la semana que viene"), ("on Sunday", "el domingo")),
}  # fmt: skip


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
    modal: str = ""  # "can", "could", "must", "should" (frame "modal")
    never: bool = False  # perfect: "have never seen", "nunca he visto"
    than: Phrase | str = ""  # compare: what the subject is compared with (a pronoun: OBJECTS)
    please: str = ""  # "", "end" ("…, please": "…, por favor") or "start" ("Please …")
    exclaim: bool = False  # "!" and "¡…!"
    line: tuple[str, str] = ("", "")  # phrase: a set phrase's two sides, slots filled
    very: bool = False  # weather: "very cold", "mucho frío"
    progressive: bool = False  # weather: "It is raining", "Está lloviendo"
    at: tuple[str, str] = ("", "")  # weather: where (English, Spanish), "en la playa"
    front: bool = False  # weather: Spanish says when first ("Ayer hizo calor")


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
        verb = rng.choice([v for v in INTRANSITIVE if v in verbs and v not in REFLEXIVE])
        wh = rng.choice(("where", "when", "why"))
        return Plan(frame, subject, verb=verb, tense=tense, kind="question", wh=wh)
    if frame in CLASS_PLANS:
        return CLASS_PLANS[frame](rng, tense, kind)
    subject = _subject(rng)
    unfit = STATIVE | set(REFLEXIVE) if frame == "progressive" else set()  # "is sitting"
    verb = rng.choice([v for v in (*INTRANSITIVE, *TRANSITIVE, *MOTION)
                       if v in verbs and v not in unfit])  # fmt: skip
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
    intransitive verb with no object, never after a verb that needs its object; a surface
    ("on the sofa") after "sit", "sleep" and "fall", often."""
    if verb in SITS and rng.random() < 0.6:
        return rng.choice(SURFACES)
    if verb in ("go", "come"):
        return rng.choice(PLACES)
    if verb in MOTION:
        return rng.choice(PLACES) if rng.random() < 0.8 else ""
    return rng.choice(PLACES) if verb in INTRANSITIVE and not obj and rng.random() < 0.6 else ""


def _verb(rng: random.Random, stative: bool = True) -> str:
    verbs = lexicon()[1]
    return rng.choice([v for v in (*INTRANSITIVE, *TRANSITIVE, *MOTION)
                       if v in verbs and (stative or v not in STATIVE)])  # fmt: skip


def _please(rng: random.Random, chance: float) -> str:
    return rng.choice(("end", "end", "start")) if rng.random() < chance else ""


def _plan_modal(rng: random.Random, tense: str, kind: str) -> Plan:
    """ "Can you help me, please?", "We should call the doctor.", "She could not sleep." """
    subject = _subject(rng, pronoun=0.7)
    modal = rng.choice(list(MODALS))
    please = ""
    if kind == "question" and rng.random() < 0.6:  # a request
        subject, modal = rng.choice(("you", "you", "you", "I", "we")), rng.choice(("can", "could"))
        please = "end" if subject == "you" and rng.random() < 0.5 else ""
    verb = _verb(rng)
    obj = _object(rng, verb)
    when = _when(rng, "past" if modal == "could" and kind != "question" else "future", 0.2)
    return Plan("modal", subject, verb=verb, obj=obj, kind=kind, modal=modal, please=please,
                place=_place(rng, verb, obj), when=when)  # fmt: skip


def _plan_imperative(rng: random.Random, tense: str, kind: str) -> Plan:
    """ "Open the window, please.", "Don't touch the dog!", "Sit down." """
    verb = _verb(rng, stative=False)
    obj = _object(rng, verb)
    if obj in ("you", "them"):
        obj = "me"  # "help you" said to "you": not a request
    kind = "negation" if kind == "negation" else "statement"
    exclaim = rng.random() < 0.2
    return Plan("imperative", "you", verb=verb, obj=obj, kind=kind, exclaim=exclaim,
                please=_please(rng, 0.0 if exclaim else 0.4),
                place=_place(rng, verb, obj))  # fmt: skip


def _plan_perfect(rng: random.Random, tense: str, kind: str) -> Plan:
    """ "I have lost my key.", "She has never seen the sea.", "Have you read this book?" """
    subject = _subject(rng)
    verb = _verb(rng)
    obj = _object(rng, verb)
    never = kind == "statement" and rng.random() < 0.35
    return Plan("perfect", subject, verb=verb, obj=obj, kind=kind, never=never,
                place=_place(rng, verb, obj))  # fmt: skip


def _plan_compare(rng: random.Random, tense: str, kind: str) -> Plan:
    """ "My brother is taller than me.", "Is the soup hotter than the coffee?" """
    group = rng.choice(list(COMPARISONS))
    adjectives = lexicon()[2]
    adjective = rng.choice([a for a in COMPARISONS[group] if a in adjectives])
    first, second = _phrase(rng, group), _phrase(rng, group)
    subject: Phrase | str = Phrase(first.noun, first.det, first.plural)
    than: Phrase | str = Phrase(second.noun, second.det, second.plural)
    if group == PEOPLE and rng.random() < 0.4:
        if rng.random() < 0.5:
            subject = rng.choice(PRONOUNS)[0]
        else:
            than = rng.choice(list(THAN))
    kind = "negation" if kind == "negation" and rng.random() < 0.5 else kind
    return Plan("compare", subject, adjective=adjective, than=than, kind=kind,
                tense=rng.choice(("present", "present", "past")))  # fmt: skip


def _plan_like(rng: random.Random, tense: str, kind: str) -> Plan:
    """ "I don't like cold soup.", "Do you like dogs?", "My sister likes to swim." """
    subject = _subject(rng, pronoun=0.7)
    if kind == "question" and rng.random() < 0.6:
        subject = "you"
    tense = "past" if tense == "past" and rng.random() < 0.5 else "present"
    if rng.random() < 0.25:  # to do something
        verb = rng.choice([v for v in INTRANSITIVE if v in lexicon()[1] and v not in REFLEXIVE])
        return Plan("like", subject, verb=verb, kind=kind, tense=tense)
    found = _phrase(rng, FOODS + DRINKS + ANIMALS + THINGS, plural=0.5)
    generic = rng.random() < 0.6 and (found.plural or found.noun in MASS)
    det = "generic" if generic else found.det if found.det in DETERMINERS else "the"
    adjective = found.adjective
    if found.noun in FOODS + DRINKS and rng.random() < 0.3:
        adjective = rng.choice(("hot", "cold"))
    obj = Phrase(found.noun, det, found.plural, adjective)
    return Plan("like", subject, obj=obj, kind=kind, tense=tense)


def _plan_weather(rng: random.Random, tense: str, kind: str) -> Plan:
    """ "It's raining again.", "It was cold yesterday.", "Is it sunny at the beach?" """
    verb = rng.choice(list(FALLING)) if rng.random() < 0.45 else ""
    adjective = "" if verb else rng.choice([*list(WEATHER), "nice", "bad"])
    progressive = bool(verb) and tense == "present" and rng.random() < 0.7
    at = rng.choice(WEATHER_PLACES) if rng.random() < 0.3 else ("", "")
    when = rng.choice(WEATHER_WHEN[tense]) if rng.random() < 0.5 else ("", "")
    very = adjective in WEATHER and rng.random() < 0.25
    return Plan("weather", "", verb=verb, adjective=adjective, tense=tense, kind=kind,
                when=when, at=at, very=very, progressive=progressive,
                front=rng.random() < 0.5)  # fmt: skip


def _plan_phrase(rng: random.Random, tense: str, kind: str) -> Plan:
    """A greeting or set phrase from data/everyday/phrases.tsv, its slots filled."""
    english, spanish = rng.choice(set_phrases())
    if "{name}" in english:
        name = rng.choice(NAMES)
        english, spanish = english.replace("{name}", name), spanish.replace("{name}", name)
    if "{city}" in english:
        city_en, city_es = rng.choice(CITIES)
        english, spanish = english.replace("{city}", city_en), spanish.replace("{city}", city_es)
    for slot, nouns in (("{thing}", THANKS), ("{person}", PEOPLE)):
        if slot in english:
            found = _phrase(rng, nouns, plural=0.2)
            det = found.det if found.det in DETERMINERS[2:] or slot == "{thing}" else "my"
            det = "the" if det in ("a", "this", "that") or det in dict(NUMBERS) else det
            phrase = Phrase(found.noun, det, found.plural and found.noun not in MASS)
            words_en, words_es = _np(phrase)
            english = english.replace(slot, words_en)
            spanish = spanish.replace(slot, words_es)
    return Plan("phrase", "", line=(english, spanish))


CLASS_PLANS = {"modal": _plan_modal, "imperative": _plan_imperative, "perfect": _plan_perfect,
               "compare": _plan_compare, "like": _plan_like, "weather": _plan_weather,
               "phrase": _plan_phrase}  # fmt: skip
# First names for the set phrases' {name} (same in both languages)
NAMES = ("Maria", "Tom", "Lucy", "Peter", "Sara", "David", "Emma", "Carlos", "Laura", "Paul",
         "Elena", "Sam")  # fmt: skip
CITIES = (("London", "Londres"), ("Madrid", "Madrid"), ("Paris", "París"), ("Rome", "Roma"),
          ("Berlin", "Berlín"), ("Lisbon", "Lisboa"), ("Seville", "Sevilla"),
          ("New York", "Nueva York"))  # fmt: skip
PHRASES = DATA / "everyday" / "phrases.tsv"


@cache
def set_phrases() -> tuple[tuple[str, str], ...]:
    """The set phrases (data/everyday/phrases.tsv, written by hand): English, Spanish, with
    slots {name}, {thing} (something one thanks for) and {person}."""
    rows = []
    for line in PHRASES.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            english, spanish = line.split("\t")
            rows.append((english, spanish))
    return tuple(rows)


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
    }.get("the" if phrase.det == "generic" else phrase.det, numeral or "")  # fmt: skip
    spanish = f"{spanish_det} ^{noun.spanish}<n><{_form(noun.spanish, g)}><{n}>$"
    english_det = phrase.det
    if phrase.plural:
        english_det = {"this": "these", "that": "those"}.get(phrase.det, phrase.det)
    if phrase.det == "generic":  # "I like dogs": "Me gustan los perros"
        english_det = ""
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
    if isinstance(plan.obj, str):  # "wait for me": "espérame"
        return _join(PREPOSITION.get(plan.verb, ""), plan.obj), OBJECTS[plan.obj], ""
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
    if plan.place in SURFACES and plan.verb not in MOTION:
        english = "on"  # "on the sofa": "en el sofá"
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
    if plan.frame == "phrase":
        return plan.line  # written whole, marks included
    english, spanish = SPELLERS[plan.frame](plan, _Subject.of(plan.subject))
    if plan.please == "end":
        english, spanish = f"{english}, please", f"{spanish}, por favor"
    elif plan.please == "start":
        english, spanish = f"please {english}", f"por favor, {spanish}"
    if plan.kind == "question" or plan.frame == "where":
        return english + "?", f"¿{spanish}?"
    if plan.exclaim:
        return english + "!", f"¡{spanish}!"
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
        clitic = clitic or _reflexive(plan.verb, subject)
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
    clitic = clitic or _reflexive(plan.verb, subject)
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


def _reflexive(verb: str, subject: _Subject) -> str:
    """The clitic a reflexive verb takes for its subject ("se sentó"), else ""."""
    return REFLEXIVES[(subject.person, subject.number)] if verb in REFLEXIVE else ""


def _tail(plan: Plan) -> tuple[str, str, str]:
    """A verb's object and what follows it: English, the Spanish clitic, Spanish."""
    obj_en, clitic, obj_es = _object_words(plan)
    place_en, place_es = _place_words(plan)
    when_en, when_es = plan.when
    return _join(obj_en, place_en, when_en), clitic, _join(obj_es, place_es, when_es)


def _spell_modal(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "Can you help me" / "Puedes ayudarme"; "She could not sleep" / "No pudo dormir"."""
    lemma, tense = MODALS[plan.modal]
    if plan.modal == "could" and plan.kind != "question":
        tense = "ifi"  # the past: "pudo"
    modal_es = f"^{lemma}<{verb_class(lemma)}><{tense}>{subject.agrees}$"
    tail_en, clitic, tail_es = _tail(plan)
    infinitive = _attach(lexicon()[1][plan.verb], clitic or _reflexive(plan.verb, subject))
    if plan.kind == "question":
        return _join(plan.modal, subject.english, plan.verb, tail_en), _join(
            modal_es, subject.spanish, infinitive, tail_es
        )
    modal_en = plan.modal
    if plan.kind == "negation":
        modal_en = "cannot" if plan.modal == "can" else f"{plan.modal} not"
    return _join(subject.english, modal_en, plan.verb, tail_en), _join(
        subject.spanish, _not(plan)[1], modal_es, infinitive, tail_es
    )


def _spell_imperative(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "Open the window" / "Abre la ventana"; "Do not touch it" / "No lo toques"; "Sit
    down" / "Siéntate" (the clitic joined after generation, with its written accent)."""
    tail_en, clitic, tail_es = _tail(plan)
    clitic = clitic or _reflexive(plan.verb, subject)
    lemma = lexicon()[1][plan.verb]
    verb_en = plan.verb
    if plan.verb == "sit" and not plan.place:
        verb_en = "sit down"
    if plan.kind == "negation":
        return _join("do not", verb_en, tail_en), _join(
            "no", clitic, f"^{lemma}<vblex><prs><p2><sg>$", tail_es
        )
    imperative = f"^{lemma}<vblex><imp><p2><sg>$" + (f"+{clitic}" if clitic else "")
    return _join(verb_en, tail_en), _join(imperative, tail_es)


def _spell_perfect(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "She has never seen the sea" / "Ella nunca ha visto el mar"."""
    tail_en, clitic, tail_es = _tail(plan)
    clitic = clitic or _reflexive(plan.verb, subject)
    lemma = lexicon()[1][plan.verb]
    haber = f"^haber<vbhaver><pri>{subject.agrees}$"
    verb_es = _join(clitic, haber, f"^{lemma}<vblex><pp><m><sg>$")
    have = "has" if (subject.person, subject.number) == ("p3", "sg") else "have"
    participle = f"^{plan.verb}<vblex><pp>$"
    if plan.kind == "question":
        return _join(have, subject.english, participle, tail_en), _join(
            verb_es, subject.spanish, tail_es
        )
    adverb_en, adverb_es = ("never", "nunca") if plan.never else _not(plan)
    return _join(subject.english, have, adverb_en, participle, tail_en), _join(
        subject.spanish, adverb_es, verb_es, tail_es
    )


def _spell_compare(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "My brother is taller than me" / "Mi hermano es más alto que yo"; "better" /
    "mejor"."""
    number = subject.number
    if plan.adjective in IRREGULAR_COMPARATIVE:
        adjective_es = f"^{IRREGULAR_COMPARATIVE[plan.adjective]}<adj><mf><{number}>$"
    elif plan.adjective == "old" and subject_is_person(plan.subject):
        adjective_es = f"^mayor<adj><mf><{number}>$"  # of people: "mayor que"
    else:
        lemma = lexicon()[2][plan.adjective]
        gender = _form(lemma, _gender(plan.subject))
        adjective_es = f"más ^{lemma}<adj><{gender}><{number}>$"
    if plan.adjective in synthetic_comparatives():
        adjective_en = f"^{plan.adjective}<adj><sint><comp>$"
    else:
        adjective_en = f"more {plan.adjective}"
    if isinstance(plan.than, Phrase):
        than_en, than_es = _np(plan.than)
    else:
        than_en, than_es = plan.than, THAN[plan.than]
    estar = plan.adjective in STATES
    tense = "pii" if plan.tense == "past" else "pri"
    lemma_be, kind_be = ("estar", "vblex") if estar else ("ser", "vbser")
    verb_es = f"^{lemma_be}<{kind_be}><{tense}>{subject.agrees}$"
    be = subject.be(plan.tense)
    rest_en, rest_es = _join(adjective_en, "than", than_en), _join(adjective_es, "que", than_es)
    if plan.kind == "question":
        return _join(be, subject.english, rest_en), _join(verb_es, subject.spanish, rest_es)
    return _join(subject.english, be, _not(plan)[0], rest_en), _join(
        subject.spanish, _not(plan)[1], verb_es, rest_es
    )


def subject_is_person(subject: Phrase | str) -> bool:
    return not isinstance(subject, Phrase) or subject.noun in PEOPLE


def _spell_like(plan: Plan, subject: _Subject) -> tuple[str, str]:
    """ "I don't like cold soup" / "No me gusta la sopa fría"; "Does your sister like dogs?" /
    "¿A tu hermana le gustan los perros?"."""
    if isinstance(plan.subject, Phrase):
        lead, dative = f"a {subject.spanish}", "les" if subject.number == "pl" else "le"
    else:
        lead, dative = "", DATIVE[plan.subject]
    if isinstance(plan.obj, Phrase):
        liked_en, liked_es = _np(plan.obj)
        many = plan.obj.plural
    else:
        liked_en, liked_es, many = f"to {plan.verb}", lexicon()[1][plan.verb], False
    tense = "ifi" if plan.tense == "past" else "pri"
    gustar = f"^gustar<vblex><{tense}><p3><{'pl' if many else 'sg'}>$"
    spanish = _join(lead, _not(plan)[1], dative, gustar, liked_es)
    if plan.kind == "statement":
        like = _english_verb("like", plan.tense, subject.person, subject.number)
        return _join(subject.english, like, liked_en), spanish
    do = subject.do(plan.tense)
    if plan.kind == "question":
        return _join(do, subject.english, "like", liked_en), spanish
    return _join(subject.english, do, "not", "like", liked_en), spanish


def _spell_weather(plan: Plan, _: _Subject) -> tuple[str, str]:
    """ "It is raining again" / "Está lloviendo otra vez"; "It was cold yesterday" / "Ayer
    hizo frío"; "The weather is nice" / "Hace buen tiempo"."""
    question, negation = plan.kind == "question", plan.kind == "negation"
    when_en, when_es = plan.when
    at_en, at_es = plan.at
    if plan.verb:
        lemma = FALLING[plan.verb]
        if plan.progressive:
            be, verb_en = "is", f"^{plan.verb}<vblex><ger>$"
            verb_es = f"^estar<vblex><pri><p3><sg>$ ^{lemma}<vblex><ger>$"
        else:
            be = {"present": "does", "past": "did", "future": "will"}[plan.tense]
            verb_es = f"^{lemma}<vblex><{TENSES[plan.tense]}><p3><sg>$"
            verb_en = plan.verb
            if not (question or negation):
                be, verb_en = "", _english_verb(plan.verb, plan.tense, "p3", "sg")
        english = _join(be, "it", verb_en) if question else _join("it", be, _not(plan)[0], verb_en)
    else:
        be = {"present": "is", "past": "was", "future": "will be"}[plan.tense]
        first, _space, rest = be.partition(" ")
        if plan.adjective in WEATHER:
            said = _join("very" if plan.very else "", plan.adjective)
            english = (
                _join(first, "it", rest, said)
                if question
                else _join("it", first, _not(plan)[0], rest, said)
            )
            noun_es = _join("mucho" if plan.very else "", WEATHER[plan.adjective])
        else:  # "The weather is nice" / "Hace buen tiempo"
            english = (
                _join(first, "the weather", rest, plan.adjective)
                if question
                else _join("the weather", first, _not(plan)[0], rest, plan.adjective)
            )
            noun_es = {"nice": "buen tiempo", "bad": "mal tiempo"}[plan.adjective]
        verb_es = _join(f"^hacer<vblex><{TENSES[plan.tense]}><p3><sg>$", noun_es)
    verb_es = _join(_not(plan)[1], verb_es)
    spanish = (
        _join(when_es, verb_es, at_es) if plan.front and when_es else _join(verb_es, at_es, when_es)
    )
    return _join(english, at_en, when_en), spanish


SPELLERS = {"clock": _spell_clock, "there": _spell_there, "age": _spell_age,
            "copula": _spell_copula, "wouldlike": _spell_wouldlike, "where": _spell_where,
            "action": _spell_verb, "progressive": _spell_verb, "going": _spell_verb,
            "modal": _spell_modal, "imperative": _spell_imperative, "perfect": _spell_perfect,
            "compare": _spell_compare, "like": _spell_like, "weather": _spell_weather}  # fmt: skip


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
        (_english(e), _capital(enclitics(next(done)))) if ok else None
        for e, ok in zip(english, whole, strict=True)
    ]


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


def generate(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` distinct (English, Spanish) pairs (fewer if the plans run out of variety)."""
    rng = random.Random(seed)
    seen: dict[str, str] = {}
    for _ in range(20):
        for english, spanish in realise([plan(rng) for _ in range(2 * count)]):
            if rng.random() < 0.5:  # as people write: "don't", "it's", "I'm"
                english = contract(english)
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
