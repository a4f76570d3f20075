"""What plans and spellers share: the Plan and Phrase records, a subject's person and
number, and a noun phrase, a subject or a clock hour spelled in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from model.datasets.sentences.apertium import _form, lexicon
from model.datasets.sentences.words import HOURS, HOURS_ES, NUMBERS, PRONOUNS


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


def _join(*words: str) -> str:
    return " ".join(w for w in words if w)
