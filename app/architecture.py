"""The architecture page's blocks, its lecture path, and its two drawings: the diagram of
"Attention Is All You Need" drawn from a model's own sizes, and the beam search tree.

Pure (no Streamlit): the page script (pages/architecture.py) renders, tests read the path.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from app.figures import chart_title, readable_tokens
from model.analysis.anatomy import Architecture, BeamNode


@dataclass(frozen=True)
class Block:
    id: str  # in the URL: ?block=...
    title: str
    box: str  # the diagram box that lights up for it
    formula: str  # LaTeX
    says: str  # one or two plain sentences


BLOCKS: dict[str, Block] = {
    b.id: b
    for b in (
        Block("input", "Input embedding", "enc.embed",
              r"x_i = E[\mathrm{token}_i]\,\sqrt{d_{model}}",
              "Each token is looked up in a table of learned vectors, one row per piece of the "
              "vocabulary. This row is all the model knows about the token before any attention."),
        Block("position", "Positional encoding", "enc.position",
              r"PE_{(pos,2i)} = \sin\!\big(pos/10000^{2i/d}\big),\ "
              r"PE_{(pos,2i+1)} = \cos\!\big(pos/10000^{2i/d}\big)",
              "Attention by itself ignores word order, so a vector that depends only on the "
              "position is added to each token's embedding. The sum is what enters layer 1."),
        Block("qkv", "Queries, keys and values", "enc.attention",
              r"Q = X W^Q_h,\quad K = X W^K_h,\quad V = X W^V_h",
              "Every head projects each token three ways: a query (what it looks for), a key "
              "(what it offers) and a value (what it passes on)."),
        Block("sdpa", "Scaled dot-product attention", "enc.attention",
              r"\mathrm{Attention}(Q,K,V) = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_k}}"
              r" + M\Big)V",
              "Each query is compared with every key; the scores are scaled, masked and turned "
              "into weights that sum to 1, and the output is the weighted mix of the values."),
        Block("mha", "Multi-head attention", "enc.attention",
              r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h)"
              r"\,W^O",
              "The heads attend in parallel, each in its own small space. Their outputs are "
              "joined and projected back to d_model numbers per token."),
        Block("addnorm-attention", "Add & Norm (after attention)", "enc.norm1",
              r"\begin{aligned} s &= x + \mathrm{Sublayer}(x) \\ \mathrm{LayerNorm}(s) &= "
              r"\gamma\,\frac{s-\mu}{\sqrt{\sigma^2+\epsilon}} + \beta \end{aligned}",
              "The sublayer's output is added to its input (the residual connection), then each "
              "token's vector is normalised to mean 0 and variance 1 and rescaled."),
        Block("ffn", "Feed-forward", "enc.ffn",
              r"\mathrm{FFN}(x) = \mathrm{act}(x W_1 + b_1)\,W_2 + b_2",
              "The same two-layer network runs on every token on its own: it widens the vector "
              "to d_ff units, switches many of them off, and narrows it back."),
        Block("addnorm-ffn", "Add & Norm (after feed-forward)", "enc.norm2",
              r"\mathrm{LayerNorm}(x + \mathrm{FFN}(x))",
              "A second residual connection and normalisation close the layer; its output is "
              "the next layer's input."),
        Block("encoder-output", "Encoder output", "enc.output",
              r"\mathrm{memory} = \mathrm{Encoder}_N(\dots\mathrm{Encoder}_1(x))",
              "After the last layer every source token is one vector that has mixed in the "
              "whole sentence. The decoder reads these vectors as keys and values."),
        Block("output-input", "Output embedding (shifted right)", "dec.embed",
              r"y_t = E[\mathrm{token}_{t-1}]\,\sqrt{d_{model}}",
              "The decoder's input at each step is the word it chose at the step before, "
              "starting from a start token."),
        Block("output-position", "Positional encoding (decoder)", "dec.position",
              r"y_t + PE_t",
              "The decoder adds the same sinusoids, so it knows how far into the translation "
              "it is."),
        Block("masked", "Masked self-attention", "dec.masked",
              r"\mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_k}} + M\Big)V,\ "
              r"M_{ij} = -\infty \text{ for } j > i",
              "The decoder attends over the words produced so far, never ahead: the mask "
              "removes the future, so training and generation see the same thing."),
        Block("addnorm-masked", "Add & Norm (after masked attention)", "dec.norm1",
              r"\mathrm{LayerNorm}(y + \mathrm{MaskedMHA}(y))",
              "The same residual add and normalisation as in the encoder."),
        Block("cross", "Cross-attention", "dec.cross",
              r"\mathrm{softmax}\!\Big(\frac{Q_{dec}K_{enc}^\top}{\sqrt{d_k}}\Big)V_{enc}",
              "Queries come from the decoder, keys and values from the encoder output: at each "
              "step the decoder looks back at the source sentence."),
        Block("addnorm-cross", "Add & Norm (after cross-attention)", "dec.norm2",
              r"\mathrm{LayerNorm}(y + \mathrm{CrossMHA}(y, \mathrm{memory}))",
              "Residual add and normalisation once more."),
        Block("decoder-ffn", "Feed-forward (decoder)", "dec.ffn",
              r"\mathrm{FFN}(y) = \mathrm{act}(y W_1 + b_1)\,W_2 + b_2",
              "The decoder's own feed-forward network, again token by token."),
        Block("addnorm-decoder-ffn", "Add & Norm (decoder, last)", "dec.norm3",
              r"\mathrm{LayerNorm}(y + \mathrm{FFN}(y))",
              "Its output, at the top of the last layer, is what the output layer reads."),
        Block("linear", "Linear", "dec.linear",
              r"z = h\,W_{vocab} + b \in \mathbb{R}^{|V|}",
              "A linear map turns the decoder's last vector into one score (a logit) for every "
              "piece of the vocabulary."),
        Block("softmax", "Softmax", "dec.softmax",
              r"p_i = \frac{e^{z_i}}{\sum_j e^{z_j}}",
              "The softmax turns the logits into probabilities over the vocabulary."),
        Block("word", "The chosen word", "dec.word",
              r"w_t = \arg\max_i p_i",
              "Greedy decoding takes the likeliest piece, feeds it back as the next input and "
              "repeats until the end token."),
        Block("beam", "Beam search", "dec.word",
              r"\mathrm{score}(y_{1..t}) = \sum_{s \le t} \log p(y_s \mid y_{<s}, x)",
              "Beam search keeps the few best partial translations at each step instead of one, "
              "and prunes the rest; a word that looked second best can win in the end."),
    )
}  # fmt: skip

# A BERT encoder's input differs: learned positions and a segment embedding, no scaling,
# and a layer norm before layer 1.
BERT_INPUT: dict[str, tuple[str, str]] = {
    "input": (
        r"x_i = E_{tok}[\mathrm{token}_i] + E_{seg}[\mathrm{segment}_i]",
        "Each token is looked up in a table of learned vectors; a second table adds which "
        "segment (first or second text) it belongs to.",
    ),
    "position": (
        r"h^{(0)}_i = \mathrm{LayerNorm}\big(E_{tok}[\mathrm{token}_i] + E_{pos}[i] + "
        r"E_{seg}[\mathrm{segment}_i]\big)",
        "BERT learns one vector per position instead of using sinusoids. The three are added "
        "and normalised: that is what enters layer 1.",
    ),
}


def text_for(block: Block, arch: Architecture) -> tuple[str, str]:
    """The block's formula and sentences, for this model."""
    if arch.kind == "bert" and block.id in BERT_INPUT:
        return BERT_INPUT[block.id]
    return block.formula, block.says


# The order the lecture decks teach the blocks in ("Next block" walks it).
TRANSLATOR_PATH: tuple[str, ...] = (
    "input", "position", "qkv", "sdpa", "mha", "addnorm-attention", "ffn", "addnorm-ffn",
    "encoder-output", "masked", "cross", "linear", "softmax", "word", "beam",
)  # fmt: skip
ENCODER_PATH: tuple[str, ...] = (
    "input", "position", "qkv", "sdpa", "mha", "addnorm-attention", "ffn", "addnorm-ffn",
    "encoder-output", "linear",
)  # fmt: skip
DECODER_ONLY = frozenset(BLOCKS) - set(ENCODER_PATH)


def path_for(arch: Architecture) -> tuple[str, ...]:
    return TRANSLATOR_PATH if arch.decoder else ENCODER_PATH


def blocks_for(arch: Architecture) -> tuple[str, ...]:
    """Every block a model has, the lecture path first, then the others in diagram order."""
    path = path_for(arch)
    extra = [b for b in BLOCKS if b not in path and (arch.decoder or b not in DECODER_ONLY)]
    return (*path, *extra)


# -- the diagram -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    id: str
    label: str
    x: float
    y: float
    block: str  # opened by a click on it
    fill: str


_SUBLAYER, _NORM, _EMBED, _OUT = "#fde2c8", "#fff6bf", "#f7d6e0", "#d8ecd5"
_ATTN = "#ffd8a8"
_W, _H = 2.0, 0.62  # box size in axis units
_DEC_X = 2.7  # the decoder column


def boxes_of(arch: Architecture) -> list[Box]:
    emb = "Input embedding" + (" + segment" if arch.segments else "")
    pos = "Positional encoding" if arch.positions == "sinusoidal" else "Learned positions"
    boxes = [
        Box("enc.embed", emb, 0, 0, "input", _EMBED),
        Box("enc.position", pos, 0, 1, "position", _EMBED),
        Box("enc.attention", "Multi-head attention", 0, 2.3, "mha", _ATTN),
        Box("enc.norm1", "Add & Norm", 0, 3.2, "addnorm-attention", _NORM),
        Box("enc.ffn", "Feed-forward", 0, 4.1, "ffn", _SUBLAYER),
        Box("enc.norm2", "Add & Norm", 0, 5.0, "addnorm-ffn", _NORM),
        Box("enc.output", "Encoder output", 0, 6.3, "encoder-output", _OUT),
    ]
    if arch.decoder:
        x = _DEC_X
        boxes += [
            Box("dec.embed", "Output embedding", x, 0, "output-input", _EMBED),
            Box("dec.position", pos, x, 1, "output-position", _EMBED),
            Box("dec.masked", "Masked attention", x, 2.3, "masked", _ATTN),
            Box("dec.norm1", "Add & Norm", x, 3.2, "addnorm-masked", _NORM),
            Box("dec.cross", "Cross-attention", x, 4.1, "cross", _ATTN),
            Box("dec.norm2", "Add & Norm", x, 5.0, "addnorm-cross", _NORM),
            Box("dec.ffn", "Feed-forward", x, 5.9, "decoder-ffn", _SUBLAYER),
            Box("dec.norm3", "Add & Norm", x, 6.8, "addnorm-decoder-ffn", _NORM),
            Box("dec.linear", f"Linear (to {arch.vocab:,})", x, 8.1, "linear", _OUT),
            Box("dec.softmax", "Softmax", x, 9.0, "softmax", _OUT),
            Box("dec.word", "The chosen word", x, 9.9, "word", _OUT),
        ]  # fmt: skip
    else:
        note = f"Linear (to {arch.vocab:,})" if arch.lm_head else "No LM head here"
        boxes.append(Box("dec.linear", note, 0, 7.4, "linear", "#eeeeee"))
    return boxes


def _stack_frame(x: float, bottom: float, top: float) -> dict:
    """The dotted frame around a stack's repeated layer."""
    return {
        "type": "rect", "x0": x - _W / 2 - 0.1, "x1": x + _W / 2 + 0.1, "y0": bottom, "y1": top,
        "line": {"color": "#888888", "dash": "dot", "width": 1.5}, "layer": "below",
    }  # fmt: skip


def diagram(arch: Architecture, current: str, large: bool = False) -> go.Figure:
    """The architecture drawn from the model's sizes; the current block's box outlined. Each
    box carries an invisible point whose customdata is the block a click opens.

    Labels and arrows are scatter traces, not annotations: the browser redraws this figure
    on every block change, and 40 annotations took it 0.2-0.4 s; the figure is built in one
    go for the same reason (grown shape by shape, it took 0.2 s to validate). `large`: labels
    for a projector. The sizes (layers, heads, widths) are the page's caption, which wraps."""
    boxes = boxes_of(arch)
    lit = BLOCKS[current].box if current in BLOCKS else ""
    shapes = [_stack_frame(0, 1.85, 5.45)]
    texts: list[tuple[float, float, str]] = [(-_W / 2 - 0.2, 3.65, f"{arch.n_layers} x")]
    lines_x: list[float | None] = []
    lines_y: list[float | None] = []
    heads: list[tuple[float, float, str]] = []  # arrow tips: x, y, direction

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        lines_x.extend([x0, x1, None])
        lines_y.extend([y0, y1, None])
        heads.append((x1, y1, "triangle-up" if x0 == x1 else "triangle-right"))

    if arch.decoder:
        shapes.append(_stack_frame(_DEC_X, 1.85, 7.25))
        texts.append((_DEC_X + _W / 2 + 0.2, 4.55, f"{arch.n_layers} x"))
        # the encoder's output feeds every cross-attention: across, then down
        lines_x.extend([_W / 2, _W / 2 + 0.3, _W / 2 + 0.3, None])
        lines_y.extend([6.3, 6.3, 4.1, None])
        arrow(_W / 2 + 0.3, 4.1, _DEC_X - _W / 2 - 0.03, 4.1)
    for box in boxes:
        chosen = box.id == lit
        shapes.append(
            {
                "type": "rect", "x0": box.x - _W / 2, "x1": box.x + _W / 2,
                "y0": box.y - _H / 2, "y1": box.y + _H / 2, "fillcolor": box.fill, "layer": "below",
                "line": {"color": "#c0392b" if chosen else "#555555", "width": 4 if chosen else 1},
            }
        )  # fmt: skip
        label = html.escape(box.label)
        texts.append((box.x, box.y, f"<b>{label}</b>" if chosen else label))
    for column in sorted({b.x for b in boxes}):  # arrows up each column
        ys = sorted(b.y for b in boxes if b.x == column)
        for low, high in itertools.pairwise(ys):
            arrow(column, low + _H / 2, column, high - _H / 2 - 0.04)
    traces = [
        go.Scatter(x=lines_x, y=lines_y, mode="lines", line={"color": "#666666", "width": 1.2},
                   hoverinfo="skip", showlegend=False),
        go.Scatter(x=[h[0] for h in heads], y=[h[1] for h in heads], mode="markers",
                   marker={"symbol": [h[2] for h in heads], "size": 8, "color": "#666666"},
                   hoverinfo="skip", showlegend=False),
        go.Scatter(x=[t[0] for t in texts], y=[t[1] for t in texts], mode="text",
                   text=[t[2] for t in texts],
                   textfont={"size": 17 if large else 13, "color": "#111111"},
                   hoverinfo="skip", showlegend=False),
        go.Scatter(
            x=[b.x for b in boxes], y=[b.y for b in boxes], mode="markers",
            marker={"size": 60, "opacity": 0.01, "symbol": "square"},
            customdata=[b.block for b in boxes],
            hovertext=[f"{b.label}: click to open" for b in boxes],
            hoverinfo="text", showlegend=False, name="blocks",
        ),
    ]  # fmt: skip
    top = max(b.y for b in boxes) + 0.6
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": html.escape(arch.name)},
            "shapes": shapes,
            "height": int(120 + (78 if large else 62) * top),
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
            "xaxis": {"visible": False, "range": [-1.6, _DEC_X + 1.6 if arch.decoder else 1.6]},
            "yaxis": {"visible": False, "range": [-0.5, top]},
            "dragmode": False,
            "hovermode": "closest",
            "plot_bgcolor": "#ffffff",
        },
    )


def clicked_block(point: dict) -> str | None:
    block = point.get("customdata")
    return block if block in BLOCKS else None


# -- the beam search tree ---------------------------------------------------------------------
def beam_tree(nodes: Sequence[BeamNode]) -> go.Figure:
    """Steps left to right; each step's candidates top to bottom, best first. Kept beams are
    filled, hypotheses ended by the end token are stars, pruned candidates hollow and grey;
    each candidate is linked to the beam it extends (a pruned one by a dotted line). Kept and
    ended beams are labelled, above their mark on even steps and below it on odd ones, so
    neighbouring steps' words never meet; a pruned candidate names itself on hover."""
    by_step: dict[int, list[BeamNode]] = {}
    for node in nodes:
        by_step.setdefault(node.step, []).append(node)
    figure = go.Figure()
    for pruned, line in ((True, {"color": "#cccccc", "width": 1, "dash": "dot"}),
                         (False, {"color": "#888888", "width": 1.5})):  # fmt: skip
        edge_x: list[float | None] = []
        edge_y: list[float | None] = []
        for node in nodes:
            if node.parent is not None and (node.fate == "pruned") == pruned:
                edge_x += [node.step - 1, node.step, None]
                edge_y += [node.parent, node.index, None]
        figure.add_trace(
            go.Scatter(x=edge_x, y=edge_y, mode="lines", line=line, hoverinfo="skip",
                       showlegend=False)
        )  # fmt: skip
    styles = {
        "kept": {"symbol": "circle", "color": "#1f77b4", "size": 14},
        "finished": {"symbol": "star", "color": "#2ca02c", "size": 18},
        "pruned": {"symbol": "circle-open", "color": "#bbbbbb", "size": 11},
    }
    names = {"kept": "kept", "finished": "ended (EOS)", "pruned": "pruned"}
    for fate, style in styles.items():
        chosen = [n for n in nodes if n.fate == fate]
        if not chosen:
            continue
        figure.add_trace(
            go.Scatter(
                x=[n.step for n in chosen], y=[n.index for n in chosen],
                mode="markers" if fate == "pruned" else "markers+text",
                marker={"symbol": style["symbol"], "color": style["color"], "size": style["size"]},
                text=[html.escape(t) for t in readable_tokens([n.token for n in chosen], True)],
                textposition=[("top" if n.step % 2 == 0 else "bottom") + " center"
                              for n in chosen],
                name=names[fate],
                customdata=[[n.log_prob, n.score] for n in chosen],
                hovertemplate="step %{x}: %{text}<br>log p %{customdata[0]:.3f}"
                "<br>beam score %{customdata[1]:.3f}<extra></extra>",
            )
        )  # fmt: skip
    width = max((len(v) for v in by_step.values()), default=1)
    figure.update_layout(
        title=chart_title("Beam search: candidates weighed at each step, best first"),
        height=max(340, 150 + 66 * width),
        margin={"l": 10, "r": 10, "t": 50, "b": 70},
        xaxis={"title": {"text": "decoding step"}, "dtick": 1},
        yaxis={"title": {"text": "rank among the step's candidates"}, "autorange": "reversed",
               "dtick": 1},
        # below the plot: above it, the legend sat on a title that wraps in lecture mode
        legend={"orientation": "h", "y": -0.25, "yanchor": "top", "x": 1.0, "xanchor": "right"},
    )  # fmt: skip
    return figure
