"""Whole trained layers stored as float16 differences from the base (model/deltas.py)."""

import pytest
import torch
from safetensors import safe_open
from transformers import BertConfig, BertForTokenClassification

from model.deltas import DELTAS, apply_deltas, read_meta, save_deltas, train_top_layers
from model.ner import add_casing

WHOLE = ["classifier", "token_type_embeddings"]


@pytest.fixture
def base_dir(tmp_path):
    """A tiny 'package' checkpoint: what the base weights are loaded from."""
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=32, num_labels=5)  # fmt: skip
    BertForTokenClassification(config).save_pretrained(tmp_path / "base")
    return tmp_path / "base"


def load(base_dir):
    model = BertForTokenClassification.from_pretrained(base_dir)
    return add_casing(model)


def test_only_the_top_layers_and_the_whole_modules_train(base_dir):
    model = load(base_dir)
    start = train_top_layers(model, 2, WHOLE)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == set(start)
    assert all(n.startswith(("bert.encoder.layer.1.", "bert.encoder.layer.2.", "classifier."))
               or "token_type_embeddings" in n for n in trainable)  # fmt: skip
    assert any(n.startswith("bert.encoder.layer.1.") for n in trainable)
    assert not any(n.startswith("bert.encoder.layer.0.") for n in trainable)
    with pytest.raises(ValueError, match="between 1 and 3"):
        train_top_layers(load(base_dir), 4, WHOLE)


def test_saved_differences_rebuild_the_trained_model(base_dir, tmp_path):
    trained = load(base_dir)
    start = train_top_layers(trained, 1, WHOLE)
    torch.manual_seed(1)
    with torch.no_grad():  # stands in for training
        for parameter in trained.parameters():
            if parameter.requires_grad:
                parameter.add_(0.01 * torch.randn_like(parameter))
    save_deltas(trained, start, tmp_path / "out", WHOLE, casing=True, layers=1)
    assert read_meta(tmp_path / "out") == {"casing": True, "layers": 1}
    with safe_open(str(tmp_path / "out" / DELTAS), framework="pt") as saved:
        kinds = {key.split(".", 1)[0]: saved.get_tensor(key).dtype for key in saved.keys()}  # noqa: SIM118
        assert len(list(saved.keys())) == len(start)  # nothing frozen is stored
    assert kinds == {"delta": torch.float16, "whole": torch.float32}

    rebuilt = apply_deltas(load(base_dir), tmp_path / "out")
    for (name, a), (_, b) in zip(
        trained.named_parameters(), rebuilt.named_parameters(), strict=True
    ):
        if name in start and not any(w in name for w in WHOLE):
            torch.testing.assert_close(b, a, atol=2e-5, rtol=0)  # float16 rounding of 0.01s
        else:
            assert torch.equal(a, b), name  # frozen weights untouched, whole modules exact
    ids = torch.tensor([[1, 5, 9, 2]])
    torch.testing.assert_close(rebuilt(input_ids=ids).logits, trained(input_ids=ids).logits,
                               atol=1e-4, rtol=0)  # fmt: skip


def test_differences_for_another_shape_are_refused(base_dir, tmp_path):
    trained = load(base_dir)
    save_deltas(trained, train_top_layers(trained, 1, WHOLE), tmp_path / "out", WHOLE)
    other = BertForTokenClassification.from_pretrained(base_dir)  # not widened for casing
    with pytest.raises(ValueError, match="token_type_embeddings"):
        apply_deltas(other, tmp_path / "out")
