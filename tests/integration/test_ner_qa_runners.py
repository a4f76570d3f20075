"""The NER and QA runners: structure and bad input on tiny random heads, scores on the shipped
adapters (base MiniLM weights from the package + the committed LoRA adapters)."""

import json

import pytest
import torch
from transformers import AutoTokenizer

from model.core.errors import InputError
from model.hf.families import Size
from model.hf.loading import minilm_path
from model.tasks.ner import LABELS, NerTagger, add_casing, uses_casing, word_case
from model.tasks.qa import QAReader
from tests.tiny import tiny_hf


def tiny(head: str, **fields):
    """A random BERT of MiniLM's vocabulary and length, with a task head."""
    return tiny_hf("bert", vocab_size=30522, size=Size(positions=512), head=head, **fields)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(minilm_path())


@pytest.fixture(scope="module")
def tiny_tagger(tokenizer):
    model = tiny("BertForTokenClassification", num_labels=len(LABELS),
                 id2label=dict(enumerate(LABELS)))  # fmt: skip
    return NerTagger(model, tokenizer, name="tiny")


@pytest.fixture(scope="module")
def tiny_reader(tokenizer):
    return QAReader(tiny("BertForQuestionAnswering"), tokenizer, name="tiny")


@pytest.mark.parametrize(
    "text",
    ["nothing to see here", "@bob loved http://t.co/x #fun 🤖🎉", "שלום עולם hello",
     "<script>alert(1)</script> at the Empire State Building"],
)  # fmt: skip
def test_tagger_aligns_pieces_words_and_offsets(tiny_tagger, text):
    result = tiny_tagger(text)
    assert len(result.word_tags) == len(result.words) == len(text.split())
    assert len(result.tokens) == len(result.token_words)
    assert result.tokens[0] == "[CLS]" and result.token_words[0] is None
    assert result.attention.layer("encoder", 0).shape[-1] == len(result.tokens)
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text
        assert all(result.token_words[i] in entity.words for i in result.entity_tokens(entity))


def test_tagger_windows_over_long_text(tiny_tagger):
    result = tiny_tagger("Paris " * 1200)
    assert result.windows > 1 and len(result.word_tags) == 1200 and result.notices
    assert len(result.tokens) == 512


@pytest.fixture(scope="module")
def cased_tagger(tokenizer):
    """A tiny tagger widened for casing, each casing row made distinct as training would."""
    model = tiny("BertForTokenClassification", num_labels=len(LABELS),
                 id2label=dict(enumerate(LABELS)))  # fmt: skip
    add_casing(model)
    with torch.no_grad():
        model.bert.embeddings.token_type_embeddings.weight.normal_()
    return NerTagger(model, tokenizer, name="tiny, cased")


def test_widening_for_casing_changes_nothing_before_training(tokenizer):
    model = tiny("BertForTokenClassification", num_labels=3)
    enc = tokenizer("Apple opens a store in NYC", return_tensors="pt")
    before = model(**enc).logits
    add_casing(model)
    types = torch.tensor([[0, 1, 0, 0, 0, 0, 2, 3, 0]])[:, : enc["input_ids"].shape[1]]
    after = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                  token_type_ids=types).logits  # fmt: skip
    assert uses_casing(model) and model.config.type_vocab_size == 4
    torch.testing.assert_close(after, before, rtol=0, atol=1e-6)


def test_every_path_gives_each_piece_its_words_casing(cased_tagger):
    """The runner, the scorer (tag_words) and the explorer's encoding feed the same casing
    ids, recomputed here from each piece's word; training's features carry them too."""
    from model.training.ner import ner_features

    text = "Apple sells the iPhone in NYC , lol"
    words = text.split()
    seen = []
    embedding = cased_tagger.model.bert.embeddings.token_type_embeddings
    hook = embedding.register_forward_hook(lambda m, args, out: seen.append(args[0][0].tolist()))
    try:
        result = cased_tagger(text)
        cased_tagger.tag_words(words)
    finally:
        hook.remove()
    expected = [0 if w is None else word_case(words[w]) for w in result.token_words]
    assert expected[1:-1] == [1, 0, 0, 3, 0, 2, 0, 0, 0]  # apple sells the iphone in nyc , lo ##l
    assert seen == [expected, expected]
    labels = {label: i for i, label in enumerate(LABELS)}
    (feature,) = ner_features(cased_tagger.tokenizer, [(words, ("O",) * 8)], labels, casing=True)
    assert feature["token_type_ids"] == expected
    explorer = cased_tagger.encode(text)
    assert explorer.tokens == result.tokens
    assert explorer.inputs["token_type_ids"][0].tolist() == expected


def test_a_casing_adapter_trains_saves_and_loads(tmp_path):
    from model.datasets.wnut import load_wnut, split_sentences
    from model.tasks.ner import f1
    from model.train import main as train_main

    train_main(["ner", "--tiny", "--quiet", "--out", str(tmp_path)])
    loaded = NerTagger.load(tmp_path)
    assert uses_casing(loaded.model)
    rows = loaded.model.bert.embeddings.token_type_embeddings.weight
    assert rows.shape[0] == 4 and not torch.equal(rows[0], rows[1])  # trained apart
    valid = split_sentences(load_wnut())["valid"][:32]  # the run's validation slice
    recorded = json.loads((tmp_path / "training.json").read_text())["best_valid"]
    assert f1(loaded, valid) == pytest.approx(recorded, abs=1e-3)  # validated as it is scored

    more = tmp_path / "more"  # --resume continues the adapter; its config lists each module once
    train_main(["ner", "--tiny", "--quiet", "--epochs", "1", "--resume", str(tmp_path),
                "--out", str(more)])  # fmt: skip
    saved = json.loads((more / "adapter_config.json").read_text())["modules_to_save"]
    assert sorted(saved) == sorted(set(saved)) and "token_type_embeddings" in saved
    assert uses_casing(NerTagger.load(more).model)


def test_a_qa_adapter_trains_and_validates_as_it_is_scored(tmp_path):
    from model.datasets.qa_generator import generated_splits
    from model.train import main as train_main
    from model.training.qa import generated_em

    train_main(["qa", "--tiny", "--quiet", "--out", str(tmp_path)])
    loaded = QAReader.load(tmp_path)
    valid = generated_splits()["valid"][:32]
    recorded = json.loads((tmp_path / "training.json").read_text())["best_valid"]
    assert generated_em(loaded, valid) == pytest.approx(recorded, abs=1e-3)


@pytest.mark.parametrize("text", ["", "  \n "])
def test_tagger_refuses_empty_text(tiny_tagger, text):
    with pytest.raises(InputError, match="empty"):
        tiny_tagger(text)


def test_reader_returns_spans_alternatives_and_attention(tiny_reader):
    context = "Mary went to the kitchen. John moved to the garden."
    result = tiny_reader("Where is Mary?", context, threshold=0.0)
    assert result.best is not None
    assert context[result.best.start : result.best.end] == result.best.text
    scores = [result.best.score, *(a.score for a in result.alternatives)]
    assert scores == sorted(scores, reverse=True)
    assert len(result.start_logits) == len(result.tokens) == len(result.segments)
    assert [result.tokens[i] for i in result.question_positions] == ["where", "is", "mary", "?"]
    assert result.attention.layer("encoder", 0).shape[-1] == len(result.tokens)


def test_reader_says_no_answer_below_the_threshold(tiny_reader):
    result = tiny_reader("Where is Mary?", "Mary went to the kitchen.", threshold=1.01)
    assert result.best is None and result.answer == "" and result.alternatives


def test_reader_windows_over_long_contexts(tiny_reader):
    result = tiny_reader("Where is Mary?", "John went to the garden. " * 200 + "Mary is here.")
    assert result.windows > 1 and result.notices


@pytest.mark.parametrize(("question", "context"), [("", "Some text."), ("Why?", "   ")])
def test_reader_refuses_empty_boxes(tiny_reader, question, context):
    with pytest.raises(InputError, match="empty"):
        tiny_reader(question, context)


def test_hub_checkpoints_offline_say_so():
    with pytest.raises(ConnectionError, match="network"):
        NerTagger.from_hub()
    with pytest.raises(ConnectionError, match="network"):
        QAReader.from_hub()


# -- the shipped adapters ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped_tagger():
    return NerTagger.load()


@pytest.fixture(scope="module")
def shipped_reader():
    return QAReader.load()


def test_shipped_ner_adapter_scores_on_held_out_sentences(shipped_tagger):
    from model.datasets.wnut import load_wnut, split_sentences
    from model.tasks.ner import f1

    test = split_sentences(load_wnut())["test"][:80]
    assert f1(shipped_tagger, test) > 30


def test_app_and_evaluation_tag_alike(shipped_tagger):
    """The runner (what the app shows) and tag_words (what evaluate scores) decode the same
    valid BIO tags for held-out sentences."""
    from model.datasets.wnut import load_wnut, split_sentences

    test = split_sentences(load_wnut())["test"][:40]
    scored = [shipped_tagger.tag_words(words) for words, _ in test]
    shown = [list(shipped_tagger(" ".join(words)).word_tags) for words, _ in test]
    assert shown == scored
    for tags in shown:
        assert not any(
            t.startswith("I-") and (i == 0 or tags[i - 1][2:] != t[2:]) for i, t in enumerate(tags)
        )
    assert sum(t != "O" for tags in shown for t in tags) > 10


def test_shipped_ner_finds_an_obvious_entity(shipped_tagger):
    result = shipped_tagger("Just landed in London , can't wait to see Justin Bieber tonight !")
    assert {e.label for e in result.entities} & {"geo-loc", "person", "musicartist"}


def test_shipped_qa_adapter_scores_on_generated_and_handwritten(shipped_reader):
    from model.datasets.qa_generator import generated_splits
    from model.datasets.qa_handwritten import handwritten_questions
    from model.tasks.qa import exact_match

    test = [e for e in generated_splits()["test"] if e.answer][:40]
    em = sum(exact_match(shipped_reader(e.question, e.context).answer, [e.answer]) for e in test)
    assert em / len(test) > 0.9
    hand = handwritten_questions()[:12]
    em = sum(exact_match(shipped_reader.answer(q, c), t) for q, c, t in hand)
    assert em / len(hand) > 0.5


def test_app_and_evaluation_answer_alike(shipped_reader):
    """What the page shows (the reader's result) and what training validates and evaluate
    scores (`answer`) come from one decoder."""
    from model.datasets.qa_generator import generated_splits

    for example in generated_splits()["valid"][:25]:
        shown = shipped_reader(example.question, example.context).answer
        assert shipped_reader.answer(example.question, example.context) == shown


def test_shipped_qa_says_when_the_context_has_no_answer(shipped_reader):
    result = shipped_reader("Where is Daniel?", "Mary went to the kitchen. John took the apple.")
    assert result.best is None


def test_shipped_qa_finds_an_answer_in_a_later_window(shipped_reader):
    from model.tasks.qa import exact_match

    context = "John went to the garden. " * 120 + "Mary went to the kitchen."
    result = shipped_reader("Where is Mary?", context)
    assert result.windows > 1
    assert exact_match(result.answer, ["kitchen"])


def test_evaluate_ner_prints_its_fixed_last_line(capsys):
    import re

    from model.evaluate import main as evaluate_main

    evaluate_main(["ner", "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    score = re.fullmatch(r"ner test F1: (\d+\.\d)", out[-1])
    assert score, out[-1]
    assert float(score[1]) > 45  # the shipped adapter scores 51.5; guessing "O" scores 0
    assert any("geo-loc" in line for line in out)  # the per-type report comes first


def test_evaluate_qa_prints_its_fixed_last_line_and_lists_misses(capsys):
    import re

    from model.evaluate import main as evaluate_main

    evaluate_main(["qa", "--limit", "30", "--verbose", "--quiet"])
    out = capsys.readouterr().out.strip().splitlines()
    score = re.fullmatch(r"qa test EM: (\d+\.\d) F1: (\d+\.\d) handwritten EM: (\d+\.\d)", out[-1])
    assert score, out[-1]
    assert float(score[1]) > 90 and float(score[3]) > 70
    generated_misses = [line for line in out if line.startswith("MISS [")]  # "MISS [babi] ..."
    hand = [
        line for line in out if line.startswith(("ok ", "MISS ")) and line not in generated_misses
    ]
    assert len(hand) == 34  # every hand-written question, marked
    assert len(generated_misses) == round(30 * (1 - float(score[1]) / 100))


def test_evaluate_qa_runs_in_a_copy_of_the_repo_without_tests(tmp_path):
    """As in the Docker image: model/, data/ and checkpoints/, and no tests/."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    shutil.copytree(
        ROOT / "model", tmp_path / "model", ignore=shutil.ignore_patterns("__pycache__")
    )
    for folder in ("data", "checkpoints"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "model.evaluate", "qa", "--limit", "3", "--quiet"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("qa test EM: ")
    assert not (tmp_path / "tests").exists()


def test_a_missing_or_corrupt_adapter_is_named_with_what_to_do(tmp_path):
    import shutil

    from model.core.errors import CheckpointError
    from model.tasks.ner import CHECKPOINT_DIR as NER_DIR
    from model.tasks.qa import CHECKPOINT_DIR as QA_DIR

    qa = tmp_path / "qa"
    shutil.copytree(QA_DIR, qa)
    (qa / "adapter_model.safetensors").write_bytes(b"not an adapter")
    with pytest.raises(CheckpointError, match=r"adapter in .*qa cannot be loaded.*model.train"):
        QAReader.load(qa)
    (qa / "adapter_model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"adapter_model\.safetensors is missing"):
        QAReader.load(qa)
    ner = tmp_path / "ner"
    shutil.copytree(NER_DIR, ner)
    (ner / "adapter_config.json").write_text("{ truncated")
    with pytest.raises(CheckpointError, match=r"adapter_config\.json cannot be read"):
        NerTagger.load(ner)
