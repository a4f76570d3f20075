"""Inside the Transformer: every block renders for both models, the lecture path walks in
order and lives in the URL, and what the charts show is recomputed here from the models'
parameters, without the capture API."""

import math

import numpy as np
import pytest
import torch

from app.views.architecture.blocks import BLOCKS, ENCODER_PATH, TRANSLATOR_PATH
from tests.app.helpers import chart_spec, decode, heatmap_z, open_page

PAGE = "architecture.py"


@pytest.fixture(scope="module")
def translator():
    from model.tasks.translation import OurTranslator

    return OurTranslator.load()


def menu(at):
    """The block menu (one per model: its key is arch_menu_<model>)."""
    return next(box for box in at.selectbox if str(box.key).startswith("arch_menu_"))


def open_view(at, block: str, view: str):
    """Open one of a block's lazy tabs (only the open one is built)."""
    at.session_state[f"arch_view_{block}"] = view
    return at.run()


def walk(at, path):
    """Press "Next block" along the path; the block is in the URL at each step."""
    for expected in path:
        assert menu(at).value == expected
        assert at.query_params["block"] == expected
        assert not at.exception, (expected, [e.message for e in at.exception])
        assert at.header[0].value == BLOCKS[expected].title
        if expected != path[-1]:
            at.button("arch_next").click().run()


def test_the_lecture_path_walks_every_block_of_the_translator_in_order():
    at = open_page(PAGE)
    walk(at, TRANSLATOR_PATH)
    assert menu(at).value == TRANSLATOR_PATH[-1]  # the end stays the end
    assert at.button("arch_next").disabled
    at.button("arch_prev").click().run()
    assert menu(at).value == TRANSLATOR_PATH[-2]


def test_the_lecture_path_of_minilm_and_its_missing_language_model_head():
    at = open_page(PAGE)
    at.radio("arch_model").set_value("minilm").run()
    walk(at, ENCODER_PATH)
    assert menu(at).value == "linear"
    assert any("no masked-language-model head" in i.value for i in at.info)
    assert "masked" not in menu(at).options  # no decoder blocks offered


def test_every_block_off_the_path_renders_too():
    at = open_page(PAGE)
    for block in set(BLOCKS) - set(TRANSLATOR_PATH):
        menu(at).set_value(block).run()
        assert not at.exception, (block, [e.message for e in at.exception])
        assert at.header[0].value == BLOCKS[block].title


def test_a_bookmarked_step_reopens_it_and_a_bad_link_is_ignored():
    from streamlit.testing.v1 import AppTest

    from tests.app.helpers import MAIN, TIMEOUT

    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params.update({"block": "cross", "layer": "2", "step": "1", "model": "translator"})
    at.run()
    at.switch_page(f"../pages/{PAGE}").run()
    assert menu(at).value == "cross" and at.header[0].value == "Cross-attention"
    assert at.select_slider("arch_layer").value == 2 and at.select_slider("arch_step").value == 1
    assert not at.session_state["lecture_mode"] and "lecture" not in at.query_params
    at.toggle("lecture_mode").set_value(True).run()  # the link now carries lecture mode
    bookmark = {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}
    assert bookmark["lecture"] == "1"
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params.update(bookmark)
    at.run()
    at.switch_page(f"../pages/{PAGE}").run()
    assert at.session_state["lecture_mode"] and menu(at).value == "cross"
    assert at.select_slider("arch_step").value == 1
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params.update({"block": "no-such-block", "layer": "99"})
    at.run()
    at.switch_page(f"../pages/{PAGE}").run()
    assert not at.exception and menu(at).value == "input"


def test_input_and_add_and_norm_show_the_models_numbers(translator):
    at = open_page(PAGE)
    text = "The cat drinks milk from a bowl."
    ids, _, _ = translator.encode_source(text)
    model = translator.model
    with torch.no_grad():
        token = model.src_embed.table.weight[ids] * math.sqrt(model.config.d_model)
    np.testing.assert_allclose(heatmap_z(at, "arch_input_token"), token.numpy(), atol=1e-5)
    menu(at).set_value("addnorm-ffn").run()
    at.select_slider("arch_layer").set_value(1).run()
    views = {}
    for view, key in (("x", "arch_x"), ("Sublayer(x)", "arch_sub"), ("x + Sublayer(x)", "arch_sum"),
                      ("LayerNorm", "arch_normed")):  # fmt: skip
        views[key] = heatmap_z(open_view(at, "addnorm-ffn", view), key)
    stats = at.dataframe[0].value
    summed = torch.from_numpy(views["arch_sum"].astype(np.float32))
    norm = model.encoder_layers[1].norm_2
    with torch.no_grad():
        expected = (summed - summed.mean(-1, keepdim=True)) / torch.sqrt(
            summed.var(-1, unbiased=False, keepdim=True) + norm.eps
        ) * norm.weight + norm.bias
    np.testing.assert_allclose(views["arch_normed"], expected.numpy(), atol=1e-5)
    np.testing.assert_allclose(views["arch_sum"], views["arch_x"] + views["arch_sub"], atol=1e-5)
    np.testing.assert_allclose(stats["mean"], summed.mean(-1).numpy(), atol=1e-4)


def test_feed_forward_shows_relu_units_and_their_zeros(translator):
    at = open_page(PAGE)
    menu(at).set_value("ffn").run()
    hidden = heatmap_z(at, "arch_hidden")
    assert hidden.shape[1] == translator.model.config.d_ff and hidden.min() == 0.0
    open_view(at, "ffn", "Units switched off")
    quiet = decode(chart_spec(at, "arch_quiet")["data"][0]["y"])
    np.testing.assert_allclose(quiet, (hidden == 0).mean(axis=1), atol=1e-6)


def test_softmax_and_the_chosen_word_follow_greedy_decoding(translator):
    at = open_page(PAGE)
    result = translator.translate("The cat drinks milk from a bowl.")
    menu(at).set_value("softmax").run()
    for step in (0, 2):
        at.select_slider("arch_step").set_value(step).run()
        bars = chart_spec(at, "arch_softmax")["data"][0]
        probs = decode(bars["y"])
        assert len(probs) == 10 and np.all(np.diff(probs) <= 0) and probs.sum() <= 1 + 1e-6
        assert bars["x"][0].endswith("(chosen)")  # greedy takes the likeliest
    menu(at).set_value("word").run()
    assert len(at.dataframe[0].value) == len(result.output_tokens)


def test_the_sizes_shown_are_read_from_the_model(translator):
    at = open_page(PAGE)
    c = translator.model.config
    sizes = (
        f"N = {c.n_layers} layers, h = {c.n_heads} heads, d_model = {c.d_model}, d_ff = {c.d_ff}"
    )
    assert any(sizes in caption.value for caption in at.caption)
    at.radio("arch_model").set_value("minilm").run()
    assert any("N = 6 layers, h = 12 heads, d_model = 384" in c.value for c in at.caption)


def test_a_head_button_opens_the_explorer_at_that_head():
    at = open_page(PAGE)
    menu(at).set_value("mha").run()
    at.select_slider("arch_layer").set_value(2).run()
    open_view(at, "mha", "Every head")
    at.button("arch_open_encoder_3").click().run()
    assert not at.exception
    assert at.session_state["ex_layer"] == 2 and at.session_state["ex_head"] == 3
    assert at.session_state["ex_model"] == "translator"
    assert at.title[0].value == "Attention explorer"


@pytest.mark.parametrize("text", ["", "   ", "word " * 10_000, "<b>x</b>", "😀 שלום مرحبا"])
def test_bad_input_gets_a_message_never_a_traceback(text):
    at = open_page(PAGE)
    for model in ("translator", "minilm"):
        at.radio("arch_model").set_value(model).run()
        at.text_area("arch_text").input(text).run()
        assert not at.exception, [e.message for e in at.exception]
        if not text.strip():
            assert any("empty" in i.value for i in at.info)
        else:
            assert at.header[0].value == BLOCKS["input"].title


# Slow (about 40 s and 20 s): a page run for each view of each block (60 views), each on
# the model's own anatomy of the text; a view no other test opens is opened here.
@pytest.mark.parametrize("model", ["translator", "minilm"])
def test_every_view_of_every_block_renders(model):
    at = open_page(PAGE)
    at.radio("arch_model").set_value(model).run()
    seen = 0
    for block in menu(at).options:
        menu(at).set_value(block).run()
        for label in [tab.label for tab in at.tabs]:
            open_view(at, block, label)
            assert not at.exception, (block, label, [e.message for e in at.exception])
            seen += 1
    assert seen >= (25 if model == "translator" else 15)


def test_lecture_mode_puts_the_block_first_and_still_walks():
    at = open_page(PAGE)
    at.session_state["lecture_mode"] = True
    at.run()
    assert not at.markdown or "Follow one sentence" not in at.markdown[0].value
    walk(at, TRANSLATOR_PATH[:6])
    assert at.text_area("arch_text").value == "The cat drinks milk from a bowl."
    at.button("arch_next_below").click().run()  # the same walk from under the block's view
    assert menu(at).value == TRANSLATOR_PATH[6]
    at.button("arch_prev_below").click().run()
    assert menu(at).value == TRANSLATOR_PATH[5]
