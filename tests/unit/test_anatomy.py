"""Activations through the capture API, and the recomputation behind the architecture page,
on tiny random models: our transformer (with the shipped tokenizer) and a BERT."""

import copy
import dataclasses
import threading

import pytest
import torch
from tokenizers import Tokenizer

from model.analysis import anatomy as an
from model.analysis import recompute as rc
from model.core import capture as cap
from model.hf.encoding import encode
from model.tasks.translation import CHECKPOINT_DIR, OurTranslator
from model.transformer.decoding import beam_search, greedy_decode
from tests.tiny import tiny_hf, tiny_transformer

TOL = 1e-5


@pytest.fixture(scope="module")
def translator():
    """A random 2-layer translator with the shipped tokenizer (8,000 pieces)."""
    model = tiny_transformer(src_vocab_size=8000, tgt_vocab_size=8000, dropout=0.1, max_len=40)
    tokenizer = Tokenizer.from_file(str(CHECKPOINT_DIR / "tokenizer.json"))
    return OurTranslator(model, tokenizer)


def word_tokenizer():
    """A whitespace tokenizer for the tiny BERT, enough for `encode`."""
    from tokenizers import models, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])}
    for word in ("the", "a", "cat", "dog", "sat", "on", "mat", "near", "rock", "bank"):
        vocab[word] = len(vocab)
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    return BertTokenizerFast(tokenizer_object=raw)


def test_every_block_of_every_step_is_recorded_and_nothing_without_asking(translator):
    model, src = translator.model, torch.tensor([[5, 6, 7, 8, 2]])
    with cap.capture(model, activations=True) as rec:
        hypothesis = greedy_decode(model, src, 1, 2, max_new=6)
    att, steps = rec.result, len(hypothesis.ids)
    for layer in range(2):
        assert att.block_steps("encoder", layer, "attention") == 1
        assert att.block_steps("encoder", layer, "ffn") == 1
        decoder_blocks = (("decoder", "attention"), ("cross", "attention"), ("decoder", "ffn"))
        for stack, sublayer in decoder_blocks:
            assert att.block_steps(stack, layer, sublayer) == steps
    assert att.block("encoder", 1, "ffn").hidden.shape == (1, 5, 64)
    assert att.block("cross", 0, "attention").hidden is None
    assert att.joined("decoder", 1, "ffn", "normed").shape == (1, steps, 32)
    assert att.logits.shape == (1, steps, 8000)
    with cap.capture(model) as plain:
        greedy_decode(model, src, 1, 2, max_new=6)
    assert plain.result.blocks == () and plain.result.logits is None
    with pytest.raises(KeyError, match="activations=True"):
        plain.result.block("encoder", 0, "ffn")


def test_capturing_activations_changes_no_output(translator):
    model, src, tgt = translator.model, torch.tensor([[5, 6, 7, 2]]), torch.tensor([[1, 9, 10]])
    with torch.inference_mode():
        before = model(src, tgt)
        with cap.capture(model, activations=True, qkv=True, embeddings=True) as rec:
            during = model(src, tgt)
    assert torch.equal(before, during)
    torch.testing.assert_close(rec.result.logits, before, atol=0, rtol=0)  # the model's own


def test_the_layer_layout_is_read_from_the_layers_as_they_run(translator, tiny_bert):
    """One source of truth: each layer lists its blocks (layers.py, or a BERT layer's module
    names), the capture records them in the order they ran, the anatomy reads that order."""
    from model.core.instrument import block_sites

    anatomy = an.translator_anatomy(translator, "The cat sleeps.", beams=0)
    assert anatomy.capture.layout("encoder") == [("encoder", "attention"), ("encoder", "ffn")]
    assert anatomy.capture.layout("decoder") == [
        ("decoder", "attention"), ("cross", "attention"), ("decoder", "ffn"),
    ]  # fmt: skip
    layer = translator.model.decoder_layers[1]
    sites = [s for s in block_sites(translator.model) if s.layer == 1 and s.stack != "encoder"]
    assert [s.norm for s in sites] == [layer.norm_1, layer.norm_2, layer.norm_3]
    assert sites[1].weights == (layer.cross_attn.w_o,)
    bert = an.bert_anatomy(tiny_bert, encode(word_tokenizer(), "the cat"))
    assert bert.capture.layout("encoder") == [("encoder", "attention"), ("encoder", "ffn")]
    first = tiny_bert.encoder.layer[0]
    assert block_sites(tiny_bert)[1].weights == (first.intermediate.dense, first.output.dense)


def test_every_number_recomputes_on_the_translator_with_a_beam_tree(translator):
    anatomy = an.translator_anatomy(translator, "The cat sleeps near the rock.", beams=3)
    assert anatomy.spec.n_layers == 2 and anatomy.spec.d_ff == 64
    result = rc.recompute(translator.model, anatomy)
    assert result.ok and result.error <= TOL, result.checks
    names = {c.name for c in result.checks}
    assert {"layer norm", "ffn output", "attention output", "beam score", "input sum",
            "arg max is the word chosen", "linear (logits)"} <= names  # fmt: skip
    assert result.blocks > 2 * 2 * 3  # every block instance, every step, every hypothesis


def test_a_wrong_capture_fails_the_recomputation(translator):
    """The check is not a tautology: one altered number anywhere is caught."""
    anatomy = an.translator_anatomy(translator, "The dog sat on the mat.", beams=2)
    blocks = list(anatomy.capture.blocks)
    index = next(i for i, b in enumerate(blocks) if b.sublayer == "ffn")
    hidden = blocks[index].hidden.clone()
    hidden[0, 0, 3] += 1e-3
    blocks[index] = dataclasses.replace(blocks[index], hidden=hidden)
    broken = dataclasses.replace(
        anatomy, capture=dataclasses.replace(anatomy.capture, blocks=tuple(blocks))
    )
    checks = {c.name: c for c in rc.recompute(translator.model, broken).checks}
    assert checks["ffn hidden"].error > 5e-4
    assert checks["layer norm"].error <= TOL  # the others still hold
    wrong_choice = dataclasses.replace(anatomy, output_ids=(anatomy.output_ids[0] + 1,))
    assert not rc.recompute(translator.model, wrong_choice).ok


def test_beam_tree_keeps_at_most_the_width_and_leaves_the_search_unchanged(translator):
    src = torch.tensor([translator.encode_source("The cat sleeps.")[0]])
    trace = []
    traced = beam_search(translator.model, src, 1, 2, beam_size=4, max_new=8, trace=trace)
    assert traced == beam_search(translator.model, src, 1, 2, beam_size=4, max_new=8)
    assert trace and all(len(step.kept) <= 4 for step in trace)
    assert all(len(step.candidates) == 8 for step in trace)
    for step in trace:  # best first, and nothing kept after a pruned candidate
        scores = [c.score for c in step.candidates]
        assert scores == sorted(scores, reverse=True)
        fates = [c.fate for c in step.candidates]
        assert "kept" not in fates[fates.index("pruned") :] if "pruned" in fates else True


def test_stream_norms_and_next_tokens_read_the_capture(translator):
    anatomy = an.translator_anatomy(translator, "A bird sings.", beams=0)
    names, norms = an.stream_norms(anatomy, "decoder")
    assert norms.shape == (len(anatomy.target), len(names)) and len(names) == 1 + 2 * 3 * 2
    assert anatomy.tree is None
    first = anatomy.capture.joined("decoder", 0, "attention", "residual")[0].norm(dim=-1)
    torch.testing.assert_close(torch.from_numpy(norms[:, 0]), first)
    table = an.next_tokens(anatomy, 0, lambda i: translator.tokenizer.id_to_token(i), k=10)
    probs = [p for _, p, _ in table]
    assert len(table) == 10 and probs == sorted(probs, reverse=True)
    assert table[0][2] and sum(chosen for *_, chosen in table) == 1  # greedy took the best
    logits = an.top_logits(anatomy, 0, lambda i: translator.tokenizer.id_to_token(i), k=10)
    assert [token for token, _ in logits] == [token for token, _, _ in table]  # same order
    assert logits[0][1] == float(anatomy.capture.logits[0, 0].max())


def test_quiet_share_counts_relu_zeros_and_small_gelu_units():
    hidden = torch.tensor([[0.0, 0.0, 1.0, 2.0], [0.01, -0.02, 0.5, 0.0]])
    assert an.quiet_share(hidden, "relu").tolist() == [0.5, 0.25]
    assert an.quiet_share(hidden, "gelu").tolist() == [0.5, 0.75]
    units, values = an.top_units(torch.tensor([0.1, 3.0, -1.0, 2.0]), k=2)
    assert units.tolist() == [1, 3] and values.tolist() == [3.0, 2.0]


def test_every_number_recomputes_on_a_bert(tiny_bert):
    tokenizer = word_tokenizer()
    anatomy = an.bert_anatomy(tiny_bert, encode(tokenizer, "the cat sat on the mat", "a dog"))
    assert anatomy.spec.lm_head is False and anatomy.spec.segments
    result = rc.recompute(tiny_bert, anatomy)
    assert result.ok and result.error <= TOL, result.checks
    assert {"segment embedding", "ffn hidden", "layer norm"} <= {c.name for c in result.checks}
    assert result.blocks == 1 + 2 * 2


def test_a_bert_with_a_language_model_head_has_its_logits_captured():
    model = tiny_hf("bert", vocab_size=50, head="BertForMaskedLM")
    ids = torch.tensor([[2, 7, 9, 3]])
    with torch.inference_mode(), cap.capture(model, activations=True) as rec:
        out = model(input_ids=ids)
    assert torch.equal(rec.result.logits, out.logits)
    assert an.spec_of(model).lm_head


def test_a_deep_copy_records_its_own_blocks_and_sessions_do_not_mix(tiny_bert):
    twin = cap.instrument(copy.deepcopy(tiny_bert))
    ids = {"input_ids": torch.tensor([[2, 5, 6, 3]])}
    with torch.inference_mode(), cap.capture(tiny_bert, activations=True) as original:
        tiny_bert(**ids)
    with torch.inference_mode(), cap.capture(twin, activations=True) as copied:
        twin(**ids)
    assert len(original.result.blocks) == len(copied.result.blocks) == 4  # no double count

    results = {}

    def session(name: str, text_ids: list[int]) -> None:
        with torch.inference_mode(), cap.capture(tiny_bert, activations=True) as rec:
            for _ in range(20):
                tiny_bert(input_ids=torch.tensor([text_ids]))
        results[name] = rec.result

    threads = [
        threading.Thread(target=session, args=("a", [2, 5, 3])),
        threading.Thread(target=session, args=("b", [2, 5, 6, 7, 8, 3])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {b.residual.shape[1] for b in results["a"].blocks} == {3}
    assert {b.residual.shape[1] for b in results["b"].blocks} == {6}
    assert len(results["a"].blocks) == len(results["b"].blocks) == 20 * 4


@pytest.mark.parametrize("family", ["roberta", "electra"])
def test_other_bert_layout_encoders_have_their_blocks_recorded(family):
    """RoBERTa and ELECTRA keep BERT's module layout, so their blocks are labelled too."""
    model = tiny_hf(family, vocab_size=60)
    with torch.inference_mode(), cap.capture(model, activations=True) as rec:
        out = model(input_ids=torch.tensor([[0, 7, 8, 9, 2]]))
    blocks = rec.result.blocks
    assert len(blocks) == 4 and {b.sublayer for b in blocks} == {"attention", "ffn"}
    last = rec.result.block("encoder", 1, "ffn")
    assert torch.equal(last.normed, out.last_hidden_state)
    for block in blocks:
        assert torch.equal(block.residual + block.output, block.summed)
