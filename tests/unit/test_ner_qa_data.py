"""NER and QA data, decoding and scores: pure functions, no model."""

import itertools
import json
import re
from collections import Counter

import pytest
import torch

from model.datasets.qa_generator import (
    MOVE_VERBS,
    TAKE_VERBS,
    Fact,
    generate,
    generated_splits,
    hard_story_questions,
    pronominalise,
)
from model.datasets.qa_handwritten import HANDWRITTEN, handwritten_questions
from model.datasets.wnut import load_wnut, split_sentences
from model.tasks.ner import (
    LABELS,
    bio_decode,
    bio_spans,
    casing_ids,
    decode_entities,
    text_casing_ids,
    word_case,
)
from model.tasks.qa import answer_em, answer_f1, exact_match, f1_score, normalize_answer


def test_wnut_loads_every_sentence_with_known_tags():
    sentences = load_wnut()
    assert len(sentences) == 2394
    tags = Counter(tag for _, ts in sentences for tag in ts)
    assert set(tags) <= set(LABELS) and tags["B-person"] > 100
    assert all(len(words) == len(ts) for words, ts in sentences)


def test_ner_split_is_deterministic_and_disjoint():
    a, b = split_sentences(load_wnut()), split_sentences(load_wnut())
    assert a == b
    assert (len(a["train"]), len(a["valid"]), len(a["test"])) == (1837, 229, 229)
    train = {words for words, _ in a["train"]}
    assert not any(words in train for words, _ in a["test"])  # repeated tweets kept once


def test_bio_decoding_gives_character_offsets():
    text = "Going to see Taylor Swift in New York"
    words = [(0, 5), (6, 8), (9, 12), (13, 19), (20, 25), (26, 28), (29, 32), (33, 37)]
    tags = ["O", "O", "O", "B-person", "I-person", "O", "B-geo-loc", "I-geo-loc"]
    entities = decode_entities(text, words, tags, [0.9] * 8)
    assert [(e.text, e.label) for e in entities] == [("Taylor Swift", "person"),
                                                      ("New York", "geo-loc")]  # fmt: skip
    assert text[entities[0].start : entities[0].end] == "Taylor Swift"
    assert entities[1].words == (6, 7)


def test_bio_decoding_is_lenient_with_stray_inside_tags():
    entities = decode_entities("a b c", [(0, 1), (2, 3), (4, 5)], ["I-person", "I-company", "O"],
                               [0.5, 0.7, 0.9])  # fmt: skip
    assert [(e.text, e.label) for e in entities] == [("a", "person"), ("b", "company")]


def is_valid_bio(tags):
    return all(
        not tag.startswith("I-") or (i > 0 and tags[i - 1][2:] == tag[2:] and tags[i - 1] != "O")
        for i, tag in enumerate(tags)
    )


def test_bio_decoding_keeps_the_best_valid_sequence():
    """Against enumeration of every tag sequence: same total log probability, and valid."""
    labels = ["O", "B-person", "I-person", "B-geo-loc", "I-geo-loc"]
    generator = torch.Generator().manual_seed(0)
    for length in (1, 2, 3, 4):
        for _ in range(20):
            log_probs = torch.randn(length, len(labels), generator=generator).log_softmax(-1)
            path = bio_decode(log_probs, labels)
            valid = [
                p
                for p in itertools.product(range(len(labels)), repeat=length)
                if is_valid_bio([labels[i] for i in p])
            ]
            best = max(sum(float(log_probs[t, i]) for t, i in enumerate(p)) for p in valid)
            assert is_valid_bio([labels[i] for i in path])
            assert sum(float(log_probs[t, i]) for t, i in enumerate(path)) == pytest.approx(best)


def test_bio_decoding_repairs_a_stray_inside_tag():
    """Per word, "O I-person" wins; as a sequence the I- must become B- or O."""
    labels = ["O", "B-person", "I-person"]
    probs = torch.tensor([[0.9, 0.05, 0.05], [0.1, 0.4, 0.5], [0.1, 0.1, 0.8]])
    assert [labels[i] for i in probs.argmax(-1)] == ["O", "I-person", "I-person"]
    tags = [labels[i] for i in bio_decode(probs.log(), labels)]
    assert tags == ["O", "B-person", "I-person"]
    assert bio_spans(tags) == [(1, 3, "person")]
    assert bio_decode(torch.zeros(0, 3), labels) == []
    unprefixed = ["O", "PER", "LOC"]  # a label set without BIO prefixes is left alone
    assert bio_decode(torch.tensor([[0.1, 0.8, 0.1]]).log(), unprefixed) == [1]


@pytest.mark.parametrize(
    ("word", "case"),
    [("london", 0), ("2024", 0), ("🤖", 0), (":)", 0), ("London", 1), ("I'm", 1), ("A", 1),
     ("@Bob", 1), ("NASA", 2), ("U.S.", 2), ("#NYC", 2), ("iPhone", 3), ("eBay", 3)],
)  # fmt: skip
def test_word_casing_classes(word, case):
    assert word_case(word) == case


def test_pieces_of_raw_text_take_their_words_casing():
    text = "hi iPhone  NASA"
    offsets = [(0, 0), (0, 2), (3, 4), (4, 9), (11, 15), (0, 0)]  # [CLS] hi i ##phone nasa [SEP]
    assert text_casing_ids(text, offsets) == [0, 0, 3, 3, 2, 0]


def test_generated_answers_are_exact_spans_and_splits_differ():
    splits = generated_splits()
    for examples in splits.values():
        for e in examples:
            if e.answer:
                assert e.context[e.answer_start : e.answer_start + len(e.answer)] == e.answer
            else:
                assert e.answer_start == -1
    kinds = Counter(e.kind for e in splits["train"])
    assert kinds["babi"] > 1000 and kinds["facts"] > 5000 and kinds["none"] > 300
    train_contexts = {e.context for e in splits["train"]}
    shared = sum(e.context in train_contexts for e in splits["test"])
    assert shared < 0.02 * len(splits["test"])


def test_generated_questions_have_one_right_answer():
    """No question may have a second answer in its context: the reader returns one span."""
    takes = "|".join(TAKE_VERBS)
    checked = Counter()
    for e in generate(6000, seed=5):
        picked = re.fullmatch(r"What did (\w+) pick up\?", e.question)
        if picked:  # a person who picked up two things makes this ambiguous
            assert len(re.findall(rf"\b{picked[1]} (?:{takes}) the", e.context)) == 1, e
            checked["pick up"] += 1
        for question, statement in (  # two pets called Luna, two fountains, ...
            (r"How old is (\w+)\?", r", {0}, is|called {0} that"),
            (r"Who plays the (\w+)\?", r"plays the {0}"),
            (r"Who bought (.+)\?", r"bought \w+ {0}"),
            (r"Who (?:built|designed) the (\w+)\?", r"(?:old|The|famous) {0} "),
        ):
            named = re.fullmatch(question, e.question)
            if named and e.answer:
                assert len(re.findall(statement.format(named[1]), e.context)) == 1, e
                checked["named"] += 1
        went = re.fullmatch(
            r"Who (?:went|moved|travelled|ran|journeyed) to the (\w+)\?", e.question
        )
        if went and e.kind == "babi":  # one person ever went there
            assert [m[0] for m in moves(e.context) if m[1] == went[1]] == [e.answer], e
            checked["went"] += 1
        there = re.fullmatch(r"Who is in the (\w+)\?", e.question)
        if there:  # one person is there at the end
            last = dict(moves(e.context))
            assert [p for p, room in last.items() if room == there[1]] == [e.answer], e
            checked["there"] += 1
    assert checked["pick up"] > 50 and checked["named"] > 200
    assert checked["went"] > 20 and checked["there"] > 20


def moves(story):
    """(person, room) of each move in a bAbI-style story, in order."""
    verbs = "|".join(MOVE_VERBS)
    return re.findall(rf"(\w+) (?:{verbs}) the (\w+)\.", story)


@pytest.mark.parametrize(
    ("text", "name", "told"),
    [
        ("Kenji plays the violin.", "Kenji", "He plays the violin."),
        ("On Sundays, Mary plays the flute.", "Mary", "On Sundays, she plays the flute."),
        ("Mary's cat, Luna, is two years old.", "Mary", "Her cat, Luna, is two years old."),
        ("It was built by Omar.", "Omar", "It was built by him."),
        ("The bridge is in Oslo. Omar built it.", "Omar", "The bridge is in Oslo. He built it."),
    ],
)  # fmt: skip
def test_a_second_fact_can_be_told_with_a_pronoun(text, name, told):
    fact = Fact(text, [("Where?", "Oslo"), ("Who built the bridge?", name)])
    assert pronominalise(fact, name) == Fact(told, [("Where?", "Oslo")])  # the name is no answer


def test_no_pronoun_for_an_appositive_or_a_name_said_twice():
    assert pronominalise(Fact("Liam, a nurse, moved.", [("Who?", "x")]), "Liam") is None
    assert pronominalise(Fact("Ana met Ana.", [("Who?", "x")]), "Ana") is None


def test_generated_prose_has_pronouns_and_then_and_now_facts():
    examples = generate(3000, seed=7)
    contexts = {e.context for e in examples if e.kind == "facts"}
    assert sum(bool(re.search(r"\. (?:He|She) ", c)) for c in contexts) > 0.2 * len(contexts)
    now = [
        e for e in examples if e.answer and re.fullmatch(r"Where does .+ live now\?", e.question)
    ]
    assert len(now) > 20
    for e in now:  # the city they moved to, never where they grew up
        before = e.context[: e.answer_start]
        assert re.search(r"(?:moved to|moving to|left for|has lived in) $", before), e


def test_generation_is_deterministic():
    assert generate(50, seed=3) == generate(50, seed=3)


def test_hard_story_questions_are_the_two_hardest_kinds():
    hard = hard_story_questions(300, seed=4)
    assert len(hard) == 300 and hard == hard_story_questions(300, seed=4)
    asked = Counter(e.question.split()[2] for e in hard)  # "Where is the X?" / "Who is in ..."
    assert asked["the"] > 150 and asked["in"] > 30 and sum(asked.values()) == 300
    for e in hard:
        assert e.kind == "babi" and e.context[e.answer_start :].startswith(e.answer)
        if e.question.startswith("Who is in the "):  # the answer's last move was to that room
            room = e.question.removeprefix("Who is in the ").rstrip("?")
            moves = re.findall(rf"{e.answer} (?:{'|'.join(MOVE_VERBS)}) the (\w+)", e.context)
            assert moves[-1] == room, e


def test_squad_style_scores():
    assert normalize_answer("The  Kitchen!") == "kitchen"
    assert exact_match("the kitchen", ["kitchen"]) == 1.0
    assert exact_match("garden", ["kitchen"]) == 0.0
    assert f1_score("in the old garden", ["the garden"]) == pytest.approx(0.5)  # 1/3 and 1/1


def test_handwritten_set_is_at_least_30_spans():
    items = handwritten_questions()
    assert len(items) >= 30
    for _, context, truths in items:
        assert all(t in context for t in truths)
    assert json.loads(HANDWRITTEN.read_text())["about"]
    assert HANDWRITTEN.is_relative_to(HANDWRITTEN.parents[2] / "data")  # shipped, not a test file


def test_one_no_answer_rule_for_exact_match_and_f1():
    """A question with no gold answer is right exactly when the prediction is no answer."""
    for score in (answer_em, answer_f1):
        assert score("", [""]) == 1.0 and score("", []) == 1.0
        assert score("the kitchen", [""]) == 0.0
        assert score("", ["kitchen"]) == 0.0
        assert score("the kitchen", ["kitchen"]) == 1.0
    assert answer_f1("in the old garden", ["the garden"]) == pytest.approx(0.5)


def test_casing_ids_of_raw_text_are_those_of_its_words():
    text = "Taylor  Swift in NYC"
    words = text.split()
    offsets = [(0, 0), (0, 6), (8, 13), (14, 16), (17, 20), (0, 0)]
    assert text_casing_ids(text, offsets) == casing_ids(words, [None, 0, 1, 2, 3, None])
