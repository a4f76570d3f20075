"""What a sentence says, before either language spells it: a plan (frame, subject, verb,
tense, kind, object, place, time) drawn at random, and the set phrases."""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache

from model.core.paths import DATA
from model.datasets.sentences.apertium import lexicon
from model.datasets.sentences.phrases import Phrase, Plan, _hour, _np
from model.datasets.sentences.words import (
    AGENTS,
    ANIMALS,
    COMPARISONS,
    CONTAINERS,
    DAYS,
    DETERMINERS,
    DRINKS,
    FALLING,
    FITS,
    FOODS,
    FRAMES,
    HOURS,
    INTRANSITIVE,
    KINDS,
    LANGUAGES,
    MASS,
    MINUTES,
    MODALS,
    MOODS,
    MOTION,
    NUMBERS,
    OBJECTS,
    PEOPLE,
    PERIODS,
    PERSONAL,
    PLACES,
    PRONOUNS,
    REFLEXIVE,
    SITS,
    STATES,
    STATIVE,
    SURFACES,
    TENSES,
    THAN,
    THANKS,
    THINGS,
    TRANSITIVE,
    WEATHER,
    WEATHER_PLACES,
    WEATHER_WHEN,
    WHEN,
    WHEN_ANY,
)


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
