"""The architecture page's numbers on the shipped models: every one recomputed from the
parameters (our translator, MiniLM), the command that says so, and the beam tree agreeing
with the translation page's beam search."""

import re

import pytest

from model.analysis import anatomy as an
from model.analysis import recompute as rc
from model.hf.encoding import encode

TOL = 1e-5


@pytest.fixture(scope="module")
def translator():
    from model.tasks.translation import OurTranslator

    return OurTranslator.load()


@pytest.mark.parametrize("beams", [2, 5])
def test_every_number_recomputes_on_the_shipped_translator(translator, beams):
    text = "Our neighbours have two dogs and a cat."
    anatomy = an.translator_anatomy(translator, text, beams=beams)
    assert anatomy.text == translator.translate(text).text  # the page shows greedy decoding
    result = rc.recompute(translator.model, anatomy)
    assert result.ok and result.error <= TOL, [c for c in result.checks if c.error > TOL]
    assert anatomy.spec.n_layers == translator.model.config.n_layers


def test_every_number_recomputes_on_minilm(minilm):
    model, tokenizer = minilm
    anatomy = an.bert_anatomy(model, encode(tokenizer, "Where is the bank?", "By the river."))
    result = rc.recompute(model, anatomy)
    assert result.ok and result.error <= TOL, [c for c in result.checks if c.error > TOL]
    assert not anatomy.spec.lm_head  # the packaged weights hold none: the page says so
    assert anatomy.spec.activation == "gelu" and anatomy.spec.d_ff == 1536


@pytest.mark.parametrize("width", [2, 3, 4, 5])
def test_the_beam_tree_ends_where_the_translation_pages_beam_search_does(translator, width):
    text = "I would like a cup of coffee."
    ids, _, _ = translator.encode_source(text)
    tree = an.beam_tree(translator, ids, width)
    assert tree.text == translator.translate(text, beam=width).text
    assert all(len(step.kept) <= width for step in tree.steps)


def test_evaluate_anatomy_prints_its_fixed_last_line(capsys):
    from model.evaluate import main as evaluate_main

    evaluate_main(["anatomy", "--limit", "2", "--quiet"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    match = re.fullmatch(r"anatomy recompute max abs error: (\S+) over (\d+) blocks", last)
    assert match, last
    assert float(match[1]) <= TOL and int(match[2]) > 100
