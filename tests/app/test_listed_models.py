"""Models from the operator's models file in the explorer: each in the menu with its family's
stacks, every tab working (or saying why it does not apply), numbers equal to the model's,
and a model the server must refuse refused with its reason."""

import numpy as np
import pytest

from tests.app.helpers import heatmap_z, open_page
from tests.conftest import LISTED

TEXT = "The cat sat on the mat."
STACKS = {"tiny-bert": ["encoder"], "tiny-gpt2": ["decoder"], "tiny-llama": ["decoder"],
          "tiny-t5": ["encoder", "decoder", "cross"]}  # fmt: skip


def has(*keys):
    return lambda at, charts: all(any(key in c for c in charts) for key in keys)


SHOWS = {  # what each of the explorer's tabs must show
    "One head": has("ex_head_heatmap", "ex_mean_heatmap"),
    "All heads": has("ex_grid"),
    "Lines": has("ex_lines"),
    "One token": has("ex_token_focus"),
    "Rollout & flow": has("ex_rollout"),
    "Head statistics": lambda at, charts: at.dataframe[0].value.shape[0] == 8,  # 2 x 4 heads
    "bertviz": lambda at, charts: len(at.get("iframe")) == 1,
    "Compare": has("ex_cmp_a", "ex_cmp_b"),
}


@pytest.fixture
def explorer(models_file, monkeypatch):
    from app import loaders

    monkeypatch.setenv("ATLAS_MODELS", str(models_file))
    loaders.listed.clear()
    at = open_page("explorer.py")
    yield at
    monkeypatch.delenv("ATLAS_MODELS")
    open_page("explorer.py")  # the menu forgets them again


def pick(at, name: str):
    at.selectbox("ex_model").set_value(f"listed:{name}").run()
    at.text_area("ex_text").input(TEXT).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.parametrize("name", list(LISTED))
def test_a_listed_model_works_in_every_tab(explorer, name):
    from app import loaders

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
    if name == "tiny-llama":
        assert any("Grouped-query attention: 4 query heads share 2" in i.value for i in at.info)
    if name != "tiny-bert":
        assert any("The model wrote:" in i.value for i in at.info)


def test_a_model_with_pickle_weights_is_refused_with_the_reason(explorer):
    at = explorer.selectbox("ex_model").set_value("listed:pickled").run()
    assert not at.exception
    assert any("only safetensors" in i.value and "pytorch_model.bin" in i.value for i in at.info)
