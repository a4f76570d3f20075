"""The synchronous sentence generator (model/datasets/sentences.py), checked against
Apertium's own Spanish analyser: every determiner, noun and adjective of a subject agree in
gender and number, and every verb has the subject's person and number and the plan's tense
(Debian's apertium-eng-spa: .ci/run installs it; a machine without it skips, CI never does)."""

import os
import random
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
    done = subprocess.run(["lt-proc", str(ANALYSER)], input=sentence, capture_output=True,
                          text=True, check=True)  # fmt: skip
    found: dict[str, set[str]] = {}
    for unit in done.stdout.split("^")[1:]:
        surface, *readings = unit.split("$")[0].split("/")
        found[surface.lower()] = {r.lower() for r in readings}
    return found


def has(readings: set[str], *tags: str) -> bool:
    return any(all(tag in r for tag in tags) for r in readings)


def test_agreement_and_conjugation_as_apertiums_analyser_reads_them():
    rng = random.Random(7)
    nouns, verbs, adjectives = gen.lexicon()
    plans = [gen.plan(rng) for _ in range(300)]
    checked = 0
    for plan, pair in zip(plans, gen.realise_each(plans), strict=True):
        if pair is None:
            continue
        english, spanish = pair
        words = analyses(spanish)
        pronoun = next((p for p in gen.PRONOUNS if p[0] == plan.subject), None)
        person, number = (
            (pronoun[2], pronoun[3]) if pronoun else ("p3", "pl" if plan.plural else "sg")
        )
        tense = gen.TENSES[plan.tense]
        verb = verbs[plan.verb]
        assert any(has(r, f"{verb}<vblex>", f"<{tense}>", f"<{person}>", f"<{number}>")
                   for r in words.values()), (plan, spanish, words)  # fmt: skip
        if not pronoun:
            noun = nouns[plan.subject]
            gender = noun.gender
            assert any(has(r, f"{noun.spanish}<n>", f"<{number}>") for r in words.values()), spanish
            if not plan.number:  # the determiner agrees with the noun
                assert any(has(r, "el<det><def>", f"<{gender}>", f"<{number}>")
                           for r in words.values()), (spanish, words)  # fmt: skip
            if plan.adjective:  # and so does the adjective (or it has one form for both)
                adjective = f"{adjectives[plan.adjective]}<adj>"
                readings = [r for rs in words.values() for r in rs if adjective in r]
                assert any(
                    f"<{number}>" in r and (f"<{gender}>" in r or "<mf>" in r) for r in readings
                ), (spanish, readings)
        assert english[0].isupper() and english[-1] in ".?"
        assert spanish[-1] in ".?" and (plan.kind != "question" or spanish.startswith("¿"))
        assert ("no" in spanish.lower().split()) == (plan.kind == "negation")
        checked += 1
    assert checked >= 250  # nearly every plan can be spelled


def test_examples_read_as_a_teacher_would_write_them():
    pairs = dict(gen.generate(400, seed=1))
    assert len(pairs) == 400  # distinct English sentences
    spanish = "\n".join(pairs.values())
    assert "~" not in spanish and " a el " not in spanish and " de el " not in spanish
    # an everyday sense where the dictionary lists it after a rarer one
    assert "jugar" not in gen.lexicon()[1].values() or gen.lexicon()[1]["play"] == "jugar"
    assert gen.lexicon()[0]["letter"].spanish == "carta"


def test_the_command_prints_tab_separated_pairs(capsys):
    gen.main(["--count", "5", "--seed", "2"])
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 5 and all(len(line.split("\t")) == 2 for line in lines)
