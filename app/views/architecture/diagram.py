"""The two drawings of Inside the Transformer: the diagram of "Attention Is All You Need"
drawn from a model's own sizes (a click on a box opens its block), and the beam search tree.
Pure Plotly (no Streamlit)."""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from app.kit.figures import chart_title
from app.kit.tokens import readable_tokens
from app.views.architecture.blocks import BLOCKS
from model.analysis.anatomy import BeamNode, ModelSpec


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


def boxes_of(spec: ModelSpec) -> list[Box]:
    emb = "Input embedding" + (" + segment" if spec.segments else "")
    pos = "Positional encoding" if spec.positions == "sinusoidal" else "Learned positions"
    boxes = [
        Box("enc.embed", emb, 0, 0, "input", _EMBED),
        Box("enc.position", pos, 0, 1, "position", _EMBED),
        Box("enc.attention", "Multi-head attention", 0, 2.3, "mha", _ATTN),
        Box("enc.norm1", "Add & Norm", 0, 3.2, "addnorm-attention", _NORM),
        Box("enc.ffn", "Feed-forward", 0, 4.1, "ffn", _SUBLAYER),
        Box("enc.norm2", "Add & Norm", 0, 5.0, "addnorm-ffn", _NORM),
        Box("enc.output", "Encoder output", 0, 6.3, "encoder-output", _OUT),
    ]
    if spec.decoder:
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
            Box("dec.linear", f"Linear (to {spec.vocab:,})", x, 8.1, "linear", _OUT),
            Box("dec.softmax", "Softmax", x, 9.0, "softmax", _OUT),
            Box("dec.word", "The chosen word", x, 9.9, "word", _OUT),
        ]  # fmt: skip
    else:
        note = f"Linear (to {spec.vocab:,})" if spec.lm_head else "No LM head here"
        boxes.append(Box("dec.linear", note, 0, 7.4, "linear", "#eeeeee"))
    return boxes


def _stack_frame(x: float, bottom: float, top: float) -> dict:
    """The dotted frame around a stack's repeated layer."""
    return {
        "type": "rect", "x0": x - _W / 2 - 0.1, "x1": x + _W / 2 + 0.1, "y0": bottom, "y1": top,
        "line": {"color": "#888888", "dash": "dot", "width": 1.5}, "layer": "below",
    }  # fmt: skip


def diagram(spec: ModelSpec, current: str, large: bool = False) -> go.Figure:
    """The architecture drawn from the model's sizes; the current block's box outlined. Each
    box carries an invisible point whose customdata is the block a click opens.

    Labels and arrows are scatter traces, not annotations: the browser redraws this figure
    on every block change, and 40 annotations took it 0.2-0.4 s; the figure is built in one
    go for the same reason (grown shape by shape, it took 0.2 s to validate). `large`: labels
    for a projector. The sizes (layers, heads, widths) are the page's caption, which wraps."""
    boxes = boxes_of(spec)
    lit = BLOCKS[current].box if current in BLOCKS else ""
    shapes = [_stack_frame(0, 1.85, 5.45)]
    texts: list[tuple[float, float, str]] = [(-_W / 2 - 0.2, 3.65, f"{spec.n_layers} x")]
    lines_x: list[float | None] = []
    lines_y: list[float | None] = []
    heads: list[tuple[float, float, str]] = []  # arrow tips: x, y, direction

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        lines_x.extend([x0, x1, None])
        lines_y.extend([y0, y1, None])
        heads.append((x1, y1, "triangle-up" if x0 == x1 else "triangle-right"))

    if spec.decoder:
        shapes.append(_stack_frame(_DEC_X, 1.85, 7.25))
        texts.append((_DEC_X + _W / 2 + 0.2, 4.55, f"{spec.n_layers} x"))
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
            "title": {"text": html.escape(spec.name)},
            "shapes": shapes,
            "height": int(120 + (78 if large else 62) * top),
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
            "xaxis": {"visible": False, "range": [-1.6, _DEC_X + 1.6 if spec.decoder else 1.6]},
            "yaxis": {"visible": False, "range": [-0.5, top]},
            "dragmode": False,
            "hovermode": "closest",
            "plot_bgcolor": "#ffffff",
        },
    )


# -- the beam search tree ---------------------------------------------------------------------
def beam_tree(nodes: Sequence[BeamNode], ranks: int | None = None) -> go.Figure:
    """Steps left to right; each step's candidates top to bottom, best first. Kept beams are
    filled, hypotheses ended by the end token are stars, pruned candidates hollow and grey;
    each candidate is linked to the beam it extends (a pruned one by a dotted line). Kept and
    ended beams are labelled, above their mark on even steps and below it on odd ones, so
    neighbouring steps' words never meet; a pruned candidate names itself on hover. With
    `ranks`, only each step's best `ranks` candidates (a tree that fits a projector's
    window: every beam kept is among them, as ranks is at least the beam width)."""
    if ranks is not None:
        nodes = [n for n in nodes if n.index < ranks]
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
