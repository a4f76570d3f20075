"""The views of the blocks a token's vector passes through: the input and its positions,
attention (projections, scores, heads), Add & Norm, the feed-forward, the encoder's output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app.kit import explore, figures, widgets
from app.kit.tokens import readable_tokens, token_names
from app.views.architecture.shown import Shown, head_choice, tabs, vectors
from model.analysis import anatomy as an
from model.core.hooks import Stack


# -- the input ---------------------------------------------------------------------------------
def input_view(shown: Shown) -> None:
    spec, cap, labels = shown.spec, shown.cap, shown.labels("encoder")
    if spec.positions == "sinusoidal":
        vectors(cap.embeddings["encoder.token"][0].numpy(), labels,
                f"Token embeddings x sqrt({spec.d_model}) = {np.sqrt(spec.d_model):.1f}",
                "arch_input_token")  # fmt: skip
    else:
        segments = sorted(set(shown.anatomy.segments))
        tabs(shown, {
            "Token embeddings": lambda: vectors(
                cap.embeddings["token"][0].numpy(), labels, "Token embeddings", "arch_input_token"),
            "Segment embeddings": lambda: vectors(
                cap.embeddings["segment"][0].numpy(), labels,
                f"Segment embeddings (segments {segments})", "arch_input_segment"),
        })  # fmt: skip
    st.caption(f"{len(labels)} tokens x d_model = {spec.d_model} numbers each.")


def position_view(shown: Shown) -> None:
    """The positions (or, for the decoder's "output-input", its input embeddings), and their
    sum with the tokens: what enters layer 0."""
    spec, cap, stack = shown.spec, shown.cap, shown.block.stack
    labels = shown.labels(stack)
    prefix = "decoder." if stack == "decoder" else ("encoder." if spec.decoder else "")
    if shown.block.id == "output-input":
        name = "Decoder input embeddings"
        part, title = "token", "Decoder input embeddings (the previous word at each step)"
    elif spec.positions == "sinusoidal":
        name = title = "Positional encoding (sinusoids)"
        part = "position"
    else:
        name = title = "Learned position embeddings"
        part = "position"
    side: Stack = "decoder" if stack == "decoder" else "encoder"
    entering = cap.joined(side, 0, "attention", "residual")[0].numpy()
    if spec.kind == "bert":
        sum_title = "LayerNorm(token + position + segment): what enters layer 0"
    else:
        sum_title = "Embedding + positional encoding: what enters layer 0"
    tabs(shown, {
        name: lambda: vectors(cap.embeddings[f"{prefix}{part}"][0].numpy(), labels, title,
                              f"arch_{prefix}{part}"),
        "What enters layer 0": lambda: vectors(entering, labels, sum_title, "arch_entering"),
    })  # fmt: skip


# -- attention ---------------------------------------------------------------------------------
def projections_view(shown: Shown) -> None:
    head, layer = head_choice(shown), shown.layer
    record = shown.cap.record("encoder", layer)
    assert record.q is not None and record.k is not None and record.v is not None
    labels = shown.labels("encoder")

    def projection(name: str, tensor: torch.Tensor) -> Callable[[], None]:
        return lambda: vectors(
            tensor[0, head].numpy(), labels,
            f"{name} of head {head}, layer {layer} (d_k = {tensor.shape[-1]})",
            f"arch_{name.lower()}",
        )  # fmt: skip

    tabs(shown, {
        "Queries Q": projection("Q", record.q),
        "Keys K": projection("K", record.k),
        "Values V": projection("V", record.v),
    })  # fmt: skip


def scores_view(shown: Shown) -> None:
    head = head_choice(shown)
    record = shown.cap.record("encoder", shown.layer)
    assert record.scores is not None
    source = list(shown.anatomy.source)
    labels = shown.labels("encoder")
    scores = record.scores[0, head].numpy()
    finite = np.where(np.isfinite(scores) & (scores > -1e4), scores, np.nan)
    tabs(shown, {
        "Scores": lambda: widgets.chart(
            figures.matrix_heatmap(finite, labels, labels,
                                   title=f"QK^T / sqrt(d_k) + mask, head {head}"),
            key="arch_scores"),
        "Weights (softmax)": lambda: widgets.chart(
            figures.attention_heatmap(record.probs[0, head].numpy(), source, source,
                                      title=f"softmax: head {head}'s weights"),
            key="arch_probs"),
    })  # fmt: skip
    st.page_link("../pages/step_by_step.py", label="Every step for one token, in detail",
                 icon=":material/calculate:")  # fmt: skip


def heads_view(shown: Shown) -> None:
    """Multi-head, masked and cross-attention: a layer's heads side by side (each opening the
    explorer), at one decoding step, and the sublayer's output."""
    cap, spec, layer, step = shown.cap, shown.spec, shown.layer, shown.step
    stack, _ = shown.sublayer
    rows, cols = cap.axis_tokens(stack)
    if stack == "encoder":
        matrices = cap.layer("encoder", layer).numpy()
        output = cap.block("encoder", layer, "attention").output[0].numpy()
    else:
        matrices = cap.matrices(stack)[layer].numpy()  # every step's row, put together
        output = cap.joined(stack, layer, "attention", "output")[0].numpy()

    def this_step() -> None:
        weights = cap.record(stack, layer, step).probs[0, :, 0].numpy()  # (heads, seen)
        query = readable_tokens([shown.anatomy.target[step]], marked=True)[0]
        widgets.chart(
            figures.attention_heatmap(
                weights, [f"head {h}" for h in range(spec.n_heads)],
                list(cols[: weights.shape[-1]]),
                title=f"Step {step}: each head's weights for the query '{query}'",
                zmax=1.0, query_title="head (one query)",
            ),
            key=f"arch_step_{stack}",
        )  # fmt: skip
        if stack == "decoder":
            st.caption(
                f"At step {step} the decoder has seen {step + 1} inputs; the later "
                "positions do not exist yet (the look-ahead mask in a training batch)."
            )

    def every_head() -> None:
        widgets.chart(figures.head_grid(matrices[None]), key=f"arch_heads_{stack}")
        st.caption(
            f"Layer {layer}: the {spec.n_heads} heads left to right ({len(rows)} queries x "
            f"{len(cols)} keys each). Open one in the explorer:"
        )
        buttons = st.columns(min(spec.n_heads, 12))
        for h in range(spec.n_heads):
            if buttons[h % len(buttons)].button(f"H{h}", key=f"arch_open_{stack}_{h}"):
                explore.open_explorer(shown.model, shown.text, stack, layer, h)

    views = {} if stack == "encoder" else {f"Step {step}": this_step}
    views["Every head" if stack == "encoder" else "Every step, every head"] = every_head
    views["Sublayer output"] = lambda: vectors(
        output, shown.labels(stack), f"The sublayer's output (after W_O), layer {layer}",
        f"arch_out_{stack}",
    )  # fmt: skip
    tabs(shown, views)


# -- Add & Norm, feed-forward, the encoder's output --------------------------------------------
def stream_chart(shown: Shown, side: Literal["encoder", "decoder"], title: str, key: str) -> None:
    """Each token's norm along a side's residual stream."""
    names, norms = an.stream_norms(shown.anatomy, side)
    labels = shown.labels(side)
    widgets.chart(
        figures.curves(
            {label: norms[i] for i, label in enumerate(labels)},
            x_title="point along the stream",
            title=title,
        ).update_xaxes(tickvals=list(range(len(names))), ticktext=names, tickangle=-45),
        key=key,
    )


def add_norm_view(shown: Shown) -> None:
    cap, layer = shown.cap, shown.layer
    stack, sublayer = shown.sublayer
    labels = shown.labels(stack)
    names = token_names(shown.tokens(stack))
    side: Literal["encoder", "decoder"] = "encoder" if stack == "encoder" else "decoder"

    def piece(name: str) -> np.ndarray:
        return cap.joined(stack, layer, sublayer, name)[0].numpy()

    def layer_norm() -> None:
        steps = cap.block_steps(stack, layer, sublayer)
        blocks = [cap.block(stack, layer, sublayer, s) for s in range(steps)]
        mean = np.concatenate([b.mean()[0].numpy() for b in blocks])
        std = np.concatenate([b.std()[0].numpy() for b in blocks])
        st.dataframe(
            pd.DataFrame({"token": names, "mean": mean, "std (with eps)": std}).round(4),
            hide_index=True,
            key="arch_stats",
        )
        vectors(piece("normed"), labels, "LayerNorm output: mean 0, std 1, then gamma and beta",
                "arch_normed")  # fmt: skip

    def stream() -> None:
        stream_chart(shown, side, f"Each token's norm along the {side} stream", "arch_stream")
        st.caption(
            "The sum grows at each residual add and each LayerNorm brings it back: in this "
            "post-norm design the stream is renormalised after every sublayer."
        )

    tabs(shown, {
        "x": lambda: vectors(piece("residual"), labels,
                             "x: the residual stream entering the sublayer", "arch_x"),
        "Sublayer(x)": lambda: vectors(piece("output"), labels, "Sublayer(x): its output",
                                       "arch_sub"),
        "x + Sublayer(x)": lambda: vectors(piece("summed"), labels,
                                           "x + Sublayer(x): the residual sum", "arch_sum"),
        "LayerNorm": layer_norm,
        "The stream": stream,
    })  # fmt: skip


def ffn_view(shown: Shown) -> None:
    spec = shown.spec
    stack, sublayer = shown.sublayer
    labels = shown.labels(stack)
    names = token_names(shown.tokens(stack))
    hidden = shown.cap.joined(stack, shown.layer, sublayer, "hidden")[0]
    quiet = "zero (ReLU)" if spec.activation == "relu" else f"|h| < {an.NEAR_ZERO} (GELU)"

    def top_units() -> None:
        widgets.keep_in_range("arch_token", len(labels))
        token = int(
            st.selectbox(
                "Token", range(len(labels)), format_func=names.__getitem__, key="arch_token"
            )
        )
        units, values = an.top_units(hidden[token])
        widgets.chart(
            figures.bars(values, [f"unit {u}" for u in units],
                         title=f"The 10 most active units for {names[token]}"),
            key="arch_top_units",
        )  # fmt: skip

    tabs(shown, {
        "Hidden units": lambda: widgets.chart(
            figures.matrix_heatmap(hidden.numpy(), labels, list(range(spec.d_ff)),
                                   title=f"Hidden units act(x W1 + b1): {spec.d_ff} per token"),
            key="arch_hidden"),
        "Units switched off": lambda: widgets.chart(
            figures.bars(an.quiet_share(hidden, spec.activation), labels,
                         title=f"Share of units that are {quiet}"),
            key="arch_quiet"),
        "Top units of a token": top_units,
    })  # fmt: skip


def encoder_output_view(shown: Shown) -> None:
    spec = shown.spec
    memory = shown.cap.block("encoder", spec.n_layers - 1, "ffn").normed[0].numpy()
    tabs(shown, {
        "The output": lambda: vectors(memory, shown.labels("encoder"),
                                      "The encoder's output, one vector per source token",
                                      "arch_memory"),
        "The stream, layer by layer": lambda: stream_chart(
            shown, "encoder", "Each token's norm through the encoder", "arch_stream_encoder"),
    })  # fmt: skip
    if spec.decoder:
        st.caption("Every cross-attention layer of the decoder reads these vectors.")
