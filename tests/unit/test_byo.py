"""Bring your own model: every supported family captured faithfully on a tiny random model,
loaded through the path a user's checkpoint takes (save_pretrained into a folder, a models
file naming it), and every model the server must refuse, refused with a message."""

import json

import numpy as np
import pytest
import torch

from model.core.capture import ablate, capture
from model.core.hf_attention import FAMILY_NAMES
from model.core.instrument import instrument
from model.hf import budgets, byo
from model.hf.encoding import encode, model_inputs
from model.hf.families import (
    BY_TYPE,
    FAMILIES,
    UnsupportedModel,
    Variant,
    family_of,
    write_tiny,
)
from model.hf.family_check import (
    GENERATION_TOLERANCE,
    TOLERANCE,
    WINDOW,
    check_family,
    recompute_error,
    report,
)

NAMES = [f.name for f in FAMILIES]


@pytest.mark.parametrize("family", FAMILIES, ids=NAMES)
def test_capture_equals_output_attentions_and_a_recomputation(family):
    found = check_family(family)
    assert found.parity <= 1e-5 and found.recompute <= 1e-5 and found.generation <= 1e-5
    assert found.records >= 2 * len(family.stacks)


@pytest.mark.parametrize("family", FAMILIES, ids=NAMES)
def test_every_family_holds_in_half_precision_with_windows_and_padded_vocabularies(family):
    """What `python -m model.evaluate families` prints: float32, float16, bfloat16, a sliding
    window shorter than the text where the family has one, ids with no token named."""
    found = report(family)
    assert len(found.checks) == 3 * (2 if family.window else 1)
    for check in found.checks:
        assert max(check.parity, check.recompute) <= TOLERANCE[check.variant.dtype], check
        assert check.generation <= GENERATION_TOLERANCE[check.variant.dtype], check
        assert check.ok
    assert found.padded is (None if family.kind == "encoder" else True)


def test_the_capture_names_exactly_the_families_it_is_tested_on():
    assert tuple(NAMES) == FAMILY_NAMES


def test_a_sliding_window_is_drawn_at_the_keys_the_model_used():
    """A Mistral with a window of 4 keys writing past it: each step's keys are the cache's
    last 4, and the capture puts them on their own columns of the full key axis, as one
    teacher-forced pass with output_attentions has them (the issue's row 12: columns 9-12)."""
    model = BY_TYPE["mistral"].tiny(variant=Variant(window=WINDOW))
    prompt = torch.tensor([[5, 17, 33, 8, 41, 60, 2, 9, 10, 11]])
    with torch.inference_mode():
        with capture(model, qkv=True, masks=True, scores=True) as recorder:
            written = model.generate(
                input_ids=prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False,
                pad_token_id=0,
            )  # fmt: skip
        reference = model(input_ids=written[:, :-1], output_attentions=True)
    att = recorder.result
    full = att.matrices("decoder")  # (layers, heads, 17, 17)
    assert full.shape[-2:] == (17, 17) == reference.attentions[0].shape[-2:]
    for layer in range(2):
        torch.testing.assert_close(full[layer], reference.attentions[layer][0])
    step = att.record("decoder", 0, step=3)  # query 12 (10 prompt tokens, then steps 1, 2, 3)
    assert step.key_offset == 9 and step.window == WINDOW and step.k.shape[-2] == WINDOW
    assert torch.all(full[:, :, 12, 9:13].sum(-1) > 0.999) and not full[:, :, 12, :9].any()
    assert not step.mask[..., :9].any() and step.mask[..., 9:].all()
    assert (step.scores[..., :9] == torch.finfo(torch.float32).min).all()
    assert recompute_error(att) < 1e-6
    assert att.windows("decoder") == {0: WINDOW, 1: WINDOW}


def test_qwen2_with_a_window_on_some_layers_puts_every_layer_on_one_key_axis():
    model = BY_TYPE["qwen2"].tiny(variant=Variant(window=WINDOW))  # layer 0 windowed, 1 not
    with torch.inference_mode(), capture(model) as recorder:
        model.generate(
            input_ids=torch.tensor([[5, 6, 7, 8, 9, 10]]), max_new_tokens=4, min_new_tokens=4,
            do_sample=False, pad_token_id=0,
        )  # fmt: skip
    att = recorder.result
    assert att.windows("decoder") == {0: WINDOW}
    assert att.matrices("decoder").shape[-2:] == (9, 9)  # stacked without a size mismatch


def test_a_bfloat16_model_is_recorded_and_exported_in_float32():
    model = BY_TYPE["llama"].tiny(variant=Variant(dtype=torch.bfloat16))
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.inference_mode():
        with capture(model, qkv=True, masks=True, scores=True) as rec:
            model(input_ids=ids)
        reference = model(input_ids=ids, output_attentions=True)
    att = rec.result.with_tokens({"target": list("abcd")})
    record = att.record("decoder", 0)
    assert {record.probs.dtype, record.q.dtype, record.scores.dtype} == {torch.float32}
    assert torch.equal(record.probs[0], reference.attentions[0][0].float())  # bf16 is exact
    assert att.to_numpy("decoder").dtype == np.float32
    assert json.loads(att.to_json())["attention"]["decoder"][0][0][0][0] == 1.0
    assert att.to_npz()[:2] == b"PK"


@pytest.mark.parametrize(
    ("config", "cls", "attention"),
    [
        ("DebertaV2Config", "DebertaV2Model", "DisentangledSelfAttention"),
        ("GPTNeoConfig", "GPTNeoForCausalLM", "GPTNeoAttention"),
        ("BloomConfig", "BloomForCausalLM", "BloomAttention"),
    ],
)
def test_a_model_whose_attention_bypasses_the_interface_fails_at_once(config, cls, attention):
    """Their module paths look like BERT's or GPT-2's, and they once gave an empty capture."""
    import transformers

    sizes = {"vocab_size": 50, "hidden_size": 16, "num_attention_heads": 2}
    if config == "GPTNeoConfig":
        sizes |= {"num_heads": 2, "num_layers": 1, "attention_types": [[["global"], 1]]}
    model = getattr(transformers, cls)(getattr(transformers, config)(**sizes))
    expected = rf"{cls} cannot be captured: its attention \({attention}\).*supported: .*Llama"
    with pytest.raises(ValueError, match=expected), capture(model):
        pass


def test_ids_with_no_token_are_named_by_their_number():
    from transformers import AutoTokenizer

    from model.hf.encoding import decode_named, token_names
    from model.hf.loading import minilm_path

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    beyond = len(tokenizer) + 3
    assert token_names(tokenizer, [101, 2000, beyond]) == ["[CLS]", "to", f"<id {beyond}>"]
    assert decode_named(tokenizer, [2000, beyond, 2000]) == f"to <id {beyond}> to"


def test_the_server_says_for_each_listed_model_whether_it_is_ready(tmp_path):
    from transformers import DebertaV2Config

    write_tiny(BY_TYPE["mistral"], tmp_path / "mistral", variant=Variant(
        dtype=torch.bfloat16, window=WINDOW))  # fmt: skip
    DebertaV2Config(vocab_size=50, hidden_size=16, num_attention_heads=2).save_pretrained(
        tmp_path / "deberta"
    )
    lines = [
        byo.readiness(byo.ModelEntry(name, source))
        for name, source in [
            ("mis", str(tmp_path / "mistral")), ("deb", str(tmp_path / "deberta")),
            ("gone", str(tmp_path / "nothing")), ("hub", "someone/a-model"),
        ]
    ]  # fmt: skip
    assert lines[0].startswith("mis: ready (Mistral, ") and "bfloat16, sliding window 4" in lines[0]
    assert lines[1].startswith("deb: refused: not a supported kind: 'deberta-v2'")
    assert lines[2].startswith("gone: refused: no such folder")
    assert lines[3].startswith("hub: refused: needs the network (hub id)")


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
    else:  # one teacher-forced pass over what was read and written, minus the last token
        assert att.n_steps("decoder") == 1 and isinstance(wrote, str)
        assert len(att.tokens["target"]) >= byo.GENERATE_STEPS


@pytest.mark.parametrize(
    "model_type, window",
    [("gpt2", 0), ("llama", 0), ("mistral", WINDOW), ("t5", 0), ("bart", 0)],
)
def test_a_generation_recorded_as_full_matrices_equals_every_step_captured(model_type, window):
    """What the explorer shows for a decoder (its generation, each step's rows written into
    full matrices as it runs) is what capturing each step gives, put together, and what one
    teacher-forced pass gives: sliding windows and grouped-query heads included."""
    from transformers import AutoTokenizer

    from model.hf.loading import minilm_path

    family = BY_TYPE[model_type]
    model = instrument(family.tiny(vocab_size=30522, variant=Variant(window=window)))
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    text = "The cat sat on the mat because it was warm."
    att, _, _ = byo.run_text(model, tokenizer, family, text)
    encoded = encode(tokenizer, text, limit=512)
    inputs = model_inputs(model, encoded.inputs)
    with torch.inference_mode(), capture(model) as recorder:
        model.generate(**inputs, max_new_tokens=byo.GENERATE_STEPS,
                       min_new_tokens=byo.GENERATE_STEPS, do_sample=False, num_beams=1,
                       pad_token_id=0)  # fmt: skip
    steps = recorder.result
    assert steps.n_steps("decoder") == byo.GENERATE_STEPS and att.n_steps("decoder") == 1
    for stack in att.stacks:
        torch.testing.assert_close(att.matrices(stack), steps.matrices(stack), atol=1e-5,
                                   rtol=0)  # fmt: skip
    written = model.generate(**inputs, max_new_tokens=byo.GENERATE_STEPS,
                             min_new_tokens=byo.GENERATE_STEPS, do_sample=False, num_beams=1,
                             pad_token_id=0)  # fmt: skip
    teacher = {"input_ids": written[:, :-1]}
    if family.kind == "seq2seq":
        teacher = {**inputs, "decoder_input_ids": written[:, :-1]}
    with torch.inference_mode():
        full = model(**teacher, output_attentions=True)
    reference = full.attentions if family.kind == "decoder" else full.decoder_attentions
    torch.testing.assert_close(att.matrices("decoder"), torch.stack(reference)[:, 0], atol=1e-5,
                               rtol=0)  # fmt: skip


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
    with pytest.raises(byo.ModelRefused, match=r"not a supported kind: 'vit'.*GPT-2"):
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


def test_serving_a_models_file_checks_every_entry_and_serves_the_good_ones(
    tmp_path, capsys, monkeypatch
):
    from app.serve import models_option

    write_tiny(BY_TYPE["gpt2"], tmp_path / "gpt2")
    listing = tmp_path / "models.toml"
    listing.write_text(
        '[[model]]\nname = "good"\nsource = "gpt2"\n'
        '[[model]]\nname = "gone"\nsource = "./missing"\n'
    )
    monkeypatch.delenv(byo.MODELS_ENV, raising=False)
    rest = models_option(["--models", str(listing), "--server.port", "1"])
    assert rest == ["--server.port", "1"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Attention Atlas: 2 listed models from {listing.resolve()}"
    assert lines[1].startswith("Attention Atlas: listed good: ready (GPT-2, ")
    assert lines[2].startswith("Attention Atlas: listed gone: refused: no such folder")
    assert [e.name for e in byo.listed_models()] == ["good", "gone"]  # both stay listed
    monkeypatch.delenv(byo.MODELS_ENV)


def test_a_falcon_with_alibi_has_its_bias_recorded_from_the_mask():
    """Falcon-RW passes ALiBi inside the additive mask; the recomputation needs it as bias."""
    import dataclasses

    falcon = BY_TYPE["falcon"]
    alibi = dataclasses.replace(falcon, config=lambda v, s, **e: falcon.config(v, s, alibi=True))
    found = check_family(alibi)
    assert found.error < 1e-6
    model = alibi.tiny()
    with torch.inference_mode(), capture(model, qkv=True, masks=True, scores=True) as recorder:
        model(input_ids=torch.tensor([[5, 6, 7, 8]]))
    record = recorder.result.record("decoder", 0)
    assert record.bias is not None and record.bias.abs().sum() > 0
    # the recorded scores hold the bias once: their softmax is the model's probabilities
    torch.testing.assert_close(torch.softmax(record.scores, -1), record.probs)
    assert record.mask[0, 0].tolist() == torch.ones(4, 4).tril().bool().tolist()


def test_a_listed_model_may_ask_for_a_gpu_and_runs_where_there_is_one(tmp_path):
    """device = "auto" takes a GPU where PyTorch sees one, else the CPU; "cuda" without one
    is refused with the reason; anything else is a mistake in the file. (Where a GPU is lent,
    bench/real_size.py --device cuda runs the same entries there.)"""
    folder = write_tiny(BY_TYPE["gpt2"], tmp_path / "gpt2")
    listing = tmp_path / "models.toml"
    listing.write_text(
        f'[[model]]\nname = "a"\nsource = "{folder}"\ndevice = "auto"\n'
        f'[[model]]\nname = "b"\nsource = "{folder}"\n'
    )
    auto, plain = byo.read_models_file(listing)
    assert (auto.device, plain.device) == ("auto", "cpu")
    assert byo.resolve_device("auto", cuda=False) == "cpu"
    assert byo.resolve_device("auto", cuda=True) == "cuda"
    assert byo.resolve_device("cpu", cuda=True) == "cpu"
    with pytest.raises(byo.ModelRefused, match="no GPU"):
        byo.resolve_device("cuda", cuda=False)
    if not torch.cuda.is_available():
        cuda = byo.ModelEntry("c", str(folder), device="cuda")
        assert "refused" in byo.readiness(cuda) and "no GPU" in byo.readiness(cuda)
        model, _, _ = byo.load(auto)  # the CPU, where there is no GPU
        assert model.device.type == "cpu"
    listing.write_text(f'[[model]]\nname = "a"\nsource = "{folder}"\ndevice = "tpu"\n')
    with pytest.raises(ValueError, match="device 'tpu'"):
        byo.read_models_file(listing)


def test_inputs_follow_the_model_to_its_device_and_captures_come_back_to_the_cpu():
    """On a device other than the CPU (the meta device stands in for a GPU here), the inputs
    go where the model is; what a capture keeps is on the CPU whatever the model's device."""
    from model.analysis.lens import hf_readout
    from model.core.capture import _kept

    model = BY_TYPE["gpt2"].tiny().to("meta")
    inputs = model_inputs(model, {"input_ids": torch.tensor([[5, 6, 7]])})
    assert inputs["input_ids"].device.type == "meta"
    assert hf_readout(model)(torch.zeros(2, 32)).device.type == "meta"  # the head's device
    kept = _kept(torch.ones(2, 2, dtype=torch.bfloat16))
    assert kept.device.type == "cpu" and kept.dtype == torch.float32


def test_a_capture_is_cut_to_the_tokens_that_fit_its_budget(monkeypatch):
    """Llama-3.2-1B's 16 x 32 heads at 640 MB: 572 tokens (with the 8 it writes); GPT-2
    small's 12 x 12 reach 1,024. The bytes are what run_text keeps, in float32."""
    from transformers import GPT2Config, LlamaConfig

    llama = LlamaConfig(num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
                        hidden_size=2048, head_dim=64)  # fmt: skip
    family = BY_TYPE["llama"]
    monkeypatch.delenv(budgets.CAPTURE_MAX_ENV, raising=False)
    most = budgets.capture_max_bytes()
    assert most == 640 << 20
    tokens = budgets.capture_tokens(llama, family, 131072)
    assert (
        budgets.capture_bytes(llama, family, tokens)
        <= most
        < budgets.capture_bytes(llama, family, tokens + 1)
    )
    assert tokens + byo.GENERATE_STEPS == 572  # read and written: sqrt(640 MiB / (512 x 4))
    assert budgets.capture_bytes(llama, family, 504) == 16 * 32 * 512 * 512 * 4
    assert budgets.capture_tokens(GPT2Config(), BY_TYPE["gpt2"], 1024) == 1024
    monkeypatch.setenv(budgets.CAPTURE_MAX_ENV, "64")
    assert budgets.capture_tokens(llama, family, 131072) < 200


def test_a_listed_models_text_is_cut_to_its_capture_budget_and_says_so(monkeypatch, tmp_path):
    folder = write_tiny(BY_TYPE["gpt2"], tmp_path / "gpt2")
    model, tokenizer, family = byo.load(byo.ModelEntry("g", str(folder)))
    monkeypatch.setenv(budgets.CAPTURE_MAX_ENV, "0.01")  # 10 kB: 2 layers x 4 heads x 13 tokens
    limit = budgets.capture_tokens(model.config, family, 128)
    att, dropped, _ = byo.run_text(model, tokenizer, family, "word " * 60, limit=limit)
    assert len(att.tokens["target"]) + 1 == limit and dropped > 0
    assert 4 * 2 * 4 * limit**2 <= 10485


def test_batches_shrink_with_the_model_and_the_text():
    from transformers import GPT2Config, LlamaConfig

    gpt2 = GPT2Config()
    llama = LlamaConfig(num_hidden_layers=16, num_attention_heads=32, hidden_size=2048,
                        intermediate_size=8192, dtype="bfloat16")  # fmt: skip
    assert budgets.batch_for(gpt2, 16, gradients=False) == 32
    assert budgets.batch_for(gpt2, 128, gradients=True) < budgets.batch_for(
        gpt2, 128, gradients=False
    )
    assert budgets.batch_for(llama, 256, gradients=True) == 1
    assert budgets.batch_for(gpt2, 512, gradients=True) <= budgets.batch_for(
        gpt2, 128, gradients=True
    )


def test_a_decoders_explanation_computes_its_last_logits_only_and_the_same_numbers(tmp_path):
    """The next token's logit through `logits_to_keep=1` equals the full forward's."""
    from model.analysis.explanations import explain

    folder = write_tiny(BY_TYPE["llama"], tmp_path / "llama")
    model, tokenizer, family = byo.load(byo.ModelEntry("l", str(folder)))
    subject = byo.explain(model, tokenizer, family, "the cat sat on the mat")
    batch = torch.cat([subject.ids, subject.baseline])
    with torch.no_grad():
        kept = subject.forward(batch)
        full = model(input_ids=batch).logits[:, subject.target.position, subject.target.token]
        assert subject.run(batch).shape[1] == subject.target.position + 1
    torch.testing.assert_close(kept, full, atol=1e-5, rtol=1e-5)
    found = explain(subject, layer=0, head=0, steps=8)
    assert np.isfinite(found.rows["integrated gradients"]).all()
