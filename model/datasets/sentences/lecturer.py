"""The frames of what a lecturer types, spelled: modals and requests, imperatives, the present
perfect, comparisons, "like" and the weather."""

from __future__ import annotations

from model.datasets.sentences.apertium import _form, lexicon, synthetic_comparatives, verb_class
from model.datasets.sentences.phrases import Phrase, Plan, _join, _np
from model.datasets.sentences.spelling import (
    _attach,
    _english_verb,
    _gender,
    _not,
    _object_words,
    _place_words,
    _reflexive,
    _Subject,
)
from model.datasets.sentences.words import (
    DATIVE,
    FALLING,
    IRREGULAR_COMPARATIVE,
    MODALS,
    PEOPLE,
    STATES,
    TENSES,
    THAN,
    WEATHER,
)


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
