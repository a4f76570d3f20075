"""Generated extractive QA data: bAbI-style stories plus templated everyday facts.

Every example is made by rendering sentence templates whose slots are tracked to
the character, so each answer is an exact span of its context. A story mixes
facts about several people (distractors) and about 10% of questions ask about
someone who is not in the story (no answer: the model should point at [CLS]).

The facts and their templates: model/datasets/qa_facts.py; here, stories, contexts put
together from facts, and the splits.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

from model.datasets.qa_facts import (
    ASKED_MOVES,
    DROP_VERBS,
    FAMILIES,
    MOVE_VERBS,
    NAMES,
    OBJECTS,
    ROOMS,
    TAKE_VERBS,
    Fact,
    giving,
    pronominalise,
)


@dataclass(frozen=True)
class QAExample:
    context: str
    question: str
    answer: str  # "" when the context holds no answer
    answer_start: int  # character offset; -1 when there is no answer
    kind: str


def babi_story(
    rng: random.Random, people: list[str]
) -> tuple[list[str], list[tuple[str, str, int]]]:
    """A bAbI-style story; questions need one supporting fact (where is a person, who went to
    a room) or two (where is an object: who carries it and where they went). Who went to a
    room is asked only of rooms one person went to; who is in a room, of rooms that hold
    one person at the end. Each question comes with the index of the sentence that states its
    answer."""
    location: dict[str, tuple[str, int] | None] = {p: None for p in people}
    holder: dict[str, tuple[str, int] | None] = {}
    visits: dict[str, list[tuple[str, int]]] = {}  # room -> (person, sentence) of each move
    sentences: list[str] = []
    picked: list[tuple[str, str, int]] = []  # (person, thing, sentence)
    for _ in range(rng.randint(4, 9)):
        person = rng.choice(people)
        action = rng.random()
        held = [o for o, h in holder.items() if h is not None and h[0] == person]
        if action < 0.55 or location[person] is None:
            room = rng.choice(ROOMS)
            location[person] = (room, len(sentences))
            visits.setdefault(room, []).append((person, len(sentences)))
            sentences.append(f"{person} {rng.choice(MOVE_VERBS)} the {room}.")
        elif action < 0.8 or not held:
            thing = rng.choice([o for o in OBJECTS if holder.get(o) is None])
            holder[thing] = (person, len(sentences))
            picked.append((person, thing, len(sentences)))
            sentences.append(f"{person} {rng.choice(TAKE_VERBS)} the {thing} there.")
        else:
            thing = rng.choice(held)
            holder[thing] = None
            sentences.append(f"{person} {rng.choice(DROP_VERBS)} the {thing}.")
    questions = [
        (f"Where is {p}?", f"the {place[0]}", place[1]) for p, place in location.items() if place
    ]
    for thing, held_by in holder.items():
        if held_by is None:
            continue
        carrier, took = held_by
        questions.append((f"Who has the {thing}?", carrier, took))
        place = location[carrier]
        if place is not None:  # two supporting facts: who took it, and where they went
            questions.append((f"Where is the {thing}?", f"the {place[0]}", place[1]))
    reverse = []  # the other way round, at most one per story: who went to a room, who is there
    for room, moves in visits.items():
        if len(moves) == 1:
            reverse.append((f"Who {rng.choice(ASKED_MOVES)} the {room}?", *moves[0]))
        there = [(p, place[1]) for p, place in location.items() if place and place[0] == room]
        if len(there) == 1:
            reverse.append((f"Who is in the {room}?", *there[0]))
    if reverse:
        questions.append(rng.choice(reverse))
    times = Counter(person for person, _, _ in picked)
    questions.extend(  # only about someone who picked up one thing: else two answers are right
        (f"What did {person} pick up?", f"the {thing}", index)
        for person, thing, index in picked
        if times[person] == 1
    )
    return sentences, questions


def _locate(context: str, sentence_starts: list[int], answer: str, sentence: int) -> int:
    """The answer's offset, searched for in the sentence that states it."""
    start = context.find(answer, sentence_starts[sentence])
    if start < 0:
        raise ValueError(f"answer {answer!r} not found in its sentence")
    return start


def _arrange(
    rng: random.Random, facts: list[tuple[int, Fact]], people: list[str]
) -> list[tuple[int, Fact]]:
    """Shuffled facts, or (half the time) each person's facts together, later ones mostly
    told with a pronoun. Facts about two people (owner -1) never take one."""
    if rng.random() < 0.5:
        rng.shuffle(facts)
        return facts
    order = rng.sample(range(len(people)), len(people))
    grouped = [(o, f) for person in order for o, f in facts if o == person]
    grouped += [(o, f) for o, f in facts if o < 0]
    told: list[tuple[int, Fact]] = []
    for owner, fact in grouped:
        if told and owner >= 0 and told[-1][0] == owner and rng.random() < 0.7:
            fact = pronominalise(fact, people[owner]) or fact
        told.append((owner, fact))
    return told


def generate(n: int, seed: int, stories: float = 0.3) -> list[QAExample]:
    """`n` examples; a share `stories` of the contexts are bAbI-style stories."""
    rng = random.Random(seed)
    examples: list[QAExample] = []
    while len(examples) < n:
        if rng.random() < stories:
            people = rng.sample([p for p in NAMES if " " not in p], rng.randint(2, 3))
            sentences, questions = babi_story(rng, people)
            if not questions:
                continue
            context = " ".join(sentences)
            starts = [sum(len(x) + 1 for x in sentences[:i]) for i in range(len(sentences))]
            for question, answer, index in rng.sample(questions, min(2, len(questions))):
                start = _locate(context, starts, answer, index)
                examples.append(QAExample(context, question, answer, start, "babi"))
            absent = rng.choice([p for p in NAMES if p not in people and " " not in p])
            if rng.random() < 0.25:
                examples.append(QAExample(context, f"Where is {absent}?", "", -1, "none"))
            continue
        people = rng.sample(NAMES, rng.randint(2, 4))
        facts: list[tuple[int, Fact]] = []
        for i, person in enumerate(people):
            for family in rng.sample(FAMILIES, rng.randint(1, 2)):
                facts.extend((i, f) for f in family(rng, person))
        if rng.random() < 0.3:
            facts.extend((-1, f) for f in giving(rng, people[0], people[1]))
        keys = [key for _, fact in facts for key in fact.keys]
        if len(keys) != len(set(keys)):  # two facts about one thing: some question is ambiguous
            continue
        facts = _arrange(rng, facts, people)
        context, starts = "", []
        for _, fact in facts:
            starts.append(len(context) + (1 if context else 0))
            context = f"{context} {fact.text}" if context else fact.text
        chosen = rng.sample(range(len(facts)), min(3, len(facts)))
        for index in chosen:
            owner, fact = facts[index]
            question, answer = rng.choice(fact.qa)
            name = people[max(owner, 0)]
            if " " in name and rng.random() < 0.4:  # "Alice Moreau ..." / "Where does Alice ...?"
                name = name.split()[0]
            question = question.replace("{n}", name)
            examples.append(
                QAExample(
                    context, question, answer, _locate(context, starts, answer, index), "facts"
                )
            )
        if rng.random() < 0.3:  # the same kind of question about someone absent
            owner, fact = facts[chosen[0]]
            question, _ = rng.choice(fact.qa)
            absent = rng.choice([p for p in NAMES if p not in people])
            if "{n}" in question:
                examples.append(QAExample(context, question.replace("{n}", absent), "", -1, "none"))
    return examples[:n]


HARD_QUESTIONS = re.compile(r"Where is the \w+\?|Who is in the \w+\?")


def hard_story_questions(n: int, seed: int) -> list[QAExample]:
    """`n` story questions of the two kinds the reader gets wrong most: where an object is
    (who took it, then where they went) and who is in a room (who went there last, and did
    not leave)."""
    hard: list[QAExample] = []
    size = 4 * n
    while len(hard) < n:
        hard = [
            e for e in generate(size, seed, stories=1.0) if HARD_QUESTIONS.fullmatch(e.question)
        ]
        size *= 2
    return hard[:n]


def generated_splits(seed: int = 13) -> dict[str, list[QAExample]]:
    """Train / valid / test from different seeds, so no story is shared between splits.

    Training gets 4,000 extra story questions, and 4,000 more of the two hardest kinds:
    following an object through the person who took it (two supporting facts) and who is
    left in a room are what the reader learns last."""
    return {
        "train": generate(12000, seed)
        + generate(4000, seed + 100, stories=1.0)
        + hard_story_questions(4000, seed + 200),
        "valid": generate(600, seed + 1),
        "test": generate(1000, seed + 2),
    }
