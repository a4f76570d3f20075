"""Activation patching as handlers of the one hook mechanism: restoring the one differing
token restores the answer exactly, a head's patch equals one done with plain PyTorch hooks,
and inputs that cannot be compared say why."""

import numpy as np
import pytest
import torch

from model.core import patching as pt
from tests.tiny import tiny_hf, tiny_transformer

CLEAN = torch.tensor([[2, 17, 31, 44, 58, 3]])
CORRUPT = torch.tensor([[2, 17, 99, 44, 58, 3]])  # one token differs, at position 2


@pytest.fixture(scope="module")
def tagger():
    return tiny_hf("bert", head="BertForTokenClassification", num_labels=4, seed=3)


def experiment(model, clean=CLEAN, corrupt=CORRUPT, position=4):
    with torch.no_grad():
        right = int(model(input_ids=clean).logits[0, position].argmax())
        wrong = int(model(input_ids=corrupt).logits[0, position].argmax())
    if right == wrong:  # a label the corrupted run prefers less: still a difference to restore
        wrong = int(model(input_ids=corrupt).logits[0, position].argsort()[-2])

    def metric(output):
        return float(output.logits[0, position, right] - output.logits[0, position, wrong])

    return pt.Experiment(
        model, lambda inputs: model(**inputs), {"input_ids": clean}, {"input_ids": corrupt},
        metric, ("t",) * clean.shape[1], "a label",
    )  # fmt: skip


def test_restoring_the_differing_token_restores_the_answer_exactly(tagger):
    maps = pt.patching_maps(experiment(tagger))
    assert maps.stream.shape == (2, 6) and maps.sublayers.shape == (2, 2)
    # the maps batch their runs: the input made clean again restores the answer and the same
    # token changes nothing, both to the batch's rounding
    assert maps.stream[0, 2] == pytest.approx(1.0, abs=1e-4)
    assert np.abs(np.delete(maps.stream[0], 2)).max() < 1e-4
    runs = pt.prepare(experiment(tagger))  # one run, unbatched: exactly
    assert runs.effect(*runs.stream_where(0, 2)) == pytest.approx(1.0, abs=1e-9)
    assert maps.heads["encoder"].shape == (2, 4)
    assert maps.sublayer_names == ("self-attention", "feed-forward")


def test_a_head_patch_equals_one_made_with_plain_pytorch_hooks(tagger):
    e = experiment(tagger)
    maps = pt.patching_maps(e)
    dense = tagger.bert.encoder.layer[1].attention.output.dense  # W_O: its input is the heads
    d_head = 32 // 4
    kept = {}
    handle = dense.register_forward_pre_hook(lambda m, args: kept.setdefault("x", args[0]))
    with torch.no_grad():
        tagger(input_ids=CLEAN)
    handle.remove()

    def put_head(module, args):
        x = args[0].clone()
        x[..., 3 * d_head : 4 * d_head] = kept["x"][..., 3 * d_head : 4 * d_head]
        return (x,)

    handle = dense.register_forward_pre_hook(put_head)
    with torch.no_grad():
        patched = e.metric(tagger(input_ids=CORRUPT))
    handle.remove()
    expected = (patched - maps.corrupted) / (maps.clean - maps.corrupted)
    assert maps.heads["encoder"][1, 3] == pytest.approx(expected, abs=1e-4)  # batched
    runs = pt.prepare(e)
    assert runs.effect(pt.Where("heads", "encoder", 1, head=3)) == pytest.approx(expected, abs=1e-6)


def test_inputs_that_cannot_be_compared_say_why(tagger):
    longer = torch.tensor([[2, 17, 31, 44, 58, 60, 3]])
    with pytest.raises(pt.NothingToPatch, match="different lengths"):
        pt.patching_maps(experiment(tagger, corrupt=longer))
    same = pt.Experiment(tagger, lambda inputs: tagger(**inputs), {"input_ids": CLEAN},
                         {"input_ids": CLEAN}, lambda out: float(out.logits[0, 0, 0]), ("t",) * 6,
                         "same")  # fmt: skip
    with pytest.raises(pt.NothingToPatch, match="same answer"):
        pt.patching_maps(same)


def test_our_translator_is_patched_in_all_three_stacks():
    model = tiny_transformer()
    src, corrupt = torch.tensor([[5, 6, 7, 8, 2]]), torch.tensor([[5, 9, 7, 8, 2]])
    tgt = torch.tensor([[1, 9, 10]])
    with torch.no_grad():
        logits = model(src, tgt)[0, 2]
        right, wrong = int(logits.argmax()), int(logits.argsort()[-2])
    e = pt.Experiment(
        model, lambda inputs: model(inputs["src"], inputs["tgt"]), {"src": src, "tgt": tgt},
        {"src": corrupt, "tgt": tgt}, lambda out: float(out[0, 2, right] - out[0, 2, wrong]),
        ("t",) * 5, "a",
    )  # fmt: skip
    maps = pt.patching_maps(e)
    assert set(maps.heads) == {"encoder", "decoder", "cross"}
    assert maps.stream.shape == (2, 5) and maps.stream[0, 1] == pytest.approx(1.0, abs=1e-4)
    assert maps.sublayers.shape == (2, 5)
    # the decoder's first self-attention reads only the decoder's inputs, the same in both
    # runs; from the first cross-attention on, the source is in the stream
    assert np.abs(maps.heads["decoder"][0]).max() < 1e-5  # (batched: to its rounding)
    assert np.abs(maps.heads["cross"][0]).max() > 1e-3


def test_patching_everything_restores_exactly_and_nothing_changes_nothing(tagger):
    runs = pt.prepare(experiment(tagger))
    everything = [w for p in range(6) for w in runs.stream_where(0, p)]  # the whole input
    assert runs.effect(*everything) == 1.0
    assert runs.effect() == 0.0
    last = [w for p in range(6) for w in runs.stream_where(1, p)]  # all of layer 1's input
    assert runs.effect(*last) == pytest.approx(1.0, abs=1e-6)
    heads = [pt.Where("heads", "encoder", layer, head=h) for layer in range(2) for h in range(4)]
    assert runs.effect(*heads) != 0.0  # every head patched: not the whole story (the FFN's input)


def test_the_notebook_call_returns_a_labelled_map(tagger):
    e = experiment(tagger)
    found = pt.patch(tagger, {"input_ids": CLEAN}, {"input_ids": CORRUPT}, e.metric, what="stream",
                     tokens=[f"t{i}" for i in range(6)])  # fmt: skip
    assert found.dims == ("layer", "position") and found.values.shape == (2, 6)
    assert found.labels[0] == ("layer 0", "layer 1") and found.labels[1][2] == "t2"
    assert float(found.values[0, 2]) == pytest.approx(1.0, abs=1e-4)
    heads = pt.patch(tagger, {"input_ids": CLEAN}, {"input_ids": CORRUPT}, e.metric)
    np.testing.assert_allclose(heads.values.numpy(), pt.patching_maps(e).heads["encoder"])
    assert "layer x head" in repr(heads)
