"""Each side of a plan spelled as a line of words and lexical units for Apertium's generators:
noun phrases, subjects, verbs, objects, places, and the everyday frames."""

from __future__ import annotations

from dataclasses import dataclass

from model.datasets.sentences.apertium import _form, lexicon
from model.datasets.sentences.phrases import (
    Phrase,
    Plan,
    _hour,
    _join,
    _np,
    _subject_words,
    person_number,
)
from model.datasets.sentences.words import (
    AGENTS,
    BE,
    DATIVE,
    HOURS,
    LANGUAGES,
    MOTION,
    NUMBERS,
    OBJECTS,
    PERSONAL,
    PREPOSITION,
    REFLEXIVE,
    REFLEXIVES,
    STATES,
    SURFACES,
    TENSES,
)


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


def _attach(infinitive: str, clitic: str) -> str:
    """An infinitive with its clitic attached ("ver" + "te" -> "verte")."""
    return f"{infinitive}{clitic}"
