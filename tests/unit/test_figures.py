import numpy as np
import plotly.graph_objects as go
import pytest

from app.kit import figures, tokens
from app.kit.figures import attention_heatmap
from app.kit.tokens import token_labels
from tests.app.helpers import one_colour_share


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
    from app.kit.figures import downsample

    matrix = np.arange(36.0).reshape(6, 6)
    small = downsample(matrix, 3)
    assert small.shape == (3, 3)
    assert small[0, 0] == matrix[:2, :2].mean() and small[2, 1] == matrix[4:, 2:4].mean()
    np.testing.assert_array_equal(downsample(matrix, 10), matrix)


def test_head_grid_sends_one_byte_per_cell_and_maps_clicks_back():
    from app.kit.figures import downsample, grid_cell, head_grid, quantise

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


def test_every_figure_escapes_a_label_exactly_once():
    """Token labels arrive escaped (`token_labels`), other labels as typed: either way the
    figure shows "<" and "&" as typed, never "&lt;" on screen or markup that renders."""
    escaped = tokens.token_labels(["<", "a&b"])
    typed = ["<b>bold</b>", "a&b"]
    shown = {"0 &lt;", "1 a&amp;b", "&lt;b&gt;bold&lt;/b&gt;", "a&amp;b"}
    for labels in (escaped, typed):
        bar = figures.bars([1.0, 2.0], labels, title="t")
        square = figures.matrix_heatmap(np.ones((2, 2)), labels, labels, title="t")
        for axis in (list(bar.data[0].x), list(square.data[0].x), list(square.data[0].y)):
            assert set(axis) <= shown and not any("&amp;lt;" in x for x in axis), axis
    assert tokens.token_names(["<", "a"]) == ["0 <", "1 a"]  # plain text for menus
    assert figures.chart_title("Units for 0 <")["text"] == "Units for 0 &lt;"


def test_token_lines_draw_only_weights_of_note_and_escape_tokens():
    from app.kit.figures import token_lines

    matrix = np.array([[0.9, 0.1, 0.0], [0.02, 0.03, 0.95], [0.5, 0.25, 0.25]])
    figure = token_lines(matrix, ["a", "<b>", "c"], ["a", "<b>", "c"], title="t")
    segments = sum(len([x for x in tr.x if x is None]) for tr in figure.data if tr.mode == "lines")
    assert segments == int((matrix >= 0.05).sum())
    texts = [t for tr in figure.data if tr.mode == "text" for t in tr.text]
    assert "&lt;b&gt;" in texts and "<b>" not in texts


def test_token_focus_rows_are_layer_head_pairs():
    from app.kit.figures import token_focus

    matrices = np.random.default_rng(1).dirichlet(np.ones(4), size=(2, 3, 4))
    figure = token_focus(matrices, token=2, key_tokens=list("abcd"), title="t")
    z = np.asarray(figure.data[0].z)
    assert z.shape == (6, 4)
    np.testing.assert_allclose(z[5], matrices[1, 2, 2], atol=1e-6)
    assert list(figure.data[0].y)[5] == "L1 H2"  # a head, not a numbered token
    assert figure.layout.yaxis.dtick == 1  # every head labelled


def test_lecture_mode_styles_every_heatmap_and_leaves_the_original():
    from app.kit.theme import LECTURE_COLORSCALE, style_figure

    figure = attention_heatmap(np.eye(2), ["a", "b"], ["a", "b"], title="t")
    styled = style_figure(figure, lecture=True)
    assert styled.layout.font.size == 20
    greys = go.Figure(go.Heatmap(z=[[0]], colorscale=LECTURE_COLORSCALE)).data[0].colorscale
    assert styled.data[0].colorscale == greys
    assert figure.layout.font.size is None  # the original is untouched
    assert style_figure(figure, lecture=False) is figure


def _font_sizes(spec) -> list[float]:
    """Every font size a figure's spec names, wherever it is nested."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key.endswith("font") and isinstance(value, dict) and "size" in value:
                found.append(value["size"])
            found += _font_sizes(value)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            found += _font_sizes(item)
    return found


def test_lecture_mode_sets_no_text_below_16_px():
    """Colour-bar titles (11 px), crowded tick labels (9 px) and the lens's cell labels
    (10 px) all read from the back row in lecture mode."""
    from app.kit.theme import LECTURE_MIN_TEXT, style_figure

    rng = np.random.default_rng(0)
    figures_ = [
        figures.matrix_heatmap(rng.normal(size=(50, 50)), [f"t{i}" for i in range(50)],
                               [f"t{i}" for i in range(50)], title="t"),
        figures.layer_grid(rng.random((6, 12)), [f"w{i}" for i in range(12)], "lens",
                           text=[["B-sportsteam"] * 12 for _ in range(6)]),
    ]  # fmt: skip
    for figure in figures_:
        assert min(_font_sizes(figure.to_plotly_json())) < LECTURE_MIN_TEXT  # as drawn
        styled = style_figure(figure, lecture=True).to_plotly_json()
        assert min(_font_sizes(styled)) >= LECTURE_MIN_TEXT


def test_lecture_mode_cuts_cell_labels_to_their_cells_and_draws_them_black():
    from app.kit.theme import LECTURE_LABEL_SCALE, abbreviate, style_figure

    labels = [["B-sportsteam", "<b>x"]] * 3
    wide = figures.layer_grid(np.full((3, 2), 0.5), ["a", "b"], "lens", text=labels)
    trace = style_figure(wide, lecture=True).data[0]
    assert [list(row) for row in trace.text] == [["B-sportsteam", "&lt;b&gt;x"]] * 3  # whole
    assert trace.textfont.color == "#000000"
    assert [list(stop) for stop in trace.colorscale] == LECTURE_LABEL_SCALE
    crowded = figures.layer_grid(np.full((3, 14), 0.5), list("abcdefghijklmn"), "lens",
                                 text=[["B-sportsteam"] * 14] * 3)  # fmt: skip
    cut = style_figure(crowded, lecture=True).data[0].text[0][0]
    assert cut.endswith("…") and "B-sportsteam".startswith(cut[:-1]) and len(cut) < 12
    dense = figures.layer_grid(np.full((3, 80), 0.5), [str(i) for i in range(80)], "lens",
                               text=[["O"] * 80] * 3)  # fmt: skip
    assert not style_figure(dense, lecture=True).data[0].texttemplate  # hover only
    assert abbreviate("&lt;b&gt;xyz", 3) == "&lt;b…"  # an entity is never cut in half
    assert abbreviate("&amp;", 1) == "&amp;"


def test_lecture_mode_keeps_katex_scripts_at_16_px():
    """A subscript (KaTeX's size 3 under size 6: 0.7 em) keeps its ratio but not below 16 px,
    for every shrinking pair of KaTeX's 11 sizes; a growing pair is left alone."""
    from app.kit.theme import KATEX_MINIMUM

    rules = KATEX_MINIMUM.splitlines()
    assert len(rules) == 55
    subscript = [r for r in rules if r.startswith(".katex .sizing.reset-size6.size3,")]
    assert len(subscript) == 1 and "font-size: max(16px, 0.70000em)" in subscript[0]
    assert not any(".reset-size3.size6" in r for r in rules)


def test_start_end_scores_pair_each_token_with_its_two_scores():
    from app.kit.figures import start_end_scores

    figure = start_end_scores(["mary", "<b>"], [1.0, 2.0], [0.5, 3.0], title="t")
    assert [t.name for t in figure.data] == ["start", "end"]
    assert list(figure.data[1].y) == [0.5, 3.0]
    assert list(figure.data[0].x) == ["0 mary", "1 &lt;b&gt;"]


def test_token_labels_show_word_boundaries_one_way_and_keep_specials():
    sentencepiece = ["▁The", "▁cat", "s", "▁", "[EOS]", "<pad>"]
    assert tokens.readable_tokens(sentencepiece) == ["The", "cat", "##s", "␣", "[EOS]", "<pad>"]
    assert tokens.readable_tokens(["ĠHello", "Ġworld", "!"]) == ["Hello", "world", "##!"]
    bert = ["[CLS]", "play", "##ing", "[SEP]"]
    assert tokens.readable_tokens(bert) == bert  # already BERT's convention
    labels = tokens.token_labels(["▁<b>", "x"])
    assert labels == ["0 &lt;b&gt;", "1 ##x"]
    fig = figures.attention_heatmap(np.eye(2), ["▁a", "b"], ["▁a", "b"], title="t")
    assert list(fig.data[0].x) == ["0 a", "1 ##b"]


def test_tokens_join_back_into_the_text_they_stand_for():
    assert "".join(tokens.as_text(["▁The", "▁cat", "s", "[EOS]"])) == " The cats [EOS]"
    assert "".join(tokens.as_text(["[CLS]", "play", "##ing", "now", "[SEP]"])) == (
        " [CLS] playing now [SEP]"
    )
    assert "".join(tokens.as_text(["ĠHello", "Ġworld", "!"])) == " Hello world!"


def test_the_menu_has_sections_and_material_icons_only():
    from app.serving.navigation import PAGES, SECTIONS, by_section

    assert all(p.icon.startswith(":material/") and p.icon.endswith(":") for p in PAGES)
    assert all(p.section in SECTIONS for p in PAGES)
    grouped = by_section()
    assert sum(len(pages) for pages in grouped.values()) == len(PAGES)
    assert all(grouped[s] for s in SECTIONS)  # no empty section in the menu


def test_the_architecture_diagram_is_drawn_from_the_models_sizes():
    from app.views.architecture.blocks import BLOCKS, ENCODER_PATH, TRANSLATOR_PATH, blocks_for
    from app.views.architecture.diagram import diagram
    from model.analysis.anatomy import ModelSpec

    arch = ModelSpec("translator", "a model", n_layers=7, n_heads=5, d_model=40, d_ff=123,
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
    encoder = ModelSpec("bert", "b", 2, 2, 8, 16, 30, "gelu", "learned", True, False)
    clickable = next(t for t in diagram(encoder, "input").data if t.name == "blocks")
    assert "cross" not in clickable.customdata and "No LM head here" in str(diagram(encoder, "x"))
    assert set(TRANSLATOR_PATH) <= set(BLOCKS) and set(ENCODER_PATH) <= set(TRANSLATOR_PATH)
    assert blocks_for(encoder) == ENCODER_PATH and blocks_for(arch)[: len(TRANSLATOR_PATH)] == (
        TRANSLATOR_PATH
    )


# -- what a projector and a newcomer see (issue 21) ---------------------------------------------
def labelled(axis) -> bool:
    """Whether a category axis labels every category (Plotly otherwise thins crowded ones)."""
    return axis.tickmode == "linear" and axis.dtick == 1 and axis.tick0 == 0


@pytest.mark.parametrize("n", [3, 13, 64])
def test_every_token_is_labelled_up_to_64(n):
    tokens = [f"t{i}" for i in range(n)]
    heat = attention_heatmap(np.full((n, n), 1 / n), tokens, tokens, title="t")
    assert labelled(heat.layout.xaxis) and labelled(heat.layout.yaxis)
    assert len(heat.data[0].x) == len(set(heat.data[0].x)) == n  # one category per token
    matrix = figures.matrix_heatmap(np.ones((n, 4)), tokens, ["a", "b", "c", "d"], title="t")
    assert labelled(matrix.layout.yaxis) and labelled(matrix.layout.xaxis)
    assert labelled(figures.bars(np.ones(n), tokens, title="t").layout.xaxis)
    scores = figures.start_end_scores(tokens, np.ones(n), np.ones(n), title="t")
    assert labelled(scores.layout.xaxis)


def test_past_64_tokens_plotly_picks_labels_and_the_map_is_square():
    tokens = [f"t{i}" for i in range(512)]
    heat = attention_heatmap(np.full((512, 512), 1 / 512), tokens, tokens, title="t")
    assert heat.layout.xaxis.dtick is None and heat.layout.xaxis.tickmode is None
    assert heat.layout.yaxis.scaleanchor == "x"  # square cells, so a square map
    assert heat.layout.height == 900
    assert "key %{x}" in heat.data[0].hovertemplate and "query %{y}" in heat.data[0].hovertemplate


def test_labels_carry_the_tokens_place_in_the_text():
    heat = attention_heatmap(
        np.eye(2), ["a", "b"], ["c", "d"], title="t", query_positions=[7, 9], key_positions=[3, 4]
    )
    assert list(heat.data[0].y) == ["7 a", "9 b"] and list(heat.data[0].x) == ["3 c", "4 d"]


def test_titles_push_the_margins_instead_of_overlapping_the_axes():
    """The title sits above the plot area and grows the top margin (Plotly's title.automargin
    with yref "paper"); the browser test measures that nothing overlaps."""
    for figure in (
        attention_heatmap(np.eye(2), ["a", "b"], ["a", "b"], title="t"),
        figures.matrix_heatmap(np.eye(2), [0, 1], [0, 1], title="t"),
        figures.bars([1, 2], ["a", "b"], title="t"),
        figures.curves({"x": [1, 2]}, "step", title="t"),
    ):
        title = figure.layout.title
        assert (title.automargin, title.yref, title.yanchor) == (True, "paper", "bottom")


def test_diverging_maps_scale_to_the_bulk_and_mark_the_outliers():
    rng = np.random.default_rng(0)
    # MiniLM's learned positions: 99% of values within +-0.07, one of 1.87
    matrix = rng.normal(0, 0.03, (64, 48)).astype(np.float32)
    matrix[3, 5] = 1.9
    figure = figures.matrix_heatmap(matrix, list(range(64)), list(range(48)), title="t")
    heat, marks = figure.data
    assert heat.zmid == 0 and heat.zmin == -heat.zmax
    assert 0.05 < heat.zmax < 0.1  # about the 99th percentile, not the outlier
    np.testing.assert_array_equal(heat.z, matrix)  # the numbers themselves are untouched
    beyond = np.abs(matrix) > heat.zmax
    assert len(marks.x) == beyond.sum()
    top = int(np.argmax(marks.customdata))  # the outlier's marker sits on its cell
    assert (marks.x[top], marks.y[top]) == (5, "3")
    assert max(marks.customdata) == pytest.approx(1.9, abs=1e-6)
    assert "max 1.9" in heat.colorbar.title.text and "min -" in heat.colorbar.title.text
    assert one_colour_share(heat.to_plotly_json()) < 0.95
    # before: a scale set by the outlier left the map nearly one colour
    plain = go.Heatmap(z=matrix, zmid=0.0, colorscale="RdBu").to_plotly_json()
    assert one_colour_share(plain) > 0.95


def test_the_sequential_scale_of_attention_is_unchanged():
    heat = attention_heatmap(np.eye(3), ["a", "b", "c"], ["a", "b", "c"], title="t").data[0]
    assert heat.zmin == 0 and heat.zmax is None and heat.colorscale[0][1] == "rgb(247,251,255)"


def test_lecture_mode_enlarges_cells_and_labels_and_keeps_diverging_colours():
    from app.kit.theme import LECTURE_SCALE, style_figure

    heat = attention_heatmap(np.eye(3), ["a", "b", "c"], ["a", "b", "c"], title="t")
    styled = style_figure(heat, lecture=True)
    assert styled.layout.height == round(heat.layout.height * LECTURE_SCALE)
    assert styled.layout.xaxis.tickfont.size > heat.layout.xaxis.tickfont.size
    assert styled.layout.title.automargin  # the title still pushes the margin
    pe = figures.matrix_heatmap(np.eye(3) - 0.5, [0, 1, 2], [0, 1, 2], title="t")
    assert style_figure(pe, lecture=True).data[0].colorscale == pe.data[0].colorscale


def test_lecture_mode_keeps_every_part_of_a_chart_readable_from_the_back():
    """Black tick labels and axis titles, long titles wrapped, the colour bar's title beside
    it, the grid's separators orange (white vanished between grey maps), lines thicker but
    still as unequal as their weights."""
    from app.kit.theme import LECTURE_SEPARATOR, TITLE_CHARS, style_figure

    heat = attention_heatmap(np.eye(3), list("abc"), list("abc"), title="word " * 20)
    styled = style_figure(heat, lecture=True)
    assert styled.layout.xaxis.tickfont.color == styled.layout.yaxis.title.font.color == "#000000"
    lines = styled.layout.title.text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= TITLE_CHARS for line in lines)
    assert styled.data[0].colorbar.title.side == "right"
    grid = style_figure(figures.head_grid(np.random.rand(2, 3, 4, 4)), lecture=True)
    assert grid.layout.shapes and {s.line.color for s in grid.layout.shapes} == {LECTURE_SEPARATOR}
    lines_figure = figures.token_lines(np.array([[0.9, 0.1], [0.3, 0.7]]), list("ab"), list("ab"),
                                       title="t")  # fmt: skip
    widths = {t.line.width for t in lines_figure.data if t.mode == "lines"}
    styled_widths = {t.line.width for t in style_figure(lines_figure, True).data
                     if t.mode == "lines"}  # fmt: skip
    assert len(styled_widths) == len(widths) > 1 and min(styled_widths) > min(widths)


def test_a_wide_map_of_few_rows_is_as_tall_as_its_rows_need():
    """A question (5 tokens) over its context (25): a strip under 250 px of blank space once."""
    context = list("abcdefghijklmnopqrstuvwxy")
    wide = attention_heatmap(np.ones((5, 25)) / 25, list("abcde"), context, title="t")
    square = attention_heatmap(np.eye(25), context, context, title="t")
    assert wide.layout.height < square.layout.height and wide.layout.height <= 400


def test_bounded_data_keeps_its_whole_range_and_marks_nothing():
    from model.transformer.positional import sinusoidal_encoding

    pe = sinusoidal_encoding(64, 128).numpy()
    figure = figures.matrix_heatmap(pe, list(range(64)), list(range(128)), title="PE")
    assert len(figure.data) == 1  # no outlier markers
    assert figure.data[0].zmax == pytest.approx(np.abs(pe).max())


def test_explanation_strips_scale_each_row_on_the_texts_own_tokens():
    rows = {"attention": np.array([0.9, 0.05, 0.1, 0.0]), "ig": np.array([0.0, -2.0, 1.0, 0.0])}
    figure = figures.explanation_strips(rows, ["[CLS]", "a", "b", "[SEP]"], title="t",
                                        scaled_on=[False, True, True, False])  # fmt: skip
    (trace,) = figure.data
    z = np.asarray(trace.z, dtype=np.float64)
    np.testing.assert_allclose(z[0], [1.0, 0.5, 1.0, 0.0])  # [CLS] clipped at the scale
    np.testing.assert_allclose(z[1], [0.0, -1.0, 0.5, 0.0])  # sign kept: lowers the output
    np.testing.assert_allclose(np.asarray(trace.customdata), np.stack(list(rows.values())),
                               rtol=1e-6)  # the hover has the values as computed  # fmt: skip
    assert list(trace.y) == ["attention", "ig"] and trace.zmid == 0


def test_a_beam_tree_cut_to_its_best_ranks_keeps_every_beam_and_its_links():
    from app.views.architecture.diagram import beam_tree
    from model.analysis.anatomy import BeamNode

    nodes = [BeamNode(0, i, None, f"w{i}", -i, -i, "kept" if i < 2 else "pruned")
             for i in range(6)]  # fmt: skip
    nodes += [BeamNode(1, i, i % 2, f"v{i}", -i, -i, "finished" if i == 0 else "pruned")
              for i in range(6)]  # fmt: skip
    whole, cut = beam_tree(nodes), beam_tree(nodes, ranks=3)
    points = lambda f: sorted(y for t in f.data if t.mode != "lines" for y in t.y)  # noqa: E731
    assert points(whole) == sorted([*range(6)] * 2) and points(cut) == sorted([*range(3)] * 2)
    edges = [y for t in cut.data if t.mode == "lines" for y in t.y if y is not None]
    assert max(edges) < 3  # no line to a candidate that is not drawn
    assert cut.layout.height < whole.layout.height
