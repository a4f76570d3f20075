"""The everyday facts QA examples are made of: the word lists (data/qa/words.json), templates
whose slots are tracked to the character, and the families of facts about a person (a
biography, shopping, a pet, travel...), each with the questions it answers."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass

from model.core.paths import DATA

# The word lists live in a data file; each is read into the tuple the templates draw from.
WORDS = json.loads((DATA / "qa" / "words.json").read_text(encoding="utf-8"))
NAMES: tuple[str, ...] = tuple(WORDS["names"])
FEMALE = frozenset(WORDS["female"])  # names that take "she"
CITIES: tuple[str, ...] = tuple(WORDS["cities"])
COUNTRY: dict[str, str] = WORDS["country"]  # the country of each city
ROOMS: tuple[str, ...] = tuple(WORDS["rooms"])
OBJECTS: tuple[str, ...] = tuple(WORDS["objects"])
JOBS: tuple[str, ...] = tuple(WORDS["jobs"])
WORKPLACES: tuple[str, ...] = tuple(WORDS["workplaces"])
SHOPS: tuple[str, ...] = tuple(WORDS["shops"])
GOODS: tuple[tuple[str, str], ...] = tuple((a, b) for a, b in WORDS["goods"])
COUNTS: tuple[str, ...] = tuple(WORDS["counts"])
DAYS: tuple[str, ...] = tuple(WORDS["days"])
MONTHS: tuple[str, ...] = tuple(WORDS["months"])
LANDMARKS: tuple[str, ...] = tuple(WORDS["landmarks"])
INSTRUMENTS: tuple[str, ...] = tuple(WORDS["instruments"])
WHEN: tuple[str, ...] = tuple(WORDS["when"])
PETS: tuple[str, ...] = tuple(WORDS["pets"])
PET_NAMES: tuple[str, ...] = tuple(WORDS["pet_names"])
PLACES_IN: tuple[str, ...] = tuple(WORDS["places_in"])
THINGS: tuple[str, ...] = tuple(WORDS["things"])
SUBJECTS: tuple[str, ...] = tuple(WORDS["subjects"])
VEHICLES: tuple[str, ...] = tuple(WORDS["vehicles"])
ASKED_MOVES: tuple[str, ...] = tuple(WORDS["asked_moves"])
MOVE_VERBS: tuple[str, ...] = tuple(WORDS["move_verbs"])
TAKE_VERBS: tuple[str, ...] = tuple(WORDS["take_verbs"])
DROP_VERBS: tuple[str, ...] = tuple(WORDS["drop_verbs"])
YEARS = tuple(str(y) for y in range(1820, 2024, 7))


@dataclass
class Fact:
    text: str
    qa: list[tuple[str, str]]  # (question, answer slot value)
    # What its questions name without naming the owner ("Who plays the cello?", "How old is
    # Luna?"): two facts of one context must never share one, or a question has two answers.
    keys: tuple[str, ...] = ()


_SLOT = re.compile(r"\{(\w+)\}")


def render(template: str, **slots: str) -> str:
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def pronouns(name: str) -> tuple[str, str, str]:
    """Subject, object and possessive pronouns for a name."""
    return ("she", "her", "her") if name in FEMALE else ("he", "him", "his")


def pronominalise(fact: Fact, name: str) -> Fact | None:
    """The fact told with a pronoun for `name`, as the next sentence about someone is in
    prose ("Kenji works at the hospital. On Sundays he plays the violin."). Questions whose
    answer is the name itself are dropped: the pronoun is not the answer. None when the
    name is not mentioned exactly once or opens an appositive."""
    if fact.text.count(name) != 1:
        return None
    he, him, his = pronouns(name)
    at = fact.text.index(name)
    if fact.text.startswith(",", at + len(name)):  # "Liam, who had worked ..." keeps the name
        return None
    if fact.text.startswith("'s", at + len(name)):
        said, end = his, at + len(name) + 2
    elif re.search(r"\b(?:by|from|to|with) $", fact.text[:at]):
        said, end = him, at + len(name)
    else:
        said, end = he, at + len(name)
    if at == 0 or fact.text[:at].endswith(". "):
        said = _capital(said)
    text = fact.text[:at] + said + fact.text[end:]
    qa = [(q, a) for q, a in fact.qa if a != name]
    return Fact(text, qa, fact.keys) if qa else None


def biography(rng: random.Random, name: str) -> list[Fact]:
    city, year = rng.choice(CITIES), rng.choice(YEARS)
    job, place = rng.choice(JOBS), rng.choice(WORKPLACES)
    born = rng.choice(
        [
            "{n} was born in {c} in {y}.",
            "In {y}, {n} was born in {c}.",
            "{n} was born in {y} in the city of {c}.",
        ]
    )
    if rng.random() < 0.25:
        subject = rng.choice(SUBJECTS)
        teach = rng.choice(["{n} teaches {s} at {p}.", "At {p}, {n} teaches {s}."])
        work = Fact(
            render(teach, n=name, s=subject, p=place),
            [("What does {n} teach?", subject), ("Where does {n} teach?", place)],
            keys=(f"{name}:job",),
        )
    else:
        template = rng.choice(
            [
                "{n} works as a {j} at {p}.",
                "{n} is a {j} who works at {p}.",
                "These days {n} works at {p} as a {j}.",
            ]
        )
        work = Fact(
            render(template, n=name, j=job, p=place),
            [
                (
                    rng.choice(
                        ["What is {n}'s job?", "What does {n} do?", "What does {n} work as?"]
                    ),
                    job,
                ),
                ("Where does {n} work?", place),
            ],
            keys=(f"{name}:job",),
        )
    return [
        Fact(
            render(born, n=name, c=city, y=year),
            [
                (rng.choice(["Where was {n} born?", "In which city was {n} born?"]), city),
                (rng.choice(["When was {n} born?", "In what year was {n} born?"]), year),
            ],
        ),
        work,
    ]


def life(rng: random.Random, name: str) -> list[Fact]:
    """Then and now: where someone lived and worked before a move, and since. Two cities, two
    jobs and a country in one sentence, so the question's tense picks the answer."""
    before, after = rng.sample(CITIES, 2)
    old_job, new_job = rng.sample(JOBS, 2)
    year, place = rng.choice(YEARS), rng.choice(WORKPLACES)
    he, _, his = pronouns(name)
    grew = rng.choice(
        [
            "{n} grew up in {a}, a city in {k}.",
            "{n} spent {h} childhood in {a}, in {k}.",
            "{n} grew up in {a}.",
        ]
    )
    moved = rng.choice(
        [
            "In {y} {e} moved to {b}, where {e} now works as a {j} at {p}.",
            "Since {y} {e} has lived in {b} and worked as a {j} at {p}.",
            "{E} left for {b} in {y} and has worked at {p} as a {j} ever since.",
        ]
    )
    past = rng.choice(
        [
            "{n} used to work as a {o} in {a}, but in {y} {e} moved to {b}.",
            "{n}, who had worked as a {o} in {a}, moved to {b} in {y}.",
            "Before moving to {b} in {y}, {n} worked as a {o} in {a}.",
        ]
    )
    slots = dict(n=name, a=before, b=after, k=COUNTRY[before], y=year, p=place)
    slots.update(o=old_job, j=new_job, e=he, E=_capital(he), h=his)
    if rng.random() < 0.5:  # where they grew up, then where they live and work now
        text = render(grew, **slots) + " " + render(moved, **slots)
        qa = [
            (rng.choice(["Where did {n} grow up?", "In which city did {n} grow up?"]), before),
            (
                rng.choice(["Where does {n} live now?", "Which city does {n} live in now?"]),
                after,
            ),
            (rng.choice(["What does {n} do now?", "What is {n}'s job now?"]), new_job),
            ("Where does {n} work?", place),
            (f"When did {{n}} move to {after}?", year),
        ]
    else:  # an old job in one city, then a move
        text = render(past, **slots)
        qa = [
            (
                rng.choice(
                    [f"What did {{n}} work as in {before}?", f"What was {{n}}'s job in {before}?"]
                ),
                old_job,
            ),
            (rng.choice(["Where did {n} move to?", "Where does {n} live now?"]), after),
            (f"Where did {{n}} work as a {old_job}?", before),
            (f"When did {{n}} move to {after}?", year),
        ]
    return [Fact(text, qa, keys=(f"{name}:moved", f"{name}:job"))]


def shopping(rng: random.Random, name: str) -> list[Fact]:
    shop, day, count = rng.choice(SHOPS), rng.choice(DAYS), rng.choice(COUNTS)
    _, plural = rng.choice(GOODS)
    goods = f"{count} {plural}"
    template = rng.choice(
        [
            "On {d}, {n} went to the {s} and bought {g}.",
            "{n} bought {g} at the {s} on {d}.",
            "On {d} {n} walked to the {s} and bought {g}.",
        ]
    )
    return [
        Fact(
            render(template, n=name, s=shop, d=day, g=goods),
            [
                ("What did {n} buy?", goods),
                (f"How many {plural} did {{n}} buy?", count),
                (f"Who bought {plural}?", name),
                (
                    rng.choice(
                        [
                            "When did {n} go to the " + shop + "?",
                            "On which day did {n} buy " + plural + "?",
                        ]
                    ),
                    day,
                ),
            ],
            keys=(plural,),
        )
    ]


def landmark(rng: random.Random, name: str) -> list[Fact]:
    what, city, year = rng.choice(LANDMARKS), rng.choice(CITIES), rng.choice(YEARS)
    first = rng.choice(
        ["The old {w} stands in {c}.", "The {w} is in {c}.", "There is a famous {w} in {c}."]
    )
    second = rng.choice(
        [
            "It was built in {y} by {n}.",
            "{n} built it in {y}.",
            "It was designed by {n} and finished in {y}.",
        ]
    )
    return [
        Fact(
            render(first, w=what, c=city) + " " + render(second, y=year, n=name),
            [
                (rng.choice([f"Where is the {what}?", f"In which city is the {what}?"]), city),
                (
                    rng.choice([f"When was the {what} built?", f"When was the {what} finished?"]),
                    year,
                ),
                (rng.choice([f"Who built the {what}?", f"Who designed the {what}?"]), name),
            ],
            keys=(what,),
        )
    ]


def hobby(rng: random.Random, name: str) -> list[Fact]:
    instrument, when = rng.choice(INSTRUMENTS), rng.choice(WHEN)
    template = rng.choice(["{n} plays the {i} {w}.", "{W}, {n} plays the {i} with friends."])
    stated = _capital(when) if template.startswith("{W}") else when
    return [
        Fact(
            render(template, n=name, i=instrument, w=when, W=stated),
            [
                ("What instrument does {n} play?", f"the {instrument}"),
                (f"When does {{n}} play the {instrument}?", stated),
                (f"Who plays the {instrument}?", name),
            ],
            keys=(instrument,),
        )
    ]


def pet(rng: random.Random, name: str) -> list[Fact]:
    kind, pet_name, age = rng.choice(PETS), rng.choice(PET_NAMES), rng.choice(COUNTS)
    age_text = f"{age} years old"
    template = rng.choice(["{n}'s {k}, {p}, is {a}.", "{n} has a {k} called {p} that is {a}."])
    return [
        Fact(
            render(template, n=name, k=kind, p=pet_name, a=age_text),
            [
                (
                    rng.choice(
                        [f"What is {{n}}'s {kind} called?", f"What is the name of {{n}}'s {kind}?"]
                    ),
                    pet_name,
                ),
                (f"How old is {pet_name}?", age_text),
            ],
            keys=(pet_name,),
        )
    ]


def keeping(rng: random.Random, name: str) -> list[Fact]:
    thing, where = rng.choice(THINGS), rng.choice(PLACES_IN)
    owned = f"{pronouns(name)[2]} {thing}"
    template = rng.choice(["{n} keeps {o} {p}.", "{n} always leaves {o} {p}."])
    return [
        Fact(
            render(template, n=name, o=owned, p=where),
            [
                (
                    rng.choice(
                        [
                            f"Where does {{n}} keep the {thing}?",
                            f"Where are {{n}}'s {thing} kept?"
                            if thing.endswith("s")
                            else f"Where is {{n}}'s {thing}?",
                        ]
                    ),
                    where,
                ),
                (f"What does {{n}} keep {where}?", owned),
            ],
        )
    ]


def travel(rng: random.Random, name: str) -> list[Fact]:
    city, year, vehicle, month = (
        rng.choice(CITIES),
        rng.choice(YEARS),
        rng.choice(VEHICLES),
        rng.choice(MONTHS),
    )
    template = rng.choice(
        [
            "In {m} {y}, {n} moved to {c}.",
            "{n} moved to {c} in {y}, travelling {v}.",
            "{n} travelled {v} to {c} in {m}.",
        ]
    )
    text = render(template, n=name, c=city, y=year, v=vehicle, m=month)
    qa = [(rng.choice(["Where did {n} move to?", "Where did {n} go?"]), city)]
    if "{y}" in template:
        qa.append((f"When did {{n}} move to {city}?", year))
    if "{v}" in template:
        qa.append((f"How did {{n}} travel to {city}?", vehicle))
    if "{m}" in template and "{y}" not in template:
        qa.append((f"In which month did {{n}} travel to {city}?", month))
    return [Fact(text, qa, keys=(f"{name}:moved",))]


def giving(rng: random.Random, name: str, other: str) -> list[Fact]:
    thing = rng.choice(OBJECTS)
    template = rng.choice(["{a} gave the {t} to {b}.", "{b} borrowed the {t} from {a}."])
    text = render(template, a=name, b=other, t=thing)
    giver_q = (
        f"Who gave the {thing} to {other}?"
        if "gave" in template
        else f"Who lent the {thing} to {other}?"
    )
    return [
        Fact(
            text,
            [
                (giver_q, name),
                (rng.choice([f"Who got the {thing}?", f"Who borrowed the {thing}?"]), other),
                (f"What did {other} get from {name}?", f"the {thing}"),
            ],
            keys=(thing,),
        )
    ]


FAMILIES = (biography, shopping, landmark, hobby, pet, keeping, travel, life)
