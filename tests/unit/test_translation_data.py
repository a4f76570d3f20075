"""The committed corpus, the tokenizer and the build script's pieces (no apt needed)."""

import os
import shutil
from pathlib import Path

import pytest

from model.datasets import corpus as data
from model.transformer.tokenizer import SPECIALS, UNK, train_tokenizer


@pytest.fixture(scope="module")
def splits():
    return {name: data.read_split(name) for name in data.SPLITS}


def test_committed_splits_are_clean_disjoint_and_deterministic(splits):
    assert len(splits["train"]) > 50_000 and len(splits["test"]) > 1_000
    english = {name: {p.english.lower() for p in pairs} for name, pairs in splits.items()}
    assert not english["train"] & english["test"] and not english["valid"] & english["test"]
    for name, pairs in splits.items():
        for pair in pairs[:2000]:
            assert not data.UNTRANSLATED.search(pair.spanish)
            assert data.MIN_WORDS <= len(pair.english.split()) <= data.MAX_WORDS
            assert data.split_of(pair.english) == name
            assert pair.kind in ("example", "gloss")


def test_selection_drops_duplicates_lengths_and_lemma_joins():
    kept = data.select(
        [("example", "the dog barked loudly"), ("example", "The dog barked loudly"),
         ("gloss", "too short"), ("gloss", "an ad_hoc committee met"),
         ("gloss", " ".join(["word"] * 30))]
    )  # fmt: skip
    assert kept == [("example", "the dog barked loudly")]


def test_wordnet_lines_give_examples_and_glosses(tmp_path):
    line = '0001 03 v 01 stonewall 0 | obstruct or hinder any discussion; "Nixon stonewalled"  \n'
    for part in ("noun", "verb", "adj", "adv"):
        (tmp_path / f"data.{part}").write_text("  1 licence header\n" + line)
    found = list(data.wordnet_sentences(tmp_path))
    assert ("example", "Nixon stonewalled") in found
    assert ("gloss", "obstruct or hinder any discussion") in found


def test_build_says_which_debian_packages_are_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "WORDNET_DIR", tmp_path / "nowhere")
    with pytest.raises(SystemExit, match="wordnet-base"):
        data.build(tmp_path / "out")


def test_apertium_keeps_one_line_per_sentence():
    if (
        shutil.which("apertium") is None
        or not Path("/usr/share/apertium/apertium-eng-spa").exists()
    ):
        if os.environ.get("CI") == "true":
            pytest.fail("apertium-eng-spa is missing in CI: .ci/run should have installed it")
        pytest.skip("Debian's apertium and apertium-eng-spa are not installed")
    out = data.apertium_translate(["I have a dog.", "The house is big.", "Good morning"])
    assert len(out) == 3 and "perro" in out[0]


def test_tokenizer_specials_and_unknown_characters():
    tokenizer = train_tokenizer(["the cat sleeps", "el gato duerme"] * 20, vocab_size=60)
    assert [tokenizer.token_to_id(t) for t in SPECIALS] == [0, 1, 2, 3]
    encoding = tokenizer.encode("the cat 🤖")
    assert UNK in encoding.tokens
    assert tokenizer.decode(tokenizer.encode("the cat").ids) == "the cat"


def test_held_out_examples_are_test_sentences_with_their_references():
    examples = data.held_out_examples(4)
    test = data.references("test")
    assert len(examples) == 4
    for pair in examples:
        assert test[pair.english] == pair.spanish and pair.kind == "example"
        assert 6 <= len(pair.english.split()) <= 12


def test_sentence_scores_are_sacrebleus():
    from model.tasks.translation import sentence_scores

    perfect = sentence_scores("el gato duerme", "el gato duerme")
    assert perfect.bleu == pytest.approx(100) and perfect.chrf == pytest.approx(100)
    partial = sentence_scores("el perro duerme", "el gato duerme")
    assert 0 < partial.chrf < 100 and partial.bleu < 100
