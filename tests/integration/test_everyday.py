"""Apertium, the translator's teacher, on the everyday set (Debian's apertium-eng-spa: .ci/run
installs it; a machine without it skips here, CI never does)."""

import os

import pytest

from model.datasets.corpus import apertium_translate, missing_packages
from model.datasets.everyday import everyday_test


@pytest.fixture(scope="module")
def apertium_available():
    missing = [p for p in missing_packages() if p != "wordnet-base"]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} missing in CI: .ci/run should have installed them")
        pytest.skip(f"not installed: {missing} (apt-get install apertium apertium-eng-spa)")


def test_apertium_translates_every_everyday_sentence_as_plain_text(apertium_available):
    import sacrebleu

    pairs = everyday_test()
    output = apertium_translate([p.english for p in pairs], marks=False, quiet=True)
    assert len(output) == len(pairs) and all(output)
    assert not any(mark in line for line in output for mark in "*#@")  # -u: no marks
    bleu = sacrebleu.corpus_bleu(output, [[p.spanish for p in pairs]]).score
    assert 20 < bleu < 90  # a real teacher that still errs (51.2 with Debian 12's package)


def test_evaluate_everyday_prints_its_fixed_last_line_beside_apertium(apertium_available, capsys):
    import re

    from model.evaluate import main as evaluate_main

    evaluate_main(["translation", "--set", "everyday", "--limit", "30", "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    number = r"(\d+\.\d)"
    pattern = (
        rf"translation everyday BLEU: {number} chrF: {number} "
        rf"apertium BLEU: {number} chrF: {number}"
    )
    assert re.fullmatch(pattern, out[-1]), out[-1]
    # casing never changes the words, and nothing loops, as typed or in capitals
    assert "the same words in capitals as typed: 30 of 30" in out
    assert "outputs repeating a 3-gram the source does not (in capitals): 0 of 30" in out


# Slow (about 14 s): the shipped translator and Apertium on every everyday sentence, scored.
def test_the_shipped_translator_beats_its_teacher_on_everyday_sentences(apertium_available):
    """The goals, on all 340 sentences: ours (beam 4, the page's decoder) scores BLEU of at
    least 70 and above Apertium's, on every kind at or above Apertium's (issue 32: negation was
    behind it), with no output looping."""
    import sacrebleu

    from model.datasets.everyday import repeats_a_trigram
    from model.tasks.translation import OurTranslator

    pairs = everyday_test()
    translator = OurTranslator.load()
    ours = [translator.translate(p.english, beam=4).text for p in pairs]
    teacher = apertium_translate([p.english for p in pairs], marks=False, quiet=True)
    references = [[p.spanish for p in pairs]]
    bleu = sacrebleu.corpus_bleu(ours, references).score
    assert bleu >= 70 and bleu > sacrebleu.corpus_bleu(teacher, references).score
    for kind in {p.kind for p in pairs}:
        index = [i for i, p in enumerate(pairs) if p.kind == kind]
        refs = [[pairs[i].spanish for i in index]]
        mine = sacrebleu.corpus_bleu([ours[i] for i in index], refs).score
        theirs = sacrebleu.corpus_bleu([teacher[i] for i in index], refs).score
        assert mine >= theirs, (kind, mine, theirs)
    assert not any(repeats_a_trigram(p.english, o) for p, o in zip(pairs, ours, strict=True))


# The eight sentences that showed issue 32 on the Translation page, as a Spanish teacher
# writes them (before: "no me gustar la sopa fría.", "Puede me ayudo, complacer?", ...)
LECTURE = (
    ("I don't like cold soup.", "No me gusta la sopa fría."),
    ("Can you help me, please?", "¿Puedes ayudarme, por favor?"),
    ("The cat sat on the mat.", "El gato se sentó en la estera."),
    ("It's raining again.", "Está lloviendo otra vez."),
    ("Open the window, please.", "Abre la ventana, por favor."),
    ("Nice to meet you.", "Encantado de conocerte."),
    ("Thank you for your help.", "Gracias por tu ayuda."),
    pytest.param(
        "What is your name?",
        "¿Cómo te llamas?",
        marks=pytest.mark.xfail(
            strict=True,
            reason="a sentence of the test set, so never trained on: the shipped checkpoint "
            "says '¿Cómo se llama tu nombre?' (greedy) and '¿Qué es tu nombre?' (4 beams)",
        ),
    ),
)


@pytest.mark.parametrize(("english", "spanish"), LECTURE)
def test_the_sentences_a_lecturer_types_come_out_as_a_teacher_writes_them(english, spanish):
    """As typed and in capitals, with the page's two decoders (greedy, 4 beams)."""
    from model.tasks.translation import OurTranslator

    translator = OurTranslator.load()
    for beam in (1, 4):
        assert translator.translate(english, beam=beam).text == spanish
        shouted = translator.translate(english.upper(), beam=beam).text
        assert shouted.lower() == spanish.lower()
