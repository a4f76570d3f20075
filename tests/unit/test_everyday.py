"""The everyday translation test set: enough sentences of every kind a class types, each with
a well-formed Spanish reference, and none of them in the training corpus."""

import collections
import re

from model.datasets.corpus import read_split
from model.datasets.everyday import KINDS, everyday_test


def test_the_set_covers_every_kind_with_enough_sentences():
    pairs = everyday_test()
    assert len(pairs) >= 200
    counts = collections.Counter(p.kind for p in pairs)
    assert set(counts) == set(KINDS) and min(counts.values()) >= 15, counts
    assert len({p.english.lower() for p in pairs}) == len(pairs)  # no sentence twice


def test_every_reference_is_a_finished_spanish_sentence():
    for p in everyday_test():
        assert p.english[-1] in ".?!" and p.spanish[-1] in ".?!", p
        assert p.english.endswith("?") == p.spanish.endswith("?"), p
        if p.spanish.endswith("?"):
            assert p.spanish.startswith("¿"), p  # Spanish opens its questions
        assert not re.search(r"\s{2,}|^\s|\s$", p.spanish), p


def test_no_sentence_is_in_the_training_corpus():
    train = {pair.english.lower() for pair in read_split("train")}
    assert not [p.english for p in everyday_test() if p.english.lower() in train]
