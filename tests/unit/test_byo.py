"""Bring your own model: every supported family captured faithfully on a tiny random model,
loaded through the path a user's checkpoint takes (save_pretrained into a folder, a models
file naming it), and every model the server must refuse, refused with a message."""

import json

import numpy as np
import pytest
import torch

from model.core.capture import ablate, capture
from model.hf import byo
from model.hf.families import BY_TYPE, FAMILIES, UnsupportedModel, family_of, write_tiny
from model.hf.family_check import check_family

NAMES = [f.name for f in FAMILIES]


@pytest.mark.parametrize("family", FAMILIES, ids=NAMES)
def test_capture_equals_output_attentions_and_a_recomputation(family):
    found = check_family(family)
    assert found.parity <= 1e-5 and found.recompute <= 1e-5 and found.generation <= 1e-5
    assert found.records >= 2 * len(family.stacks)


@pytest.mark.parametrize("family", FAMILIES, ids=NAMES)
def test_a_saved_model_loads_through_a_models_file_and_runs_a_text(family, tmp_path):
    folder = write_tiny(family, tmp_path / "model")
    listing = tmp_path / "models.toml"
    listing.write_text('[[model]]\nname = "mine"\nsource = "model"\nnote = "tiny"\n')
    (entry,) = byo.read_models_file(listing)
    assert entry.source == str(folder.resolve())  # relative to the file
    model, tokenizer, found = byo.load(entry)
    assert found is family
    att, dropped, wrote = byo.run_text(model, tokenizer, found, "The cat sat on the mat.")
    assert att.stacks == family.stacks and dropped == 0
    for stack in att.stacks:
        q_tokens, k_tokens = att.axis_tokens(stack)
        matrices = att.matrices(stack)  # (layers, heads, q, k), decoding steps put together
        assert matrices.shape[-2:] == (len(q_tokens), len(k_tokens))
        rows = matrices.sum(-1)  # every row a distribution over the keys seen so far
        np.testing.assert_allclose(rows.numpy(), 1.0, atol=1e-5)
    if family.kind == "encoder":
        assert wrote == "" and att.tokens["source"][0] == "[CLS]"
    else:
        assert att.n_steps("decoder") == byo.GENERATE_STEPS and isinstance(wrote, str)


def test_grouped_query_heads_name_the_key_value_head_they_share():
    model = BY_TYPE["llama"].tiny()  # 4 query heads, 2 key/value heads
    with torch.inference_mode(), capture(model, qkv=True) as recorder:
        model(input_ids=torch.tensor([[5, 6, 7]]))
    record = recorder.result.record("decoder", 0)
    assert record.kv_heads == 2 and [record.kv_head(h) for h in range(4)] == [0, 0, 1, 1]
    assert record.k.shape[1] == 4  # expanded per query head, as the eager function does
    torch.testing.assert_close(record.k[:, 0], record.k[:, 1])
    assert not torch.equal(record.k[:, 1], record.k[:, 2])


def test_t5_records_its_relative_position_bias():
    model = BY_TYPE["t5"].tiny()
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.inference_mode(), capture(model, qkv=True) as recorder:
        model(input_ids=ids, decoder_input_ids=ids[:, :2])
    bias = recorder.result.record("encoder", 0).bias
    assert bias is not None and bias.shape[-2:] == (4, 4) and bias.abs().sum() > 0


def test_albert_shares_one_module_and_is_told_apart_by_call_order():
    model = BY_TYPE["albert"].tiny()
    with torch.inference_mode(), capture(model) as recorder:
        out = model(input_ids=torch.tensor([[5, 6, 7]]), output_attentions=True)
    att = recorder.result
    assert att.n_layers() == 2 and att.n_steps() == 1
    for layer in range(2):
        torch.testing.assert_close(att.layer("encoder", layer), out.attentions[layer][0])
    with pytest.raises(ValueError, match="every layer"), ablate(model, {("encoder", 0): [1]}):
        pass


def test_pickle_weights_are_refused_with_the_reason(tmp_path):
    folder = write_tiny(BY_TYPE["bert"], tmp_path / "m")
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(byo.ModelRefused, match=r"only safetensors.*pytorch_model\.bin"):
        byo.load(byo.ModelEntry("pickled", str(folder)))


def test_a_model_too_large_for_the_machine_is_refused_before_loading(tmp_path, monkeypatch):
    folder = write_tiny(BY_TYPE["gpt2"], tmp_path / "m")
    checked = byo.check(byo.ModelEntry("small", str(folder)))
    monkeypatch.setenv(byo.MAX_PARAMS_ENV, str(checked.parameters - 1))
    with pytest.raises(byo.ModelRefused, match=r"M parameters .* loads models up to"):
        byo.check(byo.ModelEntry("big", str(folder)))
    model = BY_TYPE["gpt2"].tiny(vocab_size=checked.config.vocab_size)
    assert checked.parameters == sum(p.numel() for p in model.parameters())


def test_an_unsupported_kind_names_the_supported_families(tmp_path):
    from transformers import ViTConfig

    ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=4).save_pretrained(
        tmp_path / "vit"
    )
    with pytest.raises(byo.ModelRefused, match=r"'vit' models are not supported.*GPT-2"):
        byo.check(byo.ModelEntry("vision", str(tmp_path / "vit")))
    with pytest.raises(UnsupportedModel, match="T5"):
        family_of(type("Config", (), {"model_type": "whisper"})())


def test_models_files_that_are_wrong_say_where(tmp_path):
    bad = tmp_path / "models.toml"
    bad.write_text('[[model]]\nname = "x"\n')
    with pytest.raises(ValueError, match="number 1 needs a name and a source"):
        byo.read_models_file(bad)
    bad.write_text('[[model]]\nname = "x"\nsource = "a"\n[[model]]\nname = "x"\nsource = "b"\n')
    with pytest.raises(ValueError, match="same name"):
        byo.read_models_file(bad)
    bad.write_text("[[model]\n")
    with pytest.raises(ValueError, match="cannot be read"):
        byo.read_models_file(bad)


def test_remote_code_is_never_trusted(tmp_path):
    folder = write_tiny(BY_TYPE["bert"], tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "evil.EvilModel"}  # code the folder would bring
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "evil.py").write_text("raise SystemExit('remote code ran')\n")
    model, _, _ = byo.load(byo.ModelEntry("plain", str(folder)))
    assert type(model).__module__.startswith("transformers.")


def test_the_readme_notebook_example_runs(tmp_path):
    """The five lines the README shows for a model of your own, run on a saved tiny GPT-2."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Your own model") :]
    code = section[section.index("```python") + len("```python") : section.index("```\n", 20)]
    folder = write_tiny(BY_TYPE["gpt2"], tmp_path / "gpt2")
    names: dict = {}
    exec(code.replace('"my-gpt2"', repr(str(folder))), names)
    assert names["rec"].result.n_layers("decoder") == 2
    figure = eval(code.strip().splitlines()[-1], names)
    assert figure.data[0].z.shape == (len(names["tokens"]),) * 2
