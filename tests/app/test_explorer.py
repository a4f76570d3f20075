"""The attention explorer: views, state in the URL, bad input, numbers equal to the model's."""

import numpy as np
import pytest

from app.serving import caches
from tests.app.helpers import chart_spec, decode, heatmap_z, open_page, reference_attention

PAGE = "explorer.py"


def open_tab(at, name):
    """Click a tab: the page reruns and builds that tab's view only."""
    at.session_state["ex_tab"] = name
    return at.run()


def test_default_view_shows_the_models_numbers(minilm, minilm_reference):
    at = open_page(PAGE)
    expected = reference_attention(minilm_reference, minilm[1], at.text_area("ex_text").value)
    np.testing.assert_allclose(heatmap_z(at, "ex_head_heatmap"), expected[0, 0], atol=1e-6)
    assert not at.get("iframe") and not at.dataframe  # closed tabs are not built
    open_tab(at, "All heads")
    assert not at.exception and not at.get("iframe")
    (grid,) = [t for t in chart_spec(at, "ex_grid")["data"] if t["type"] == "heatmap"]
    tiles = decode(grid["z"])
    assert tiles.dtype == np.uint8 and tiles.shape[0] % 6 == 0 and tiles.shape[1] % 12 == 0
    n = tiles.shape[0] // 6  # 6 layers x 12 heads of n x n tiles; layer 0, head 0 first
    assert tiles.shape == (6 * n, 12 * n) and tiles[:n, :n].max() == 255
    assert at.query_params["tab"] == "All heads"  # a link reopens the tab too
    from app.kit.explore import TABS

    assert tuple(tab.label for tab in at.tabs) == TABS  # the names links and other pages use
    open_tab(at, "bertviz")
    assert len(at.get("iframe")) == 1  # bertviz's head view
    open_tab(at, "Head statistics")
    assert at.dataframe[0].value.shape == (72, 5)


def test_layer_head_text_and_state_in_the_url(minilm, minilm_reference):
    at = open_page(PAGE)
    at.text_area("ex_text").input("Paris is lovely in spring.").run()
    at.selectbox("ex_layer").select(5).run()
    at.selectbox("ex_head").select(3).run()
    assert not at.exception
    expected = reference_attention(minilm_reference, minilm[1], "Paris is lovely in spring.")
    np.testing.assert_allclose(heatmap_z(at, "ex_head_heatmap"), expected[5, 3], atol=1e-6)
    assert at.query_params["layer"] == "5" and at.query_params["head"] == "3"
    assert at.query_params["text"] == "Paris is lovely in spring."


def test_a_shared_link_reopens_the_view_and_bad_links_are_ignored(minilm, minilm_reference):
    from streamlit.testing.v1 import AppTest

    from tests.app.helpers import MAIN, TIMEOUT

    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params.update({"text": "Dogs bark.", "layer": "2", "head": "7", "model": "nope"})
    at.run()
    at.switch_page("../pages/explorer.py").run()
    assert not at.exception
    assert at.selectbox("ex_model").value == "minilm"  # an unknown model is ignored
    assert (at.selectbox("ex_layer").value, at.selectbox("ex_head").value) == (2, 7)
    expected = reference_attention(minilm_reference, minilm[1], "Dogs bark.")
    np.testing.assert_allclose(heatmap_z(at, "ex_head_heatmap"), expected[2, 7], atol=1e-6)


def test_hiding_special_tokens_drops_their_rows_and_columns(minilm, minilm_reference):
    at = open_page(PAGE)
    at.text_area("ex_text").input("Hello world").run()
    at.toggle("ex_hide").set_value(True).run()
    expected = reference_attention(minilm_reference, minilm[1], "Hello world")
    np.testing.assert_allclose(heatmap_z(at, "ex_head_heatmap"), expected[0, 0, 1:3, 1:3],
                               atol=1e-6)  # fmt: skip


def test_translator_shows_all_three_stacks():
    at = open_page(PAGE)
    at.selectbox("ex_model").set_value("translator").run()
    assert not at.exception
    assert len(at.radio("ex_stack").options) == 3  # encoder, decoder and cross-attention
    at.radio("ex_stack").set_value("cross").run()
    z = heatmap_z(at, "ex_head_heatmap")
    np.testing.assert_allclose(z.sum(-1), 1.0, atol=1e-5)  # a row per output token
    at.selectbox("ex_model").set_value("minilm").run()  # back to a model without cross
    assert not at.exception and at.radio("ex_stack").value == "encoder"


@pytest.mark.parametrize("view", ["model", "neuron"])
def test_bertviz_views_render(view):
    at = open_tab(open_page(PAGE), "bertviz")
    at.radio("ex_bertviz").set_value(view).run()
    assert not at.exception and len(at.get("iframe")) == 1


def test_flow_and_compare():
    at = open_tab(open_page(PAGE), "Rollout & flow")
    at.toggle("ex_flow").set_value(True).run()
    assert not at.exception and chart_spec(at, "ex_flow_map")
    # solved once per text and stack: a rerun (another session, a window) reuses it
    key = ("minilm", at.text_area("ex_text").value, None, "encoder")
    kept = caches.FLOWS.peek(key)
    assert kept is not None and kept.shape[0] == kept.shape[1]
    at.run()
    assert caches.FLOWS.peek(key) is kept
    open_tab(at, "Compare")
    at.text_area("ex_compare").input("A different sentence entirely.").run()
    assert chart_spec(at, "ex_cmp_b")


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   ", "empty"), ("word " * 10_000, None), ("<script>alert(1)</script>", None),
     ("😀 שלום مرحبا", None)],
)  # fmt: skip
def test_bad_input_gets_a_message_never_a_traceback(text, message):
    at = open_page(PAGE)
    at.text_area("ex_text").input(text).run()
    assert not at.exception
    if message:
        assert any(message in i.value for i in at.info)
    else:
        assert chart_spec(at, "ex_head_heatmap")


def test_a_shorter_text_after_picking_a_late_token_does_not_break():
    at = open_tab(open_page(PAGE), "One token")
    at.selectbox("ex_token").select(14).run()
    at.text_area("ex_text").input("Hi").run()
    assert not at.exception and at.selectbox("ex_token").value == 0


def test_the_text_box_sends_the_same_default_on_every_run():
    """The browser falls back to a box's default when it mounts the box again without a value
    of its own; a default that turned into "" after the first run once sent an empty text back
    (the page then said "Type some text first"), so it stays the page's default."""
    at = open_page(PAGE)
    default = at.text_area("ex_text").proto.default
    assert default == at.text_area("ex_text").value != ""
    at.text_area("ex_text").input("Paris is lovely in spring.").run()
    at.session_state["ex_tab"] = "All heads"
    at.run()
    box = at.text_area("ex_text")
    assert (box.proto.default, box.value) == (default, "Paris is lovely in spring.")


def test_a_long_text_offers_a_window_numbered_by_place_in_the_text(minilm, minilm_reference):
    long_text = "The committee met in the old library to discuss the budget. " * 12
    at = open_page(PAGE)
    assert not at.slider  # a short text has no window
    at.text_area("ex_text").input(long_text).run()
    full = reference_attention(minilm_reference, minilm[1], long_text)[0, 0]
    n = full.shape[0]
    assert n > 64 and at.slider("ex_window").value == (0, n)
    np.testing.assert_allclose(heatmap_z(at, "ex_head_heatmap"), full, atol=1e-6)
    at.slider("ex_window").set_value((40, 60)).run()
    np.testing.assert_allclose(heatmap_z(at, "ex_head_heatmap"), full[40:60, 40:60], atol=1e-6)
    spec = chart_spec(at, "ex_head_heatmap")["data"][0]
    assert spec["x"][0].startswith("40 ") and spec["y"][-1].startswith("59 ")
    at.text_area("ex_text").input("Short again.").run()  # the window of a longer text goes
    assert not at.exception and not at.slider
