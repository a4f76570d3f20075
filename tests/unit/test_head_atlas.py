"""The head atlas's arithmetic: each behaviour against a direct loop, the word roll-up and
Clark et al.'s relation accuracy on a hand-parsed sentence, a constructed BERT whose
previous-token and [SEP] heads are known, the file round trip and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from model.analysis.head_atlas import (
    Atlas,
    Reading,
    Side,
    align,
    build,
    encoder_reader,
    offset_heads,
    word_attention,
)
from model.core.errors import InputError
from model.datasets.corpora import sentences
from model.datasets.parses import ROOT, by_hand


def _rows(rng: np.random.Generator, layers: int, heads: int, q: int, k: int) -> np.ndarray:
    return rng.dirichlet(np.ones(k), size=(layers, heads, q))


def _synthetic(n_tokens: int, seed: int) -> tuple[np.ndarray, Side]:
    rng = np.random.default_rng(seed)
    tokens = ("[CLS]", *(f"w{i}" for i in range(n_tokens - 3)), ",", "[SEP]")
    special = tuple(t in ("[CLS]", "[SEP]") for t in tokens)
    return _rows(rng, 2, 3, n_tokens, n_tokens), Side(tokens, special)


def test_behaviours_equal_a_direct_loop():
    texts = ["a", "b", "c"]
    data = {
        t: _synthetic(n, seed) for seed, (t, n) in enumerate(zip(texts, (5, 7, 9), strict=True))
    }
    atlas = build("synthetic", "test", lambda t: Reading({"encoder": (*data[t][:1], data[t][1],
                                                                       data[t][1])}),
                  texts, None, "no parser")  # fmt: skip
    stack = atlas.stacks["encoder"]
    for layer in range(2):
        for head in range(3):
            sums = dict.fromkeys(("prev", "same", "next", "first", "cls", "sep", "special",
                                  "punct", "dist", "ent"), 0.0)  # fmt: skip
            rows = prev_rows = 0
            for text in texts:
                probs, side = data[text]
                matrix = probs[layer, head]
                n = matrix.shape[0]
                for i in range(n):
                    rows += 1
                    if i > 0:
                        prev_rows += 1
                        sums["prev"] += matrix[i, i - 1]
                    if i < n - 1:
                        sums["next"] += matrix[i, i + 1]
                    sums["same"] += matrix[i, i]
                    sums["first"] += matrix[i, 0]
                    for j, token in enumerate(side.tokens):
                        sums["cls"] += matrix[i, j] * (token == "[CLS]")
                        sums["sep"] += matrix[i, j] * (token == "[SEP]")
                        sums["special"] += matrix[i, j] * side.special[j]
                        sums["punct"] += matrix[i, j] * (token == ",")
                        sums["dist"] += matrix[i, j] * abs(i - j)
                        sums["ent"] -= matrix[i, j] * math.log(matrix[i, j])
            expected = {
                "previous token": sums["prev"] / prev_rows,
                "next token": sums["next"] / prev_rows,
                "same token": sums["same"] / rows,
                "first token": sums["first"] / rows,
                "to [CLS]": sums["cls"] / rows,
                "to [SEP]": sums["sep"] / rows,
                "special tokens": sums["special"] / rows,
                "punctuation": sums["punct"] / rows,
                "distance": sums["dist"] / rows,
                "entropy": sums["ent"] / rows,
            }
            for name, value in expected.items():
                assert stack.behaviours[name][layer, head] == pytest.approx(value, rel=1e-5), name
    assert stack.rows == 5 + 7 + 9
    assert atlas.summary().startswith("head atlas: 3 sentences, 6 heads, ")


def test_top_examples_are_the_strongest_non_special_links_one_per_sentence():
    texts = ["a", "b"]
    data = {t: _synthetic(6, seed) for seed, t in enumerate(texts)}
    atlas = build("synthetic", "test", lambda t: Reading({"encoder": (data[t][0], data[t][1],
                                                                       data[t][1])}),
                  texts, None, "no parser")  # fmt: skip
    examples = atlas.stacks["encoder"].examples.of(1, 2)
    best = []
    for index, text in enumerate(texts):
        matrix = data[text][0][1, 2].copy()
        matrix[[0, -1], :] = matrix[:, [0, -1]] = -1  # specials
        np.fill_diagonal(matrix, -1)
        q, k = np.unravel_index(matrix.argmax(), matrix.shape)
        best.append((matrix[q, k], index, q, k))
    best.sort(reverse=True)
    assert [(e.sentence, e.query, e.key) for e in examples] == [b[1:] for b in best]
    assert [e.weight for e in examples] == pytest.approx([b[0] for b in best])


# "The cat chased a mouse", with "chased" in two pieces:
# [CLS] the cat chas ##ed a mouse [SEP]
PARSED = by_hand(
    "The cat chased a mouse",
    [("The", 1, "det"), ("cat", 2, "nsubj"), ("chased", ROOT, "root"), ("a", 4, "det"),
     ("mouse", 2, "dobj")],
)  # fmt: skip
SPANS = (None, (0, 3), (4, 7), (8, 12), (12, 14), (15, 16), (17, 22), None)


def test_alignment_and_word_roll_up():
    words = align(SPANS, PARSED)
    assert words.tolist() == [-1, 0, 1, 2, 2, 3, 4, -1]
    rng = np.random.default_rng(0)
    probs = _rows(rng, 1, 1, 8, 8)
    rolled = word_attention(probs, words, words, 5)[0, 0]
    # attention from "chased" is the mean of its two pieces' rows; to it, the sum of columns
    assert rolled[2, 2] == pytest.approx(probs[0, 0, 3:5, 3:5].sum(axis=1).mean())
    assert rolled[0, 2] == pytest.approx(probs[0, 0, 1, 3] + probs[0, 0, 1, 4])
    assert rolled[2, 4] == pytest.approx(probs[0, 0, 3:5, 6].mean())
    # a word's row holds all but what its pieces gave to the specials
    specials = probs[0, 0][:, [0, 7]].sum(axis=1)
    kept = 1 - np.array([specials[1], specials[2], specials[3:5].mean(), specials[5], specials[6]])
    assert rolled.sum(axis=1) == pytest.approx(kept)


def _designed() -> np.ndarray:
    """One head in which each token gives 0.6 to one other token and 0.4 / 7 to each of the
    rest: the -> cat, cat -> mouse, chas -> cat, ##ed -> mouse, a -> mouse, mouse -> ##ed.
    "chased" (the mean of chas and ##ed) leans to "mouse" by 0.01."""
    target = {0: 7, 1: 2, 2: 6, 3: 2, 4: 6, 5: 6, 6: 4, 7: 0}
    probs = np.full((8, 8), 0.4 / 7)
    for row, column in target.items():
        probs[row, column] = 0.6
    probs[3, 6] += 0.01
    probs[3, 2] -= 0.01
    return probs[None, None]


def test_relation_accuracy_on_a_hand_parsed_sentence_follows_the_definition():
    tokens = ("[CLS]", "the", "cat", "chas", "##ed", "a", "mouse", "[SEP]")
    side = Side(tokens, tuple(t in ("[CLS]", "[SEP]") for t in tokens), SPANS)
    probs = _designed()
    text = "The cat chased a mouse"
    atlas = build("designed", "test", lambda t: Reading({"encoder": (probs, side, side)}),
                  [text], [PARSED], "by hand")  # fmt: skip
    stack = atlas.stacks["encoder"]
    # dependent -> head, the word each dependent attends to most (itself left out):
    # the -> cat (its head: right), cat -> mouse (its head is chased: wrong), a -> mouse
    # (right), mouse -> chased (right); chased is the root, whose head no word is.
    assert stack.relations["det"][0, 0, 0] == 1.0
    assert stack.relations["nsubj"][0, 0, 0] == 0.0
    assert stack.relations["dobj"][0, 0, 0] == 1.0
    assert stack.relations["all"][0, 0, 0] == pytest.approx(3 / 5)
    # head -> dependent: right where the word that attends most to a dependent is its head,
    # read off the rolled-up matrix column by column
    words = align(SPANS, PARSED)
    rolled = word_attention(probs, words, words, 5)[0, 0]
    np.fill_diagonal(rolled, 0)
    expected = {}
    for word, (head, relation) in enumerate(zip(PARSED.heads, PARSED.relations, strict=True)):
        hit = int(np.argmax(rolled[:, word]) == head)
        expected.setdefault(relation, []).append(hit)
    for relation, hits in expected.items():
        assert stack.relations[relation][1, 0, 0] == pytest.approx(np.mean(hits)), relation
    assert stack.relation_counts == {"all": 5, "det": 2, "nsubj": 1, "root": 1, "dobj": 1}
    # baselines: det is +1 for both, nsubj +1, dobj -2
    assert stack.baseline("det") == (1.0, 1)
    assert stack.baseline("dobj") == (1.0, -2)
    assert offset_heads(5, -3).tolist() == [ROOT, ROOT, ROOT, 0, 1]
    assert atlas.sentences == (text,)


def test_the_file_round_trip_keeps_every_number(tmp_path):
    texts = ["a", "b"]
    data = {t: _synthetic(6, seed) for seed, t in enumerate(texts)}
    side = data["a"][1]
    atlas = build("synthetic", "test", lambda t: Reading({"encoder": (data[t][0], side, side)}),
                  texts, None, "no parser")  # fmt: skip
    atlas.save(tmp_path / "a.npz")
    loaded = Atlas.load(tmp_path / "a.npz")
    assert loaded.sentences == atlas.sentences and loaded.parser == "no parser"
    for name, values in atlas.stacks["encoder"].behaviours.items():
        np.testing.assert_array_equal(loaded.stacks["encoder"].behaviours[name], values)
    assert loaded.stacks["encoder"].examples.of(0, 0) == atlas.stacks["encoder"].examples.of(0, 0)


def test_bad_input_gets_a_clear_message(tmp_path):
    with pytest.raises(InputError, match="no sentences"):
        build("m", "c", lambda t: Reading({}), ["", "   "], None, "none")
    binary = tmp_path / "corpus.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="not UTF-8 text"):
        sentences(str(binary), 10)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(InputError, match="has no sentences"):
        sentences(str(empty), 10)
    with pytest.raises(InputError, match="No corpus"):
        sentences("no-such-corpus", 10)
    with pytest.raises(InputError, match="No model 'bert-huge'"):
        from model.atlas import model_reader

        model_reader("bert-huge")

    def unreadable(text: str) -> Reading:
        raise InputError("too odd")

    with pytest.raises(InputError, match="None of the 2 sentences could be read"):
        build("m", "c", unreadable, ["a", "b"], None, "none")


def _constructed_bert():
    """A one-layer BERT whose head 0 attends to the previous token and head 1 to [SEP],
    by construction: positions are one-hot in the embedding, [SEP] sets one more dimension;
    head 0's query at position i is the one-hot of i - 1 and its key the one-hot of j; head
    1's query is a constant that only [SEP]'s key dimension answers."""
    from model.hf.families import Size
    from tests.tiny import tiny_hf

    model = tiny_hf("bert", vocab_size=30522, size=Size(d_model=96, layers=1, heads=2,
                                                        positions=40))  # fmt: skip
    d = 96
    sep = 102  # [SEP] in MiniLM's vocabulary
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        embeddings = model.embeddings
        embeddings.position_embeddings.weight[:, :40] = torch.eye(40)
        embeddings.word_embeddings.weight[sep, 90] = 1.0
        embeddings.LayerNorm.weight.fill_(1.0)
        attention = model.encoder.layer[0].attention.self
        for i in range(39):
            attention.query.weight[i, i + 1] = 1.0  # head 0: query i looks for key i - 1
        for i in range(40):
            attention.key.weight[i, i] = 1.0
        attention.query.bias[48] = 10.0  # head 1: a constant query...
        attention.key.weight[48, 90] = 1.0  # ...that only [SEP]'s key answers
        attention.value.weight.copy_(torch.eye(d))
    return model


def test_a_constructed_model_s_known_heads_top_their_behaviours(minilm_tokenizer):
    from model.hf.encoding import encode

    model = _constructed_bert()
    read = encoder_reader(model, lambda text: encode(minilm_tokenizer, text, limit=40))
    texts = ["the cat sat on the mat", "a bird sings in the old tree", "we read books"]
    atlas = build("constructed", "test", read, texts, None, "no parser")
    stack = atlas.stacks["encoder"]
    assert stack.ranked("previous token")[0][:2] == (0, 0)
    assert stack.ranked("to [SEP]")[0][:2] == (0, 1)
    assert stack.behaviours["previous token"][0, 0] > 0.9
    assert stack.behaviours["to [SEP]"][0, 1] > 0.9


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    from model.hf.loading import minilm_path

    return AutoTokenizer.from_pretrained(minilm_path())


def test_links_average_word_attention_over_the_sentences_holding_both_words():
    from model.analysis.head_atlas import links

    rng = np.random.default_rng(3)
    texts = {"it was here": 5, "nothing to see": 5, "it said it was": 6}
    data = {}
    for text, n in texts.items():
        # [CLS] one piece per word [SEP]; "was" in "it said it was" is word 3
        tokens = ("[CLS]", *text.split(), "[SEP]")
        spans, at = [None], 0
        for word in text.split():
            start = text.index(word, at)
            spans.append((start, start + len(word)))
            at = start + len(word)
        side = Side(tokens, tuple(t in ("[CLS]", "[SEP]") for t in tokens), (*spans, None))
        data[text] = (_rows(rng, 2, 2, n, n), side)
    readings = [(t, Reading({"encoder": (p, s, s)})) for t, (p, s) in data.items()]
    means, used = links(readings, "encoder", "It", "WAS")
    assert used == 2  # the sentence without both words is not counted
    first = data["it was here"][0][..., 1, 2]
    second = (data["it said it was"][0][..., 1, 4] + data["it said it was"][0][..., 3, 4]) / 2
    np.testing.assert_allclose(means, (first + second) / 2)
    assert links(readings, "encoder", "it", "absent") == (None, 0)


def test_sinks_by_length_cut_texts_to_each_length():
    from model.analysis.head_atlas import sinks_by_length

    def count(text: str) -> int:
        return len(text.split()) + 2  # [CLS] words [SEP]

    def read(text: str) -> Reading:
        n = count(text)
        probs = np.zeros((1, 2, n, n))
        probs[0, 0, :, 0] = 1.0  # head 0: all on [CLS]
        probs[0, 1, :, -1] = 0.5  # head 1: half on [SEP], half on itself
        probs[0, 1, np.arange(n), np.arange(n)] += 0.5
        tokens = ("[CLS]", *text.split(), "[SEP]")
        side = Side(tokens, tuple(t in ("[CLS]", "[SEP]") for t in tokens))
        return Reading({"encoder": (probs, side, side)})

    text = " ".join(f"w{i}" for i in range(100))
    lengths, sinks = sinks_by_length(read, text, count, limit=64)
    assert lengths == (8, 16, 32, 64)
    values = sinks["encoder"]  # (lengths, first | special, layers, heads)
    np.testing.assert_allclose(values[:, 0, 0, 0], 1.0)  # head 0's share on the first token
    # head 1: half of every row on [SEP], and the specials' own rows give themselves half
    np.testing.assert_allclose(values[:, 1, 0, 1], [0.5 + 1 / n for n in lengths])
    short, _ = sinks_by_length(read, "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10", count, limit=512)
    assert short == (8, 12)  # the text runs out after 12 tokens


def test_the_disk_cache_of_computed_atlases_keeps_within_its_bound(tmp_path):
    import os

    from app.views.atlas_views import keep_within_bound

    for age, name in enumerate(("old", "middle", "new")):
        path = tmp_path / f"{name}.npz"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1_000_000 + age, 1_000_000 + age))  # last read: old first
    keep_within_bound(tmp_path, 2500)
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["middle", "new"]
    keep_within_bound(tmp_path, 10_000)
    assert len(list(tmp_path.glob("*.npz"))) == 2
