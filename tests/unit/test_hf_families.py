"""Capture and ablation on every supported Hugging Face family, on tiny random configs
(the same classes as the real checkpoints, so these code paths run offline)."""

import pytest
import torch
from transformers import (
    BartConfig,
    BartForConditionalGeneration,
    BertConfig,
    BertForQuestionAnswering,
    BertForTokenClassification,
    DistilBertConfig,
    DistilBertForQuestionAnswering,
    DistilBertForTokenClassification,
    MarianConfig,
    MarianMTModel,
)

from model.core import capture as cap
from model.core.masks import to_additive

SMALL = {"vocab_size": 50}


def bert_config():
    return BertConfig(
        **SMALL, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=32, max_position_embeddings=32,
    )  # fmt: skip


def distil_config():
    return DistilBertConfig(
        **SMALL, dim=16, n_layers=2, n_heads=4, hidden_dim=32, max_position_embeddings=32,
    )  # fmt: skip


def seq2seq_config(cls):
    return cls(
        **SMALL, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_position_embeddings=32, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        decoder_start_token_id=0,
    )  # fmt: skip


ENCODERS = [
    (BertForTokenClassification, bert_config),
    (BertForQuestionAnswering, bert_config),
    (DistilBertForTokenClassification, distil_config),
    (DistilBertForQuestionAnswering, distil_config),
]
SEQ2SEQ = [(MarianMTModel, MarianConfig), (BartForConditionalGeneration, BartConfig)]


def build(cls, config):
    torch.manual_seed(0)
    config._attn_implementation = "eager"
    return cls(config).eval()


def encoder_inputs():
    ids = torch.randint(5, 50, (2, 6))
    mask = torch.tensor([[1] * 6, [1] * 4 + [0] * 2])
    return {"input_ids": ids, "attention_mask": mask}


def first_tensor(output):
    return output.logits if hasattr(output, "logits") else output.start_logits


@pytest.mark.parametrize(("cls", "make_config"), ENCODERS, ids=lambda x: getattr(x, "__name__", ""))
def test_encoder_families_capture_like_output_attentions(cls, make_config):
    reference = build(cls, make_config())
    model = cap.instrument(build(cls, make_config()))
    inputs = encoder_inputs()
    with torch.no_grad():
        expected = reference(**inputs, output_attentions=True)
        with cap.capture(model, qkv=True, masks=True) as rec:
            got = model(**inputs)
    torch.testing.assert_close(first_tensor(got), first_tensor(expected))
    att = rec.result
    assert att.stacks == ("encoder",) and att.n_layers() == 2
    for layer, ref in enumerate(expected.attentions):
        r = att.record("encoder", layer)
        torch.testing.assert_close(r.probs, ref)
        scores = r.q @ r.k.transpose(-1, -2) * r.scaling + to_additive(r.mask)
        torch.testing.assert_close(torch.softmax(scores, -1), r.probs, atol=1e-6, rtol=0)
        assert torch.all(r.probs[1, :, :, 4:] == 0)


@pytest.mark.parametrize(("cls", "make_config"), ENCODERS, ids=lambda x: getattr(x, "__name__", ""))
def test_encoder_families_ablate(cls, make_config):
    model = cap.instrument(build(cls, make_config()))
    inputs = encoder_inputs()
    with torch.no_grad():
        base = first_tensor(model(**inputs))
        with cap.ablate(model, {}):
            assert torch.equal(first_tensor(model(**inputs)), base)
        with cap.ablate(model, {("encoder", 0): range(4)}):
            assert not torch.allclose(first_tensor(model(**inputs)), base)


@pytest.mark.parametrize(("cls", "config_cls"), SEQ2SEQ, ids=lambda x: getattr(x, "__name__", ""))
def test_seq2seq_families_capture_all_three_stacks(cls, config_cls):
    reference = build(cls, seq2seq_config(config_cls))
    model = cap.instrument(build(cls, seq2seq_config(config_cls)))
    inputs = {
        "input_ids": torch.tensor([[5, 6, 7, 8, 2], [5, 6, 2, 1, 1]]),
        "attention_mask": torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]),
        "decoder_input_ids": torch.tensor([[0, 9, 10], [0, 11, 12]]),
    }
    with torch.no_grad():
        expected = reference(**inputs, output_attentions=True)
        with cap.capture(model, qkv=True, masks=True) as rec:
            got = model(**inputs)
    torch.testing.assert_close(got.logits, expected.logits)
    att = rec.result
    assert att.stacks == ("encoder", "decoder", "cross")
    for stack, refs in [
        ("encoder", expected.encoder_attentions),
        ("decoder", expected.decoder_attentions),
        ("cross", expected.cross_attentions),
    ]:
        for layer, ref in enumerate(refs):
            r = att.record(stack, layer)
            torch.testing.assert_close(r.probs, ref)
            scores = r.q @ r.k.transpose(-1, -2) * r.scaling + to_additive(r.mask)
            torch.testing.assert_close(torch.softmax(scores, -1), r.probs, atol=1e-6, rtol=0)
    upper = torch.ones(3, 3, dtype=torch.bool).triu(1)
    assert torch.all(att.record("decoder", 1).probs[..., upper] == 0)
    assert torch.all(att.record("cross", 0).probs[1, :, :, 3:] == 0)
    with torch.no_grad():
        base = model(**inputs).logits
        for stack in ("encoder", "decoder", "cross"):
            with cap.ablate(model, {(stack, 0): range(4)}):
                assert not torch.allclose(model(**inputs).logits, base), stack


def test_marian_generation_is_captured_step_by_step():
    model = cap.instrument(build(MarianMTModel, seq2seq_config(MarianConfig)))
    src = torch.tensor([[5, 6, 7, 8, 2]])
    with torch.no_grad(), cap.capture(model) as rec:
        out = model.generate(src, max_new_tokens=4, num_beams=1, do_sample=False, min_length=0)
    att = rec.result
    steps = out.shape[1] - 1
    assert att.n_steps("decoder") == steps and att.n_steps("encoder") == 1
    assert att.layer("decoder", 0, step=steps - 1).shape == (4, 1, steps)
    assert att.layer("cross", 1, step=0).shape == (4, 1, 5)
    # the steps, put together, are what one teacher-forced pass over the output gives
    with torch.no_grad(), cap.capture(model) as full:
        model(input_ids=src, decoder_input_ids=out[:, :-1])
    for stack in ("decoder", "cross"):
        expected = full.result.stacked(stack)
        torch.testing.assert_close(att.assembled(stack), expected, atol=1e-5, rtol=1e-4)


def test_a_capture_on_one_model_ignores_another():
    a = cap.instrument(build(BertForTokenClassification, bert_config()))
    b = cap.instrument(build(BertForTokenClassification, bert_config()))
    with torch.no_grad(), cap.capture(a) as rec:
        b(**encoder_inputs())
    assert rec.result.records == ()


# -- what the capture relies on in transformers: a change here must fail loudly --------------
def test_transformers_still_offers_what_the_capture_relies_on():
    """model.core.hf_attention registers an attention function through the public interface
    and delegates to each modeling file's eager_attention_forward. If an upgrade renames or
    reshapes any of these, this test names what changed."""
    import inspect
    import sys

    from transformers import AttentionInterface, PreTrainedModel
    from transformers.masking_utils import AttentionMaskInterface
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    from model.core.hf_attention import IMPLEMENTATION, eager_function

    assert callable(AttentionInterface.register) and callable(AttentionMaskInterface.register)
    assert hasattr(PreTrainedModel, "set_attn_implementation")
    model = cap.instrument(build(BertForTokenClassification, bert_config()))
    assert IMPLEMENTATION in ALL_ATTENTION_FUNCTIONS
    assert model.config._attn_implementation == IMPLEMENTATION
    for cls, make in [*ENCODERS, *((m, lambda c=c: seq2seq_config(c)) for m, c in SEQ2SEQ)]:
        attention = next(
            m
            for _, m in build(cls, make()).named_modules()
            if type(m).__name__.endswith(("SelfAttention", "MultiHeadSelfAttention", "Attention"))
            and hasattr(sys.modules[type(m).__module__], "eager_attention_forward")
        )
        params = list(inspect.signature(eager_function(attention)).parameters)
        assert params[:5] == ["module", "query", "key", "value", "attention_mask"], cls.__name__
        assert {"scaling", "dropout"} <= set(params), cls.__name__


def test_a_model_whose_attention_bypasses_the_interface_is_refused_by_name():
    from model.core.hf_attention import eager_function

    with pytest.raises(ValueError, match="supported: our Transformer; BERT"):
        cap.instrument(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    with pytest.raises(TypeError, match="eager_attention_forward"):
        eager_function(torch.nn.Linear(2, 2))
