"""The NER and QA runners: structure and bad input on tiny random heads, scores on the shipped
adapters (base MiniLM weights from the package + the committed LoRA adapters)."""

import json

import pytest
import torch
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForQuestionAnswering,
    BertForTokenClassification,
)

from model.core.capture import instrument
from model.core.errors import InputError
from model.hf.loading import minilm_path
from model.tasks.ner import LABELS, NerTagger, add_casing, uses_casing, word_case
from model.tasks.qa import QAReader

pytestmark = pytest.mark.integration


def tiny(cls, **extra):
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=32, max_position_embeddings=512, **extra,
    )  # fmt: skip
    config._attn_implementation = "eager"
    return instrument(cls(config).eval())


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(minilm_path())


@pytest.fixture(scope="module")
def tiny_tagger(tokenizer):
    model = tiny(BertForTokenClassification, num_labels=len(LABELS),
                 id2label=dict(enumerate(LABELS)))  # fmt: skip
    return NerTagger(model, tokenizer, name="tiny")


@pytest.fixture(scope="module")
def tiny_reader(tokenizer):
    return QAReader(tiny(BertForQuestionAnswering), tokenizer, name="tiny")


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
    model = tiny(BertForTokenClassification, num_labels=len(LABELS),
                 id2label=dict(enumerate(LABELS)))  # fmt: skip
    add_casing(model)
    with torch.no_grad():
        model.bert.embeddings.token_type_embeddings.weight.normal_()
    return NerTagger(model, tokenizer, name="tiny, cased")


def test_widening_for_casing_changes_nothing_before_training(tokenizer):
    model = tiny(BertForTokenClassification, num_labels=3)
    enc = tokenizer("Apple opens a store in NYC", return_tensors="pt")
    before = model(**enc).logits
    add_casing(model)
    types = torch.tensor([[0, 1, 0, 0, 0, 0, 2, 3, 0]])[:, : enc["input_ids"].shape[1]]
    after = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                  token_type_ids=types).logits  # fmt: skip
    assert uses_casing(model) and model.config.type_vocab_size == 4
    torch.testing.assert_close(after, before, rtol=0, atol=1e-6)


def test_every_path_gives_each_piece_its_words_casing(cased_tagger):
    """The runner, the scorer (predict_ner) and the explorer's encoding feed the same casing
    ids, recomputed here from each piece's word."""
    from model.finetune import predict_ner

    text = "Apple sells the iPhone in NYC , lol"
    words = text.split()
    seen = []
    embedding = cased_tagger.model.bert.embeddings.token_type_embeddings
    hook = embedding.register_forward_hook(lambda m, args, out: seen.append(args[0][0].tolist()))
    try:
        result = cased_tagger(text)
        predict_ner(cased_tagger.model, cased_tagger.tokenizer, [(tuple(words), ("O",) * 7)])
    finally:
        hook.remove()
    expected = [0 if w is None else word_case(words[w]) for w in result.token_words]
    assert expected[1:-1] == [1, 0, 0, 3, 0, 2, 0, 0, 0]  # apple sells the iphone in nyc , lo ##l
    assert seen == [expected, expected]
    explorer = cased_tagger.encode(text)
    assert explorer.tokens == result.tokens
    assert explorer.inputs["token_type_ids"][0].tolist() == expected


def test_a_casing_adapter_trains_saves_and_loads(tmp_path):
    from model.finetune import main as finetune_main
    from model.finetune import ner_f1

    from model.tasks.ner import load_wnut, split_sentences

    finetune_main(["ner", "--tiny", "--quiet", "--out", str(tmp_path)])
    loaded = NerTagger.load(tmp_path)
    assert uses_casing(loaded.model)
    rows = loaded.model.bert.embeddings.token_type_embeddings.weight
    assert rows.shape[0] == 4 and not torch.equal(rows[0], rows[1])  # trained apart
    valid = split_sentences(load_wnut())["valid"][:32]  # the run's validation slice
    recorded = json.loads((tmp_path / "training.json").read_text())["best_valid"]
    assert ner_f1(loaded.model, loaded.tokenizer, valid) == pytest.approx(recorded, abs=1e-3)

    more = tmp_path / "more"  # --resume continues the adapter; its config lists each module once
    finetune_main(["ner", "--tiny", "--quiet", "--epochs", "1", "--resume", str(tmp_path),
                   "--out", str(more)])  # fmt: skip
    saved = json.loads((more / "adapter_config.json").read_text())["modules_to_save"]
    assert sorted(saved) == sorted(set(saved)) and "token_type_embeddings" in saved
    assert uses_casing(NerTagger.load(more).model)


def test_distillation_loss_reduces_to_the_models_own(tokenizer):
    from model.finetune import distillation_loss, pad_collate, with_targets

    model = tiny(BertForTokenClassification, num_labels=len(LABELS))
    features = [
        {**tokenizer(["Apple", "rocks"], is_split_into_words=True), "labels": [-100, 3, 0, -100]},
        {**tokenizer(["see", "NYC"], is_split_into_words=True), "labels": [-100, 0, 5, -100]},
    ]
    for feature in features:  # the gold labels as one-hot teacher targets
        feature["targets"] = [[float(i == y) for i in range(len(LABELS))]
                              for y in feature["labels"] if y != -100]  # fmt: skip
    inputs = with_targets(pad_collate(tokenizer))(features)
    assert inputs["targets"].shape == (4, len(LABELS))
    own = model(**{k: v for k, v in inputs.items() if k != "targets"}).loss
    for weight in (0.0, 0.5, 1.0):
        torch.testing.assert_close(distillation_loss(weight)(model, inputs), own)
    inputs["targets"] = torch.full((4, len(LABELS)), 1 / len(LABELS))  # a teacher with no idea
    uniform = distillation_loss(1.0)(model, inputs)
    assert not torch.allclose(uniform, own)
    torch.testing.assert_close(distillation_loss(0.0)(model, inputs), own)


def test_a_student_learns_from_teachers(tmp_path):
    from model.finetune import main as finetune_main
    from model.finetune import ner_features, pad_collate, teacher_targets

    from model.tasks.ner import CHECKPOINT_DIR, load_wnut, split_sentences

    teacher = NerTagger.load()
    sentences = split_sentences(load_wnut())["train"][:8]
    label_ids = {label: i for i, label in enumerate(LABELS)}
    features = ner_features(teacher.tokenizer, sentences, label_ids, casing=True)
    targets = teacher_targets([teacher.model], features, pad_collate(teacher.tokenizer))
    assert [len(t) for t in targets] == [len(words) for words, _ in sentences]
    assert all(sum(row) == pytest.approx(1, abs=1e-5) for t in targets for row in t)
    words = list(sentences[3][0])  # recomputed alone, without padding
    enc = teacher.tokenizer(words, is_split_into_words=True, return_tensors="pt")
    types = torch.tensor([[0 if w is None else word_case(words[w]) for w in enc.word_ids()]])
    probs = teacher.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                          token_type_ids=types).logits[0].softmax(-1)  # fmt: skip
    firsts = [enc.word_ids().index(w) for w in range(len(words))]
    torch.testing.assert_close(torch.tensor(targets[3]), probs[firsts], rtol=0, atol=1e-5)

    finetune_main(["ner", "--tiny", "--quiet", "--epochs", "1", "--out", str(tmp_path),
                   "--teacher", str(CHECKPOINT_DIR), "--teacher", str(CHECKPOINT_DIR)])  # fmt: skip
    record = json.loads((tmp_path / "training.json").read_text())
    assert record["arguments"]["teacher"] == [str(CHECKPOINT_DIR)] * 2
    assert uses_casing(NerTagger.load(tmp_path).model)
    with pytest.raises(SystemExit, match="casing"):
        finetune_main(["ner", "--tiny", "--quiet", "--no-casing", "--out", str(tmp_path / "x"),
                       "--teacher", str(CHECKPOINT_DIR)])  # fmt: skip


def test_a_moving_average_is_what_is_kept(tmp_path):
    """--ema: with a decay near 0 the average is the last weights (the run without it);
    with decay 1 it never leaves the start (LoRA's B starts at zero)."""
    from model.finetune import main as finetune_main
    from safetensors.torch import load_file

    def adapter(*options):
        out = tmp_path / "-".join(options or ("plain",))
        finetune_main(["ner", "--tiny", "--quiet", "--epochs", "1", "--out", str(out), *options])
        return load_file(out / "adapter_model.safetensors")

    plain, near_zero, one = adapter(), adapter("--ema", "1e-9"), adapter("--ema", "1.0")
    assert plain.keys() == near_zero.keys() == one.keys()
    for name, tensor in plain.items():
        torch.testing.assert_close(near_zero[name], tensor, rtol=1e-5, atol=1e-6)
    lora_b = [name for name in one if "lora_B" in name]
    assert lora_b and all(not one[name].any() for name in lora_b)
    assert all(plain[name].any() for name in lora_b)


def test_whole_layer_training_saves_float16_differences_that_load(tmp_path):
    from model.deltas import DELTAS
    from model.finetune import main as finetune_main
    from model.finetune import ner_f1

    from model.tasks.ner import load_wnut, split_sentences

    (tmp_path / "adapter_config.json").write_text("{}")  # left by an earlier LoRA run
    finetune_main(["ner", "--tiny", "--quiet", "--layers", "1", "--out", str(tmp_path)])
    assert (tmp_path / DELTAS).exists() and not (tmp_path / "adapter_config.json").exists()
    assert (tmp_path / DELTAS).stat().st_size < 4e6  # one layer (1.8M values) in float16
    loaded = NerTagger.load(tmp_path)
    assert uses_casing(loaded.model)
    valid = split_sentences(load_wnut())["valid"][:32]
    recorded = json.loads((tmp_path / "training.json").read_text())["best_valid"]
    assert ner_f1(loaded.model, loaded.tokenizer, valid) == pytest.approx(recorded, abs=1.0)


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
    from model.finetune import ner_f1

    from model.tasks.ner import load_wnut, split_sentences

    test = split_sentences(load_wnut())["test"][:80]
    assert ner_f1(shipped_tagger.model, shipped_tagger.tokenizer, test) > 30


def test_app_and_evaluation_tag_alike(shipped_tagger):
    """The runner (what the app shows) and predict_ner (what evaluate scores) decode the same
    valid BIO tags for held-out sentences."""
    from model.finetune import predict_ner

    from model.tasks.ner import load_wnut, split_sentences

    test = split_sentences(load_wnut())["test"][:40]
    scored = predict_ner(shipped_tagger.model, shipped_tagger.tokenizer, test)
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
    from model.evaluate import load_handwritten
    from model.tasks.qa import exact_match

    test = [e for e in generated_splits()["test"] if e.answer][:40]
    em = sum(exact_match(shipped_reader(e.question, e.context).answer, [e.answer]) for e in test)
    assert em / len(test) > 0.9
    hand = load_handwritten()[:12]
    em = sum(exact_match(shipped_reader(q, c).answer, t) for q, c, t in hand)
    assert em / len(hand) > 0.5


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
