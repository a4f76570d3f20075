"""Capture and ablation on every supported Hugging Face family, on tiny random configs
(the same classes as the real checkpoints, so these code paths run offline)."""

import pytest
import torch

from model.core import capture as cap
from model.core.masks import to_additive
from model.hf.families import BY_TYPE

# (family, the task class of it): built by the family builders, as the family checks build
ENCODERS = [
    ("bert", "BertForTokenClassification"),
    ("bert", "BertForQuestionAnswering"),
    ("distilbert", "DistilBertForTokenClassification"),
    ("distilbert", "DistilBertForQuestionAnswering"),
]
SEQ2SEQ = ["marian", "bart"]


def build(model_type: str, head: str | None = None):
    """A random model (vocabulary 50, 2 layers, 4 heads), not instrumented: a reference."""
    return BY_TYPE[model_type].tiny(vocab_size=50, head=head)


def encoder_inputs():
    ids = torch.randint(5, 50, (2, 6))
    mask = torch.tensor([[1] * 6, [1] * 4 + [0] * 2])
    return {"input_ids": ids, "attention_mask": mask}


def first_tensor(output):
    return output.logits if hasattr(output, "logits") else output.start_logits


@pytest.mark.parametrize(("family", "head"), ENCODERS, ids=[h for _, h in ENCODERS])
def test_encoder_families_capture_like_output_attentions(family, head):
    reference = build(family, head)
    model = cap.instrument(build(family, head))
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


@pytest.mark.parametrize(("family", "head"), ENCODERS, ids=[h for _, h in ENCODERS])
def test_encoder_families_ablate(family, head):
    model = cap.instrument(build(family, head))
    inputs = encoder_inputs()
    with torch.no_grad():
        base = first_tensor(model(**inputs))
        with cap.ablate(model, {}):
            assert torch.equal(first_tensor(model(**inputs)), base)
        with cap.ablate(model, {("encoder", 0): range(4)}):
            assert not torch.allclose(first_tensor(model(**inputs)), base)


@pytest.mark.parametrize("family", SEQ2SEQ)
def test_seq2seq_families_capture_all_three_stacks(family):
    reference = build(family)
    model = cap.instrument(build(family))
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
    model = cap.instrument(build("marian"))
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
    a = cap.instrument(build("bert", "BertForTokenClassification"))
    b = cap.instrument(build("bert", "BertForTokenClassification"))
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
    model = cap.instrument(build("bert", "BertForTokenClassification"))
    assert IMPLEMENTATION in ALL_ATTENTION_FUNCTIONS
    assert model.config._attn_implementation == IMPLEMENTATION
    for family, head in [*ENCODERS, *((f, None) for f in SEQ2SEQ)]:
        attention = next(
            m
            for _, m in build(family, head).named_modules()
            if type(m).__name__.endswith(("SelfAttention", "MultiHeadSelfAttention", "Attention"))
            and hasattr(sys.modules[type(m).__module__], "eager_attention_forward")
        )
        params = list(inspect.signature(eager_function(attention)).parameters)
        assert params[:5] == ["module", "query", "key", "value", "attention_mask"], family
        assert {"scaling", "dropout"} <= set(params), family


def test_a_model_whose_attention_bypasses_the_interface_is_refused_by_name():
    from model.core.hf_attention import eager_function

    with pytest.raises(ValueError, match="supported: our Transformer; BERT"):
        cap.instrument(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    with pytest.raises(TypeError, match="eager_attention_forward"):
        eager_function(torch.nn.Linear(2, 2))
