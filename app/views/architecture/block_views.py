"""What Inside the Transformer draws for each block, one function per kind of view (a block
names its view: `Block.view`). Every number comes from the anatomy of the visitor's text.

    draw(Shown(anatomy, BLOCKS["ffn"], model="translator", text=..., layer=1, step=0))

The page (pages/architecture.py) keeps the frame: the model, the text, the path, the
diagram, and the layer and step sliders a block asks for.

The views themselves: `stream_views` (input to the encoder's output) and `output_views`;
what they share: `shown`.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app.views.architecture.blocks import View, clicked_block
from app.views.architecture.output_views import beam_view, linear_view, softmax_view, word_view
from app.views.architecture.shown import Shown
from app.views.architecture.stream_views import (
    add_norm_view,
    encoder_output_view,
    ffn_view,
    heads_view,
    input_view,
    position_view,
    projections_view,
    scores_view,
)


def open_clicked_block(chart_key: str, key: str, blocks: tuple[str, ...]) -> None:
    """A click on the architecture diagram `chart_key` opens that block in `key`."""
    points = st.session_state[chart_key].selection.points
    if points and (block := clicked_block(points[0])) in blocks:
        st.session_state[key] = block


def draw(shown: Shown) -> None:
    VIEWS[shown.block.view](shown)


VIEWS: dict[View, Callable[[Shown], None]] = {
    "input": input_view,
    "position": position_view,
    "projections": projections_view,
    "scores": scores_view,
    "heads": heads_view,
    "add-norm": add_norm_view,
    "ffn": ffn_view,
    "encoder-output": encoder_output_view,
    "linear": linear_view,
    "softmax": softmax_view,
    "word": word_view,
    "beam": beam_view,
}
