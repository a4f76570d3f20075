"""The synchronous sentence generator (model/datasets/sentences/), checked against
Apertium's own Spanish analyser: every determiner, noun and adjective of a subject agree in
gender and number, and every verb has the subject's person and number and the plan's tense
(Debian's apertium-eng-spa: .ci/run installs it; a machine without it skips, CI never does)."""

import os
import random
import re
import subprocess

import pytest

from model.datasets import sentences as gen

ANALYSER = gen.APERTIUM / "spa-eng.automorf.bin"


@pytest.fixture(scope="module", autouse=True)
def apertium_available():
    if not gen.BILINGUAL.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("apertium-eng-spa is missing in CI: .ci/run should have installed it")
        pytest.skip("not installed: apertium-eng-spa (apt-get install apertium-eng-spa)")


def analyses(sentence: str) -> dict[str, set[str]]:
    """Each word's possible analyses ("perro" -> {"perro<n><m><sg>"}), from Apertium's
    Spanish morphological analyser."""
    return analyses_each([sentence])[0]


def analyses_each(sentences: list[str]) -> list[dict[str, set[str]]]:
    """`analyses` of many sentences in one lt-proc call, a line each (the analyser keeps the
    line breaks): one process, not one a sentence (600 of them took 26 s)."""
    assert not any("\n" in s for s in sentences)
    done = subprocess.run(["lt-proc", str(ANALYSER)], input="\n".join(sentences) + "\n",
                          capture_output=True, text=True, check=True)  # fmt: skip
    lines = done.stdout.split("\n")[: len(sentences)]
    assert len(lines) == len(sentences), "the analyser kept one line a sentence"
    each = []
    for line in lines:
        found: dict[str, set[str]] = {}
        for unit in line.split("^")[1:]:
            surface, *readings = unit.split("$")[0].split("/")
            found[surface.lower()] = {r.lower() for r in readings}
        each.append(found)
    return each


def has(readings: set[str], *tags: str) -> bool:
    return any(all(tag in r for tag in tags) for r in readings)


DETERMINER = {"the": "el<det><def>", "a": "uno<det><ind>", "my": "mío<det><pos>",
              "your": "tuyo<det><pos>", "his": "suyo<det><pos>", "her": "suyo<det><pos>",
              "their": "suyo<det><pos>", "our": "nuestro<det><pos>", "this": "este<det><dem>",
              "that": "ese<det><dem>"}  # fmt: skip
# The Spanish clitic of "would like" for each subject pronoun: person and number
DATIVE = {"I": ("p1", "sg"), "you": ("p2", "sg"), "he": ("p3", "sg"), "she": ("p3", "sg"),
          "we": ("p1", "pl"), "they": ("p3", "pl")}  # fmt: skip


def expected_readings(plan: gen.Plan) -> list[tuple[str, ...]]:
    """What the Spanish must hold, worked out from the plan alone: for each item, tags that
    one word's reading must all carry (the determiner, noun and adjective of every noun
    phrase in agreement; each verb with its person, number and tense)."""
    nouns, verbs, adjectives = gen.lexicon()
    want: list[tuple[str, ...]] = []

    def phrase(p: gen.Phrase) -> None:
        noun = nouns[p.noun]
        number = "<pl>" if p.plural else "<sg>"
        if p.container:  # "una taza de café": the container agrees with "una"
            box = nouns[p.container]
            want.append(("uno<det><ind>", f"<{box.gender}>", "<sg>"))
            want.append((f"{box.spanish}<n>", "<sg>"))
            return
        want.append((f"{noun.spanish}<n>", number))
        stressed_a = noun.gender == "f" and re.match("h?a", noun.spanish)  # "el agua"
        if p.det in DETERMINER and not (p.det == "the" and stressed_a):
            gender = (
                "<mf>" if p.det in ("my", "your", "his", "her", "their") else f"<{noun.gender}>"
            )
            want.append((DETERMINER[p.det], gender, number))
        if p.adjective:
            want.append((f"{adjectives[p.adjective]}<adj>", number))

    if isinstance(plan.subject, gen.Phrase):
        phrase(plan.subject)
    if isinstance(plan.obj, gen.Phrase) and plan.wh != "what":  # "¿Qué…?" asks for it
        phrase(plan.obj)
    if isinstance(plan.subject, gen.Phrase):
        person, number = "p3", "pl" if plan.subject.plural else "sg"
    else:
        pronoun = next((p for p in gen.PRONOUNS if p[0] == plan.subject), ("", "", "p3", "sg"))
        person, number = pronoun[2], pronoun[3]
    agree = (f"<{person}>", f"<{number}>")
    tense = gen.TENSES[plan.tense]
    past = "<pii>" if plan.tense == "past" else f"<{tense}>"  # was: estaba, era
    if plan.frame == "action" or (plan.frame == "where" and plan.verb):
        want.append((f"{verbs[plan.verb]}<vblex>", f"<{tense}>", *agree))
    elif plan.frame == "where":
        want.append(("estar<vblex>", past, *agree))
    elif plan.frame == "progressive":
        want.append(("estar<vblex>", past, *agree))
        if plan.verb != "wait":  # the analyser reads "esperando a" as one preposition
            want.append((f"{verbs[plan.verb]}<vblex>", "<ger>"))
    elif plan.frame == "going":
        want += [("ir<vblex>", "<pri>", *agree), (f"{verbs[plan.verb]}<vblex>", "<inf>")]
    elif plan.frame == "age":
        want.append(("tener<vblex>", "<pri>", *agree))
    elif plan.frame == "copula":
        copula = "estar<vblex>" if plan.place or plan.adjective in gen.STATES else "ser<vbser>"
        want.append((copula, past, *agree))
        if plan.adjective:
            if isinstance(plan.subject, gen.Phrase):
                gender = nouns[plan.subject.noun].gender
            else:
                gender = "f" if plan.subject == "she" else "m"
            want.append((f"{adjectives[plan.adjective]}<adj>", f"<{number}>"))
            want.append((f"{adjectives[plan.adjective]}<adj>", f"<{gender}>"))
    elif plan.frame == "wouldlike":
        many = isinstance(plan.obj, gen.Phrase) and plan.obj.plural and not plan.verb
        want.append(("gustar<vblex>", "<cni>", "<p3>", "<pl>" if many else "<sg>"))
        if isinstance(plan.subject, str):
            dative_person, dative_number = DATIVE[plan.subject]
        else:
            dative_person, dative_number = "p3", number
        want.append(("prpers<prn><pro>", f"<{dative_person}>", f"<{dative_number}>"))
        if plan.verb:
            want.append((f"{verbs[plan.verb]}<vblex>", "<inf>"))
    elif plan.frame == "modal":
        lemma, modal_tense = gen.MODALS[plan.modal]
        if plan.modal == "could" and plan.kind != "question":
            modal_tense = "ifi"  # "pudo"
        want.append((f"{lemma}<{gen.verb_class(lemma)}>", f"<{modal_tense}>", *agree))
        want.append((f"{verbs[plan.verb]}<vblex>", "<inf>"))
    elif plan.frame == "imperative":  # "abre", "no toques": tú's imperative, its subjunctive
        mood = "<prs>" if plan.kind == "negation" else "<imp>"
        want.append((f"{verbs[plan.verb]}<vblex>", mood, "<p2>", "<sg>"))
    elif plan.frame == "perfect":
        want += [("haber<vbhaver>", "<pri>", *agree), (f"{verbs[plan.verb]}<vblex>", "<pp>")]
    elif plan.frame == "compare":
        copula = "estar<vblex>" if plan.adjective in gen.STATES else "ser<vbser>"
        want.append((copula, past, *agree))
        if plan.adjective in gen.IRREGULAR_COMPARATIVE:
            lemma = gen.IRREGULAR_COMPARATIVE[plan.adjective]
        elif plan.adjective == "old" and gen.subject_is_person(plan.subject):
            lemma = "mayor"
        else:
            lemma = adjectives[plan.adjective]
        want.append((f"{lemma}<adj>", f"<{number}>"))
        if isinstance(plan.than, gen.Phrase):
            phrase(plan.than)
    elif plan.frame == "like":
        many = isinstance(plan.obj, gen.Phrase) and plan.obj.plural
        liked = "<ifi>" if plan.tense == "past" else "<pri>"
        want.append(("gustar<vblex>", liked, "<p3>", "<pl>" if many else "<sg>"))
        if isinstance(plan.subject, str):
            dative_person, dative_number = DATIVE[plan.subject]
        else:
            dative_person, dative_number = "p3", number
        want.append(("prpers<prn><pro>", f"<{dative_person}>", f"<{dative_number}>"))
    elif plan.frame == "weather" and plan.verb:
        if plan.progressive:
            want += [("estar<vblex>", "<pri>", "<p3>", "<sg>"), ("llover<vblex>", "<ger>")]
        else:
            want.append(("llover<vblex>", f"<{tense}>", "<p3>", "<sg>"))
    elif plan.frame == "weather":
        want.append(("hacer<vblex>", "<ifi>" if plan.tense == "past" else f"<{tense}>"))
    return want


def test_agreement_and_conjugation_as_apertiums_analyser_reads_them():
    rng = random.Random(7)
    plans = [gen.plan(rng) for _ in range(600)]
    spelled = [(plan, pair) for plan, pair in zip(plans, gen.realise_each(plans), strict=True)
               if pair is not None]  # fmt: skip
    read = analyses_each([spanish for _, (_, spanish) in spelled])
    checked: dict[str, int] = {}
    for (plan, (english, spanish)), words in zip(spelled, read, strict=True):
        for tags in expected_readings(plan):
            # a reading that carries every tag
            # or one form for both genders ("feliz": <mf>), or both numbers ("paraguas": <sp>)
            either = [re.sub("<[mf]>", "<mf>", re.sub("<(sg|pl)>", "<sp>", t)) for t in tags]
            assert any(has(readings, *tags) or has(readings, *either)
                       for readings in words.values()), (plan, english, spanish, tags)  # fmt: skip
        assert english[0].isupper() and english[-1] in ".?!", english
        assert "  " not in english and "  " not in spanish, (english, spanish)
        assert spanish[-1] in ".?!" and (plan.kind != "question" or spanish.startswith("¿"))
        assert english.endswith("!") == spanish.startswith("¡") == spanish.endswith("!")
        if plan.frame != "phrase":  # "No, gracias." is not a negated plan
            said_no = "no" in re.findall(r"\w+", spanish.lower())
            assert said_no == (plan.kind == "negation"), (plan, spanish)
        checked[plan.frame] = checked.get(plan.frame, 0) + 1
    assert set(checked) == set(gen.FRAMES), checked  # every frame is spelled
    assert sum(checked.values()) >= 550  # nearly every plan can be spelled


def test_the_frames_a_lecturer_needs_are_checked_too():
    """The frames of issue 32 are weighted enough to be drawn and checked above, often."""
    rng = random.Random(7)
    frames = [gen.plan(rng).frame for _ in range(600)]
    for frame in gen.CLASS_PLANS:
        assert frames.count(frame) >= 15, (frame, frames.count(frame))


def test_a_mutation_is_caught():
    """The check above can fail: a plan spelled with the wrong number fails it."""
    plan = gen.Plan("action", gen.Phrase("dog", "the", True), verb="sleep")
    wrong = gen.Plan("action", gen.Phrase("dog", "the", False), verb="sleep")
    ((_, spanish),) = gen.realise([wrong])
    words = analyses(spanish)
    missing = [tags for tags in expected_readings(plan)
               if not any(has(readings, *tags) for readings in words.values())]  # fmt: skip
    assert missing, spanish


@pytest.mark.parametrize(
    ("built", "english", "spanish"),
    [
        (
            gen.Plan("action", gen.Phrase("lion", "the", False), verb="sleep", place="river"),
            "The lion sleeps in the river.",
            "El león duerme en el río.",
        ),
        (
            gen.Plan("wouldlike", "I", obj=gen.Phrase("coffee", "a", False, container="cup")),
            "I would like a cup of coffee.",
            "Me gustaría una taza de café.",
        ),
        (
            gen.Plan("wouldlike", gen.Phrase("son", "my", False), verb="go", place="park"),
            "My son would like to go to the park.",
            "A mi hijo le gustaría ir al parque.",
        ),
        (
            gen.Plan("progressive", gen.Phrase("child", "the", True), verb="play", place="garden"),
            "The children are playing in the garden.",
            "Los niños están jugando en el jardín.",
        ),
        (
            gen.Plan("going", "I", verb="see", obj="you", when=("tomorrow", "mañana")),
            "I am going to see you tomorrow.",
            "Voy a verte mañana.",
        ),
        (
            gen.Plan("action", "she", verb="see", obj="him", kind="negation", tense="past"),
            "She did not see him.",
            "Ella no lo vio.",
        ),
        (
            gen.Plan(
                "copula", gen.Phrase("woman", "the", True), adjective="tired", kind="question"
            ),
            "Are the women tired?",
            "¿Están cansadas las mujeres?",
        ),
        (
            gen.Plan("age", "she", number="twenty"),
            "She is twenty years old.",
            "Ella tiene veinte años.",
        ),
        (
            gen.Plan("clock", "", number="three", minutes="half past"),
            "It is half past three.",
            "Son las tres y media.",
        ),
        (
            gen.Plan("clock", "", number="one", minutes="o'clock"),
            "It is one o'clock.",
            "Es la una.",
        ),
        (
            gen.Plan("there", "", obj=gen.Phrase("egg", "two", True), place="kitchen"),
            "There are two eggs in the kitchen.",
            "Hay dos huevos en la cocina.",
        ),
        (
            gen.Plan(
                "action",
                "we",
                verb="arrive",
                place="station",
                tense="future",
                when=("at seven", "a las siete"),
            ),
            "We will arrive at the station at seven.",
            "Llegaremos a la estación a las siete.",
        ),
        # what a lecturer types (issue 32)
        (
            gen.Plan(
                "like", "I", obj=gen.Phrase("soup", "generic", False, "cold"), kind="negation"
            ),
            "I do not like cold soup.",
            "No me gusta la sopa fría.",
        ),
        (
            gen.Plan(
                "like",
                gen.Phrase("sister", "your", False),
                kind="question",
                obj=gen.Phrase("dog", "generic", True),
            ),
            "Does your sister like dogs?",
            "¿A tu hermana le gustan los perros?",
        ),
        (
            gen.Plan(
                "modal", "you", verb="help", obj="me", modal="can", kind="question", please="end"
            ),
            "Can you help me, please?",
            "¿Puedes ayudarme, por favor?",
        ),
        (
            gen.Plan("modal", "she", verb="sleep", modal="could", kind="negation"),
            "She could not sleep.",
            "Ella no pudo dormir.",
        ),
        (
            gen.Plan(
                "action", gen.Phrase("cat", "the", False), verb="sit", place="mat", tense="past"
            ),
            "The cat sat on the mat.",
            "El gato se sentó en la estera.",
        ),
        (
            gen.Plan("weather", "", verb="rain", progressive=True, when=("again", "otra vez")),
            "It is raining again.",
            "Está lloviendo otra vez.",
        ),
        (
            gen.Plan(
                "weather",
                "",
                adjective="cold",
                very=True,
                tense="past",
                front=True,
                when=("yesterday", "ayer"),
            ),
            "It was very cold yesterday.",
            "Ayer hizo mucho frío.",
        ),
        (
            gen.Plan(
                "imperative",
                "you",
                verb="open",
                obj=gen.Phrase("window", "the", False),
                please="end",
            ),
            "Open the window, please.",
            "Abre la ventana, por favor.",
        ),
        (
            gen.Plan(
                "imperative",
                "you",
                verb="touch",
                obj=gen.Phrase("dog", "the", False),
                kind="negation",
                exclaim=True,
            ),
            "Do not touch the dog!",
            "¡No toques al perro!",
        ),
        (gen.Plan("imperative", "you", verb="sit"), "Sit down.", "Siéntate."),
        (gen.Plan("imperative", "you", verb="help", obj="me"), "Help me.", "Ayúdame."),
        (
            gen.Plan("perfect", "she", verb="see", obj=gen.Phrase("sea", "the", False), never=True),
            "She has never seen the sea.",
            "Ella nunca ha visto el mar.",
        ),
        (
            gen.Plan(
                "perfect",
                "you",
                verb="read",
                obj=gen.Phrase("book", "this", False),
                kind="question",
            ),
            "Have you read this book?",
            "¿Has leído este libro?",
        ),
        (
            gen.Plan("compare", gen.Phrase("brother", "my", False), adjective="tall", than="me"),
            "My brother is taller than me.",
            "Mi hermano es más alto que yo.",
        ),
        (
            gen.Plan(
                "compare",
                gen.Phrase("book", "this", True),
                adjective="good",
                than=gen.Phrase("book", "that", True),
            ),
            "These books are better than those books.",
            "Estos libros son mejores que esos libros.",
        ),
        (
            gen.Plan(
                "compare",
                gen.Phrase("car", "the", False),
                adjective="expensive",
                than=gen.Phrase("bicycle", "the", False),
            ),
            "The car is more expensive than the bicycle.",
            "El coche es más caro que la bicicleta.",
        ),
    ],
)
def test_frames_spell_as_a_teacher_would(built, english, spanish):
    assert gen.realise([built]) == [(english, spanish)]


def test_examples_read_as_a_teacher_would_write_them():
    pairs = dict(gen.generate(400, seed=1))
    assert len(pairs) == 400  # distinct English sentences
    spanish = "\n".join(pairs.values())
    assert "~" not in spanish and " a el " not in spanish and " de el " not in spanish
    # an everyday sense where the dictionary lists it after a rarer one
    assert "jugar" not in gen.lexicon()[1].values() or gen.lexicon()[1]["play"] == "jugar"
    assert gen.lexicon()[0]["letter"].spanish == "carta"


def test_set_phrases_fill_their_slots_and_open_spanish_questions():
    rng = random.Random(3)
    plans = [gen.CLASS_PLANS["phrase"](rng, "present", "statement") for _ in range(300)]
    pairs = gen.realise(plans)
    assert len(pairs) == 300
    for english, spanish in pairs:
        assert "{" not in english + spanish and "^" not in spanish, (english, spanish)
        assert english[-1] == spanish[-1] or spanish.endswith("?"), (english, spanish)
        if spanish.endswith("?"):
            assert "¿" in spanish, spanish
    for english, spanish in gen.set_phrases():  # the data: the same slots on both sides
        assert sorted(re.findall(r"{\w+}", english)) == sorted(re.findall(r"{\w+}", spanish))


def test_the_command_prints_tab_separated_pairs(capsys):
    gen.main(["--count", "5", "--seed", "2"])
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 5 and all(len(line.split("\t")) == 2 for line in lines)
