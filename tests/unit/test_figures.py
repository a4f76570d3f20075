import numpy as np
import plotly.graph_objects as go
import pytest

from app import figures
from app.figures import attention_heatmap, token_labels


def test_heatmap_carries_the_matrix_and_labels():
    matrix = np.array([[0.9, 0.1], [0.25, 0.75]], dtype=np.float32)
    figure = attention_heatmap(matrix, ["[CLS]", "hi"], ["[CLS]", "hi"], title="Layer 0, head 1")
    trace = figure.data[0]
    np.testing.assert_array_equal(np.asarray(trace.z), matrix)
    assert list(trace.y) == ["0 [CLS]", "1 hi"]
    assert list(trace.x) == ["0 [CLS]", "1 hi"]
    assert "%{z:.3f}" in trace.hovertemplate
    assert figure.layout.title.text == "Layer 0, head 1"
    assert figure.layout.yaxis.autorange == "reversed"  # first query token on top


def test_repeated_tokens_get_their_own_rows():
    labels = token_labels(["the", "cat", "the"])
    assert len(set(labels)) == 3


def test_markup_in_tokens_is_escaped():
    (label,) = token_labels(["<img src=x onerror=alert(1)>"])
    assert "<" not in label and "&lt;img" in label


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="2 query tokens"):
        attention_heatmap(np.zeros((3, 3)), ["a", "b"], ["a", "b", "c"], title="x")


def test_downsample_takes_exact_block_means():
    from app.figures import downsample

    matrix = np.arange(36.0).reshape(6, 6)
    small = downsample(matrix, 3)
    assert small.shape == (3, 3)
    assert small[0, 0] == matrix[:2, :2].mean() and small[2, 1] == matrix[4:, 2:4].mean()
    np.testing.assert_array_equal(downsample(matrix, 10), matrix)


def test_head_grid_sends_one_byte_per_cell_and_maps_clicks_back():
    from app.figures import downsample, grid_cell, head_grid, quantise

    rng = np.random.default_rng(0)
    matrices = rng.dirichlet(np.ones(200), size=(2, 3, 200))  # (layers, heads, q, k)
    figure = head_grid(matrices, max_cells=50)
    (image,) = [t for t in figure.data if t.type == "heatmap"]  # one trace for every head
    z = np.asarray(image.z)
    assert z.dtype == np.uint8 and z.shape == (2 * 50, 3 * 50)
    tile = z[50:, 50:100]  # layer 1, head 1
    np.testing.assert_array_equal(tile, quantise(downsample(matrices[1, 1], 50)))
    assert tile.max() == 255  # each head scaled to its own maximum
    (targets,) = [t for t in figure.data if t.type == "scatter"]  # what a click selects
    assert len(targets.x) == 6
    centre = (targets.x[4], targets.y[4])
    assert 50 <= centre[0] < 100 and 50 <= centre[1] < 100  # over layer 1, head 1's tile
    assert grid_cell({"customdata": list(targets.customdata[4])}) == (1, 1)


def test_token_lines_draw_only_weights_of_note_and_escape_tokens():
    from app.figures import token_lines

    matrix = np.array([[0.9, 0.1, 0.0], [0.02, 0.03, 0.95], [0.5, 0.25, 0.25]])
    figure = token_lines(matrix, ["a", "<b>", "c"], ["a", "<b>", "c"], title="t")
    segments = sum(len([x for x in tr.x if x is None]) for tr in figure.data if tr.mode == "lines")
    assert segments == int((matrix >= 0.05).sum())
    texts = [t for tr in figure.data if tr.mode == "text" for t in tr.text]
    assert "&lt;b&gt;" in texts and "<b>" not in texts


def test_token_focus_rows_are_layer_head_pairs():
    from app.figures import token_focus

    matrices = np.random.default_rng(1).dirichlet(np.ones(4), size=(2, 3, 4))
    figure = token_focus(matrices, token=2, key_tokens=list("abcd"), title="t")
    z = np.asarray(figure.data[0].z)
    assert z.shape == (6, 4)
    np.testing.assert_allclose(z[5], matrices[1, 2, 2], atol=1e-6)
    assert list(figure.data[0].y)[5] == "5 L1 H2"


def test_lecture_mode_styles_every_heatmap_and_leaves_the_original():
    from app.theme import LECTURE_COLORSCALE, style_figure

    figure = attention_heatmap(np.eye(2), ["a", "b"], ["a", "b"], title="t")
    styled = style_figure(figure, lecture=True)
    assert styled.layout.font.size == 20
    greys = go.Figure(go.Heatmap(z=[[0]], colorscale=LECTURE_COLORSCALE)).data[0].colorscale
    assert styled.data[0].colorscale == greys
    assert figure.layout.font.size is None  # the original is untouched
    assert style_figure(figure, lecture=False) is figure


def test_start_end_scores_pair_each_token_with_its_two_scores():
    from app.figures import start_end_scores

    figure = start_end_scores(["mary", "<b>"], [1.0, 2.0], [0.5, 3.0], title="t")
    assert [t.name for t in figure.data] == ["start", "end"]
    assert list(figure.data[1].y) == [0.5, 3.0]
    assert list(figure.data[0].x) == ["0 mary", "1 &lt;b&gt;"]


def test_token_labels_show_word_boundaries_one_way_and_keep_specials():
    sentencepiece = ["▁The", "▁cat", "s", "▁", "[EOS]", "<pad>"]
    assert figures.readable_tokens(sentencepiece) == ["The", "cat", "##s", "␣", "[EOS]", "<pad>"]
    assert figures.readable_tokens(["ĠHello", "Ġworld", "!"]) == ["Hello", "world", "##!"]
    bert = ["[CLS]", "play", "##ing", "[SEP]"]
    assert figures.readable_tokens(bert) == bert  # already BERT's convention
    labels = figures.token_labels(["▁<b>", "x"])
    assert labels == ["0 &lt;b&gt;", "1 ##x"]
    fig = figures.attention_heatmap(np.eye(2), ["▁a", "b"], ["▁a", "b"], title="t")
    assert list(fig.data[0].x) == ["0 a", "1 ##b"]


def test_the_menu_has_sections_and_material_icons_only():
    from app.navigation import PAGES, SECTIONS, by_section

    assert all(p.icon.startswith(":material/") and p.icon.endswith(":") for p in PAGES)
    assert all(p.section in SECTIONS for p in PAGES)
    grouped = by_section()
    assert sum(len(pages) for pages in grouped.values()) == len(PAGES)
    assert all(grouped[s] for s in SECTIONS)  # no empty section in the menu


def test_the_architecture_diagram_is_drawn_from_the_models_sizes():
    from app.architecture import BLOCKS, ENCODER_PATH, TRANSLATOR_PATH, blocks_for, diagram
    from model.analysis.anatomy import Architecture

    arch = Architecture("translator", "a model", n_layers=7, n_heads=5, d_model=40, d_ff=123,
                        vocab=999, activation="relu", positions="sinusoidal",
                        segments=False, lm_head=True)  # fmt: skip
    figure = diagram(arch, "ffn")
    assert figure.layout.title.text == "a model"
    labels = [t for trace in figure.data if trace.mode == "text" for t in trace.text]
    assert labels.count("7 x") == 2 and "Linear (to 999)" in labels
    assert "<b>Feed-forward</b>" in labels  # the current block is the one lit
    assert "Multi-head attention" in labels and "Cross-attention" in labels
    clickable = next(trace for trace in figure.data if trace.name == "blocks")
    assert set(clickable.customdata) <= set(BLOCKS) and "cross" in clickable.customdata
    encoder = Architecture("bert", "b", 2, 2, 8, 16, 30, "gelu", "learned", True, False)
    clickable = next(t for t in diagram(encoder, "input").data if t.name == "blocks")
    assert "cross" not in clickable.customdata and "No LM head here" in str(diagram(encoder, "x"))
    assert set(TRANSLATOR_PATH) <= set(BLOCKS) and set(ENCODER_PATH) <= set(TRANSLATOR_PATH)
    assert blocks_for(encoder) == ENCODER_PATH and blocks_for(arch)[: len(TRANSLATOR_PATH)] == (
        TRANSLATOR_PATH
    )
