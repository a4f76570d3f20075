"""The head atlas on the real models: its numbers against Hugging Face's own attention, the
translator's three stacks, spaCy's parses, the command and the atlases that ship."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from model.analysis import head_atlas as ha
from model.atlas import MODELS, atlas_path, main, model_reader
from model.datasets.corpora import sentences
from model.datasets.parses import parse, parser_name

TEXTS = [
    "The old man saw the dog with his telescope.",
    "She quickly wrote a long letter to her brother.",
    "Unbelievable results were announced yesterday, weren't they?",
]


def test_minilm_s_atlas_equals_a_direct_computation_from_hugging_face_s_attention(
    minilm_reference, minilm
):
    read, _, _ = model_reader("minilm")
    atlas = ha.build("minilm", "test", read, TEXTS, parse(TEXTS), parser_name())
    tokenizer = minilm[1]
    sums = {"previous token": 0.0, "to [SEP]": 0.0, "entropy": 0.0}
    rows = prev_rows = 0
    for text in TEXTS:
        inputs = tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            out = minilm_reference(**inputs, output_attentions=True)
        probs = torch.stack(out.attentions)[:, 0].double().numpy()  # (layers, heads, n, n)
        n = probs.shape[-1]
        sep = inputs["input_ids"][0].numpy() == tokenizer.sep_token_id
        sums["previous token"] = sums["previous token"] + sum(
            probs[..., i, i - 1] for i in range(1, n)
        )
        sums["to [SEP]"] = sums["to [SEP]"] + probs[..., sep].sum(axis=(-1, -2))
        sums["entropy"] = sums["entropy"] - (probs * np.log(probs)).sum(axis=(-1, -2))
        rows, prev_rows = rows + n, prev_rows + n - 1
    stack = atlas.stacks["encoder"]
    np.testing.assert_allclose(
        stack.behaviours["previous token"], sums["previous token"] / prev_rows, atol=1e-6
    )
    np.testing.assert_allclose(stack.behaviours["to [SEP]"], sums["to [SEP]"] / rows, atol=1e-6)
    np.testing.assert_allclose(stack.behaviours["entropy"], sums["entropy"] / rows, atol=1e-5)
    assert stack.relation_counts["all"] == sum(len(p) for p in parse(TEXTS))


def test_spacy_parses_a_known_sentence():
    (parsed,) = parse(["The cat sat on the mat."])
    assert parsed.words == ("The", "cat", "sat", "on", "the", "mat", ".")
    assert parsed.relations == ("det", "nsubj", "root", "prep", "det", "pobj", "punct")
    assert parsed.heads == (1, 2, -1, 2, 5, 3, 2)
    assert parser_name() == "spaCy en_core_web_sm 3.8.0"


def test_the_translator_s_three_stacks_read_as_they_were_captured():
    read, count, limit = model_reader("translator")
    reading = read(TEXTS[0])
    assert set(reading.stacks) == {"encoder", "decoder", "cross"}
    for stack, (probs, q, k) in reading.stacks.items():
        assert probs.shape[-2:] == (len(q.tokens), len(k.tokens))
        np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
        assert bool(q.spans) == (stack == "encoder")  # only the source reads English
    probs, source, _ = reading.stacks["encoder"]
    assert count(TEXTS[0]) == len(source.tokens) and limit == 95
    parsed = parse([TEXTS[0]])[0]
    words = ha.align(source.spans, parsed)
    assert (words >= 0).sum() == len(source.tokens) - 1  # every piece but [EOS] has a word


def test_the_command_prints_its_line_and_refuses_bad_input(tmp_path, capsys):
    corpus = tmp_path / "mine.txt"
    corpus.write_text("\n".join(TEXTS) + "\n\n")
    out = tmp_path / "atlas.npz"
    main(["heads", "--model", "minilm", "--corpus", str(corpus), "--limit", "5",
          "--out", str(out), "--quiet", "--no-sinks"])  # fmt: skip
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"head atlas: 3 sentences, 72 heads, \d+\.\d s", last), last
    assert ha.Atlas.load(out).sentences == tuple(TEXTS)
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00 not text")
    for argv, says in (
        (["--corpus", str(tmp_path / "binary.txt")], "not UTF-8 text"),
        (["--corpus", str(tmp_path / "none.txt")], "No corpus"),
        (["--model", "gpt-5"], "No model 'gpt-5'"),
        (["--model", "listed:mine"], "No listed model 'mine'"),
    ):
        options = {"--model": "minilm", "--corpus": str(corpus)} | dict([argv])
        with pytest.raises(SystemExit) as stopped:
            main(["heads", *[x for kv in options.items() for x in kv], "--quiet"])
        assert stopped.value.code == 2
        assert says in capsys.readouterr().err


@pytest.mark.parametrize("model", MODELS)
def test_the_shipped_atlases_were_built_by_the_command(model):
    atlas = ha.Atlas.load(atlas_path(model, "corpus"))
    assert atlas.model == model and atlas.corpus == "corpus"
    assert len(atlas.sentences) >= 1000 and atlas.sentences == tuple(sentences("corpus", 1000))
    assert atlas.parser == "spaCy en_core_web_sm 3.8.0"
    stacks = ("encoder", "decoder", "cross") if model == "translator" else ("encoder",)
    assert tuple(atlas.stacks) == stacks
    encoder = atlas.stacks["encoder"]
    assert encoder.relation_counts["all"] > 5000 and encoder.sinks is not None
    for values in encoder.behaviours.values():
        assert np.isfinite(values).all()
