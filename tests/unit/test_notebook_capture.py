"""A notebook's `with capture(model):` leaves the model as it found it: its attention
implementation ("sdpa" by default in transformers 5) and its outputs. A server's models,
instrumented at load, stay instrumented."""

from __future__ import annotations

import threading

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from model.core.capture import ablate, capture
from model.core.instrument import instrument


def _gpt2() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=100, bos_token_id=0,
                        eos_token_id=0)  # fmt: skip
    return GPT2LMHeadModel(config).eval()


def _llama() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         hidden_size=32, intermediate_size=64, vocab_size=100)  # fmt: skip
    return LlamaForCausalLM(config).eval()


@pytest.mark.parametrize("build", [_gpt2, _llama], ids=["gpt2", "llama"])
def test_a_capture_block_leaves_the_models_attention_and_outputs_as_they_were(build):
    model = build()
    ids = torch.randint(0, 100, (1, 7))
    implementation = model.config._attn_implementation
    assert implementation == "sdpa"  # what transformers 5 loads by default
    with torch.no_grad():
        before = model(ids).logits
        with capture(model) as rec:
            inside = model(ids).logits
        assert model.config._attn_implementation == implementation
        after = model(ids).logits
    assert len(rec.result.records) == 2  # every layer was heard inside the block
    torch.testing.assert_close(inside, before, atol=1e-5, rtol=1e-5)  # eager inside, same maths
    assert torch.equal(after, before)  # the very same implementation afterwards


def test_nested_blocks_restore_only_when_the_last_one_closes():
    model = _gpt2()
    ids = torch.randint(0, 100, (1, 5))
    with torch.no_grad(), capture(model) as outer:
        with capture(model) as inner:
            model(ids)
        assert model.config._attn_implementation != "sdpa"  # the outer block still listens
        model(ids)
    assert model.config._attn_implementation == "sdpa"
    assert len(inner.result.records) == 2
    assert len(outer.result.records) == 4  # both calls


def test_ablation_in_a_notebook_is_put_back_too():
    model = _gpt2()
    ids = torch.randint(0, 100, (1, 5))
    with torch.no_grad():
        before = model(ids).logits
        with ablate(model, {("decoder", 0): [0, 1]}):
            ablated = model(ids).logits
        after = model(ids).logits
    assert not torch.allclose(ablated, before)
    assert torch.equal(after, before)
    assert model.config._attn_implementation == "sdpa"


def test_a_served_model_stays_instrumented_while_sessions_capture_from_threads():
    model = instrument(_gpt2())
    ids = torch.randint(0, 100, (1, 6))
    counts: list[int] = []

    def visit() -> None:
        for _ in range(5):
            with torch.no_grad(), capture(model) as rec:
                model(ids)
            counts.append(len(rec.result.records))

    threads = [threading.Thread(target=visit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == [2] * 15
    assert model.config._attn_implementation == "attention_atlas"
