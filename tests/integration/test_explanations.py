"""Explanations on the shipped models: the notebook call of the README, bad input with a
clear message, and the faithfulness command's last line (a few examples; the full run of 200
is in the README)."""

import re
import warnings

import numpy as np
import pytest
import torch

from model.core.errors import InputError
from model.core.patching import SameAnswer


def test_the_readme_notebook_call_explains_an_answer():
    """The README's lines, and the patching lines of the doc it links, run as printed."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    code = next(
        block.split("```", 1)[0]
        for block in readme.split("```python")[1:]
        if "attribute(" in block.split("```", 1)[0]
    )
    names: dict = {}
    exec(code, names)
    encoded, found = names["encoded"], names["found"]
    line = next(line for line in code.splitlines() if "AnswerSpan(" in line and "=" in line)
    start, end = map(int, re.search(r"AnswerSpan\((\d+), (\d+)\)", line).groups())
    named = re.search(r'# "([^"]+)"', line)[1]  # the words the comment says it points at
    assert " ".join(encoded.tokens[start : end + 1]) == named
    reader = names["reader"]
    assert reader("Where is the cat?", "The cat sleeps in the garden.").answer == named
    assert found.tokens == encoded.tokens and found.delta is not None
    assert found.relative_delta <= 0.01 and found.steps >= 32  # converged, and says how
    assert found.scores.shape == (len(encoded.tokens),) and found.scores[0] == 0.0
    assert np.abs(found.scores).max() > 0
    # activation patching, as docs/lens-and-patching.md prints it (the README links there)
    lens_doc = (root / "docs" / "lens-and-patching.md").read_text()
    patching = lens_doc.split("```python")[1].split("```", 1)[0]
    assert "docs/lens-and-patching.md" in readme
    exec(patching.strip().rsplit("\n", 1)[0], names)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SameAnswer)  # the example's two answers differ
        heads = eval(patching.strip().splitlines()[-1].split("#")[0], names)  # the patch line
    assert heads.dims == ("layer", "head") and tuple(heads.values.shape) == (6, 12)
    assert heads.labels[1][0] == "head 0" and torch.isfinite(heads.values).all()
    reader, context = names["reader"], names["context"]
    answers = [
        reader(q, context).answer for q in ("Where does Mary live?", "Where does John live?")
    ]
    assert answers == ["Paris", "Rome"]  # as the comments say, at the tokens the metric reads
    tokens = reader.tokenizer.convert_ids_to_tokens(names["clean"]["input_ids"][0])
    assert (tokens[10], tokens[15]) == ("paris", "rome")
    assert float(heads.values.max()) > 0.5  # a head that carries most of the answer
    docs = (root / "docs" / "explanations.md").read_text()
    assert "attribute(reader.model, encoded, AnswerSpan(" in docs


def test_patching_two_inputs_with_the_same_answer_warns_with_the_numbers():
    from model.core.patching import SameAnswer, patch
    from model.tasks.qa import QAReader

    reader = QAReader.load()
    tok, q = reader.tokenizer, "Where is the cat?"
    clean = dict(tok(q, "The cat sleeps in the garden.", return_tensors="pt"))
    corrupt = dict(tok(q, "The dog sleeps in the garden.", return_tensors="pt"))  # same answer

    def metric(out):
        return out.start_logits[0, 10] + out.end_logits[0, 12] - out.start_logits[0, 0]

    with pytest.warns(SameAnswer, match=r"moves from [\d.]+ \(clean\) to [\d.]+ \(corrupted\)"):
        patch(reader.model, clean, corrupt, metric, what="heads")


def test_nothing_to_explain_is_said_clearly():
    import dataclasses

    from model.tasks.ner import Entity, NerTagger
    from model.tasks.qa import QAReader
    from model.tasks.translation import OurTranslator

    reader = QAReader.load()
    answered = reader("Where is the cat?", "The cat sleeps in the garden.")
    with pytest.raises(InputError, match="no answer to explain"):
        reader.explain(dataclasses.replace(answered, best=None))  # as a context without one
    translator = OurTranslator.load()
    result = translator.translate("The cat sleeps.")
    with pytest.raises(InputError, match="beyond the translation"):
        translator.explain(result, len(result.output_tokens))
    tagger = NerTagger.load()
    tagged = tagger("word " * 700 + "Taylor Swift sings")  # 700 words: two windows
    assert tagged.windows > 1
    last = len(tagged.words) - 3  # "Taylor", in the second window only
    entity = Entity("Taylor Swift", "person", 0, 0, 1.0, (last, last + 1))
    with pytest.raises(InputError, match="beyond the first window"):
        tagger.explain(tagged, entity)


@pytest.mark.parametrize("which", ["ner", "translation"])
def test_the_faithfulness_command_prints_its_line(which, capsys):
    from model.evaluate import main

    main(["faithfulness", which, "--limit", "2", "--steps", "8", "--quiet"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    number = r"(-?\d+\.\d{3}|-)"
    methods = r"(attention|rollout|flow|gradxinput|ig|occlusion)"
    assert re.fullmatch(
        rf"faithfulness {which}: attention {number} rollout {number} flow {number} "
        rf"gradxinput {number} ig {number} occlusion {number} random {number} "
        rf"modelfree {number}; beat modelfree: (none|{methods}(, {methods})*)",
        last,
    ), last


def test_the_patching_check_prints_its_line(capsys):
    from model.evaluate import main

    main(["patching", "--limit", "3"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"patching: 3 models checked, full patch error 0\.00e\+00, "
        r"head patch recompute max abs error \d\.\d\de[-+]\d\d",
        last,
    ), last


def test_removing_an_entity_removes_its_capitals_too():
    """The NER tagger reads each word's casing: a removed piece loses it with the piece, so
    an entity with every piece removed is no longer found (p of its tags collapses)."""
    from model.core.attribution import attribute
    from model.tasks.ner import NerTagger

    tagger = NerTagger.load()
    tagged = tagger("Taylor Swift sings in New York with Barack Obama today.")
    subject = tagger.explain(tagged, tagged.entities[0])
    assert subject.follow == {"token_type_ids": 0}
    pieces = list(subject.target.queries)
    p = subject.probabilities(torch.cat([subject.ids, subject.removed(pieces)]))
    assert p[0] > 0.5 and p[1] < 1e-3
    found = attribute(subject, method="ig")  # integrated over word, casing and position
    assert found.relative_delta <= 0.01
    assert set(np.argsort(-found.scores)[: len(pieces)]) == set(pieces)
