"""One block of one anatomy as the page stands on it (`Shown`), and what every block's view
uses: vectors as heatmap rows, the head chosen, the block's tabs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
from markupsafe import Markup

from app.kit import figures, widgets
from app.kit.tokens import token_labels
from app.views.architecture.blocks import Block
from model.analysis import anatomy as an
from model.core.capture import AttentionCapture
from model.core.hooks import Stack, Sublayer


@dataclass(frozen=True)
class Shown:
    """One block of one anatomy, where the page stands: the model's key and the text (to
    open the explorer on them), the layer and decoding step chosen."""

    anatomy: an.Anatomy
    block: Block
    model: str
    text: str
    layer: int = 0
    step: int = 0

    @property
    def spec(self) -> an.ModelSpec:
        return self.anatomy.spec

    @property
    def cap(self) -> AttentionCapture:
        return self.anatomy.capture

    def tokens(self, stack: Stack | None) -> tuple[str, ...]:
        """The tokens along a stack's positions: the source, or the decoder's inputs."""
        return self.anatomy.source if stack in (None, "encoder") else self.anatomy.target

    def labels(self, stack: Stack | None) -> list[Markup]:
        return token_labels(self.tokens(stack))

    @property
    def sublayer(self) -> tuple[Stack, Sublayer]:
        assert self.block.stack is not None and self.block.sublayer is not None
        return self.block.stack, self.block.sublayer


def vectors(matrix: np.ndarray, labels: list[Markup], title: str, key: str) -> None:
    """One vector per token, as rows of a heatmap."""
    widgets.chart(
        figures.matrix_heatmap(matrix, labels, list(range(matrix.shape[1])), title=title), key=key
    )


def head_choice(shown: Shown) -> int:
    widgets.keep_in_range("arch_head", shown.spec.n_heads)
    return int(st.selectbox("Head", range(shown.spec.n_heads), key="arch_head"))


def tabs(shown: Shown, views: dict[str, Callable[[], None]]) -> None:
    widgets.lazy_tabs(views, key=f"arch_view_{shown.block.id}")
