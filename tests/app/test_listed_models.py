"""Models from the operator's models file in the explorer: each in the menu with its family's
stacks, every tab working (or saying why it does not apply), numbers equal to the model's,
and a model the server must refuse refused with its reason."""

import numpy as np
import pytest
import torch

from tests.app.helpers import heatmap_z, open_page
from tests.conftest import LISTED, WINDOW

TEXT = "The cat sat on the mat."
STACKS = {"tiny-bert": ["encoder"], "tiny-gpt2": ["decoder"], "tiny-llama": ["decoder"],
          "tiny-t5": ["encoder", "decoder", "cross"], "bf16-llama": ["decoder"],
          "window-mistral": ["decoder"], "padded-gpt2": ["decoder"]}  # fmt: skip


def has(*keys):
    return lambda at, charts: all(any(key in c for c in charts) for key in keys)


def says(text: str):
    return lambda at: any(text in i.value for i in at.info)


def explained(at, charts) -> bool:
    """A bare encoder says it has nothing to explain; the others explain, switched on."""
    if says("no output to explain")(at):
        return True
    at.toggle("ex_explain").set_value(True).run()
    drawn = any("ex_strips" in c.proto.id for c in at.get("plotly_chart"))
    at.toggle("ex_explain").set_value(False).run()
    return drawn and not at.exception


SHOWS = {  # what each of the explorer's tabs must show
    "One head": has("ex_head_heatmap", "ex_mean_heatmap"),
    "All heads": has("ex_grid"),
    "Lines": has("ex_lines"),
    "One token": has("ex_token_focus"),
    "Rollout & flow": has("ex_rollout"),
    "Head statistics": lambda at, charts: at.dataframe[0].value.shape[0] == 8,  # 2 x 4 heads
    "bertviz": lambda at, charts: len(at.get("iframe")) == 1,
    "Compare": has("ex_cmp_a", "ex_cmp_b"),
    "Explanations": explained,
    "Logit lens": lambda at, charts: lens_read(at),
    "Patching": lambda at, charts: patched(at),
}


def lens_read(at) -> bool:
    """A bare encoder says it has no output layer; the others read out, switched on."""
    if says("no output layer")(at):
        return True
    at.toggle("ex_lens").set_value(True).run()
    drawn = any("ex_lens_grid" in c.proto.id for c in at.get("plotly_chart"))
    at.toggle("ex_lens").set_value(False).run()
    return drawn and not at.exception


def patched(at) -> bool:
    """Switched on: the maps, or why there are none (a bare encoder; the same answer)."""
    at.toggle("ex_patch").set_value(True).run()
    drawn = any("ex_patch_heads" in c.proto.id for c in at.get("plotly_chart"))
    ok = drawn or says("no output to compare")(at) or says("same answer")(at)
    at.toggle("ex_patch").set_value(False).run()
    return ok and not at.exception


def pick(at, name: str):
    at.selectbox("ex_model").set_value(f"listed:{name}").run()
    at.text_area("ex_text").input(TEXT).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("name", list(LISTED))
def test_a_listed_model_works_in_every_tab(explorer, name):
    from app.serving import loaders

    at = pick(explorer, name)
    assert [t.label for t in at.tabs] == list(SHOWS)
    assert at.radio("ex_stack").options == [
        {"encoder": "encoder self-attention", "decoder": "decoder self-attention (masked)",
         "cross": "cross-attention"}[s] for s in STACKS[name]
    ]  # fmt: skip
    model, tokenizer, family = loaders.listed(name)
    from model.hf.byo import run_text

    expected, _, _ = run_text(model, tokenizer, family, TEXT)
    stack = STACKS[name][0]
    np.testing.assert_allclose(
        heatmap_z(at, "ex_head_heatmap"), expected.matrices(stack)[0, 0].numpy(), atol=1e-6
    )

    def charts():
        return {c.proto.id.split("-")[-1] for c in at.get("plotly_chart")}

    for tab, shows in SHOWS.items():
        at.session_state["ex_tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.message for e in at.exception])
        assert shows(at, charts()), f"{tab} shows nothing for {name}"
    if name.endswith("llama"):
        assert any("Grouped-query attention: 4 query heads share 2" in i.value for i in at.info)
    if name == "bf16-llama":
        assert model.dtype == torch.bfloat16
    if name == "window-mistral":  # every key on its own column; those outside the window 0
        assert any(f"all 2 layers attend within a window of {WINDOW}" in i.value for i in at.info)
        full = expected.matrices("decoder")  # (layers, heads, q, k)
        last = full[0, 0, -1]
        assert full.shape[-1] == full.shape[-2] and last[-WINDOW:].sum() == pytest.approx(1)
        assert not last[:-WINDOW].any()
    if name == "padded-gpt2":  # ids with no token are named, in the figures' labels too
        assert any(t.startswith("<id ") for t in expected.tokens["target"])
        at.session_state["ex_tab"] = "One head"
        at.run()
        heatmap = next(c for c in at.get("plotly_chart") if "ex_head_heatmap" in c.proto.id)
        assert "&lt;id " in heatmap.proto.spec or "<id " in heatmap.proto.spec
    if name != "tiny-bert":
        assert any("The model wrote:" in i.value for i in at.info)


def test_a_model_the_capture_cannot_read_is_labelled_with_the_reason(
    explorer, tmp_path, monkeypatch
):
    """DeBERTa-v2 computes attention inside its modules; a missing folder; a hub id offline."""
    from transformers import DebertaV2Config

    DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                    num_attention_heads=2).save_pretrained(tmp_path / "deberta")  # fmt: skip
    listing = tmp_path / "models.toml"
    listing.write_text(
        '[[model]]\nname = "deb"\nsource = "deberta"\n'
        '[[model]]\nname = "gone"\nsource = "./missing"\n'
        '[[model]]\nname = "hub"\nsource = "someone/some-model"\n'
    )
    monkeypatch.setenv("ATLAS_MODELS", str(listing))
    at = open_page("explorer.py")
    options = at.selectbox("ex_model").options
    assert "deb (listed: not a supported kind: 'deberta-v2')" in options
    assert "gone (listed: no such folder)" in options
    assert "hub (listed: needs the network (hub id))" in options


def test_a_model_with_pickle_weights_is_refused_with_the_reason(explorer):
    at = explorer.selectbox("ex_model").set_value("listed:pickled").run()
    assert not at.exception
    assert any("only safetensors" in i.value and "pytorch_model.bin" in i.value for i in at.info)


def test_the_window_note_names_the_layers_that_have_one():
    from app.serving.sources import window_note

    assert "layer 0 of 2 attends within a window of 4" in window_note("decoder", {0: 4}, 2)
    assert "layers 1, 3 of 4 attend within a window of 8" in window_note("decoder", {1: 8, 3: 8}, 4)
