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

The parts: `words` (the word lists), `apertium` (its tools, and the lexicon read from its
bilingual dictionary), `phrases` (the plan's records, noun phrases in both languages),
`plans` (what a sentence says), `spelling` and `lecturer` (each side spelled from a plan: the
frames, then the frames a lecturer types), `surface` (contractions, enclitics,
post-generation, capitals) and `pairs` (plans realised as pairs; `generate`).

    python -m model.datasets.sentences --count 20 [--seed N]     # prints pairs as TSV
"""

from model.datasets.sentences.apertium import (
    APERTIUM,
    BILINGUAL,
    ApertiumMissing,
    lexicon,
    verb_class,
)
from model.datasets.sentences.lecturer import subject_is_person
from model.datasets.sentences.pairs import generate, main, realise, realise_each
from model.datasets.sentences.phrases import Phrase, Plan
from model.datasets.sentences.plans import CLASS_PLANS, plan, set_phrases
from model.datasets.sentences.surface import contract, enclitics
from model.datasets.sentences.words import (
    FRAMES,
    IRREGULAR_COMPARATIVE,
    MODALS,
    PRONOUNS,
    STATES,
    TENSES,
)

__all__ = [
    "APERTIUM",
    "BILINGUAL",
    "CLASS_PLANS",
    "FRAMES",
    "IRREGULAR_COMPARATIVE",
    "MODALS",
    "PRONOUNS",
    "STATES",
    "TENSES",
    "ApertiumMissing",
    "Phrase",
    "Plan",
    "contract",
    "enclitics",
    "generate",
    "lexicon",
    "main",
    "plan",
    "realise",
    "realise_each",
    "set_phrases",
    "subject_is_person",
    "verb_class",
]
