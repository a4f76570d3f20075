"""Widgets shared by pages. Keys are explicit so state survives reruns and tests can find them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from transformers import PreTrainedTokenizerBase

from app.kit.chart_text import describe, tables
from app.kit.theme import CHART_TEXT, lecture_mode, readable_text, style_figure
from app.serving.slots import model_slot
from model.core.capture import AblationMode, Stack, ablate
from model.core.errors import InputError
from model.hf.encoding import Encoded, encode

T = TypeVar("T")
U = TypeVar("U")

TABLES_KEY = "chart_tables"  # the sidebar's "Charts as tables" switch
TABLE_CELLS = 600  # a table this size or smaller is HTML (read cell by cell); larger, a grid
MAX_CHARS = 200_000  # a guard against absurd pastes; 10,000 words (~60,000 characters) pass


def text_box(label: str, default: str, key: str, height: int = 100) -> str:
    """A text area that starts at `default`; a link (state.seed_from_url) or another page may
    set it first through session state.

    The default goes in as the widget's own value on every run, even when session state
    holds the text: the browser falls back to the widget's default whenever it mounts the box
    again without a value of its own (a page opened while another run is still going,
    streamlit/streamlit#7338, or a rerun that changes the elements around it), and a default
    that became "" on the second run sent back an empty text (the page then said "Type some
    text first"). With a key, the value is not part of the widget's identity, so the box stays
    one widget; Streamlit's warning about a default beside a session-state value is turned
    off in .streamlit/config.toml."""
    return st.text_area(label, value=default, key=key, height=height, max_chars=MAX_CHARS)


def example_picker(
    key: str, examples: dict[str, Any], fill: Callable[[Any], dict[str, str]]
) -> Any:
    """A select box of examples. Picking one writes `fill(example)` (text box key -> text)
    into session state once, so what the user types stands until they pick another. A text
    a link set first (app/kit/state.py) stands too, and the box keeps its choice when its page
    is left and come back to (Streamlit forgets the widget, not `{key}_loaded`)."""
    state, box, loaded = st.session_state, f"{key}_example", f"{key}_loaded"
    if box not in state and state.get(loaded) in examples:
        state[box] = state[loaded]
    choice = st.selectbox("Examples", list(examples), key=box)
    if state.get(loaded) != choice:
        first = loaded not in state
        state[loaded] = choice
        filled = fill(examples[choice])
        if not (first and all(k in state for k in filled)):  # else a link's text stands
            state.update(filled)
    return examples[choice]


def step_along(key: str, path: tuple[str, ...], by: int) -> None:
    """Move `key` by `by` places along `path` (from its start if it is off the path).

    (Callbacks handed to widgets live in app/, never in a page: see explore.open_clicked_head.)"""
    index = path.index(st.session_state[key]) if st.session_state[key] in path else -1
    st.session_state[key] = path[max(0, min(len(path) - 1, index + by))]


def copy_state(source: str, target: str) -> None:
    st.session_state[target] = st.session_state[source]


def chart_columns(spec: int | Sequence[float]) -> list[Any]:
    """Places for charts side by side; in lecture mode one above the other, each the page's
    width (two maps side by side at 1280 px were 180 px each, their labels overlapping)."""
    count = spec if isinstance(spec, int) else len(spec)
    if lecture_mode():
        return [st.container() for _ in range(count)]
    return list(st.columns(spec))


_COLLECTING: ContextVar[list[go.Figure] | None] = ContextVar("collecting", default=None)


def collected(draw: Callable[[], None]) -> list[go.Figure]:
    """The charts `draw` would draw, every tab's, as figures, with nothing sent to a page:
    it runs in a thread of its own, outside any page's run, where Streamlit's other calls
    (captions, selectors at their first option) do nothing. What a handout is made of."""
    found: list[go.Figure] = []
    failed: list[BaseException] = []

    def run() -> None:
        _COLLECTING.set(found)
        try:
            draw()
        except BaseException as error:  # handed back to the caller's thread
            failed.append(error)

    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "missing ScriptRunContext": expected here
    try:
        worker = threading.Thread(target=run, name="collect-charts")
        worker.start()
        worker.join()
    finally:
        quiet.setLevel(level)
    if failed:
        raise failed[0]
    return found


def chart(figure: go.Figure, key: str, image: str = "png", **kwargs: Any) -> Any:
    """Every chart goes through here, so lecture mode reaches all of them. The Plotly toolbar
    (top right of each chart) downloads it as PNG, and the SVG button beside it as SVG
    (app/kit/exports.py). While `collected` runs, the figure is kept instead."""
    found = _COLLECTING.get()
    if found is not None:
        found.append(figure)
        return None
    lecture = lecture_mode()
    figure.update_layout(meta={"summary": describe(figure)})  # its text alternative
    config: dict[str, Any] = {"displaylogo": False,
                              "toImageButtonOptions": {"format": image, "scale": 2}}  # fmt: skip
    if lecture:  # the downloads only: the whole toolbar covered titles (zoom: drag, reset:
        config["modeBarButtons"] = [["toImage"]]  # a double click)
    shown = st.plotly_chart(
        readable_text(style_figure(figure, lecture), "#000000" if lecture else CHART_TEXT),
        key=key,
        config=config,
        **kwargs,
    )
    if st.session_state.get(TABLES_KEY):
        for caption, frame in tables(figure):
            show_table(caption, frame)
    return shown


def data_table(frame: Any, **kwargs: Any) -> None:
    """A table of results: a scrolling grid, or in lecture mode an HTML table that wraps
    its cells to the page's width (the grid ran its last columns off the projector's
    window, with nothing saying they were there)."""
    if lecture_mode():
        st.table(frame.style.hide(axis="index").format(_number, na_rep=""))
    else:
        st.dataframe(frame, hide_index=True, **kwargs)


def tables_toggle() -> None:
    """The sidebar switch that puts each chart's numbers under it (`chart`)."""
    st.sidebar.toggle(
        "Charts as tables", key=TABLES_KEY,
        help="Under each chart, the numbers it draws, as a table: for a screen reader, or to "
        "copy them.",
    )  # fmt: skip


def _number(value: Any) -> Any:
    return f"{value:.4g}" if isinstance(value, (float, np.floating)) else value


def show_table(caption: str, frame: Any) -> None:
    """A chart's numbers: an HTML table (its cells read one by one) while it is small, a
    scrolling grid beyond TABLE_CELLS; numbers to four significant digits."""
    st.caption(caption)
    if frame.size <= TABLE_CELLS:
        st.table(frame.style.format(_number, na_rep=""))
    else:
        st.dataframe(frame)


def lazy_tabs(views: Mapping[str, Callable[[], None]], key: str) -> None:
    """Tabs by name, of which only the open one is built and sent: a click on a tab reruns the
    page, so a change of layer or head redoes one view, not all of them (and each chart the
    browser receives costs it 0.1 s to draw). The open tab lives in `key` (and may be set by
    name before the tabs are drawn)."""
    if _COLLECTING.get() is not None:  # a handout: every tab
        for draw in views.values():
            draw()
        return
    tabs = st.tabs(list(views), key=key, on_change="rerun")
    for tab, draw in zip(tabs, views.values(), strict=True):
        if tab.open:
            with tab:
                draw()


def ablation_section(
    model: Any,
    stacks: Sequence[Stack],
    shape: tuple[int, int],
    key: str,
    doing: str,
    redo: Callable[[], T],
    compare: Callable[[T], None],
) -> None:
    """The head-ablation section of a task page: pick heads or whole layers of `model`
    (`shape`: layers, heads), `redo` the page's call with them switched off, and `compare`
    what comes out with what the page showed."""
    st.header("Switch heads off")
    with st.expander("Head ablation", expanded=False):
        heads, mode = ablation_picker(*shape, stacks, key=key)
        if not heads:
            st.caption("Pick heads or layers above; the model runs again without them.")
            return
        with working(doing), ablate(model, heads, mode):
            changed = redo()
        compare(changed)


def encode_or_hint(
    tokenizer: PreTrainedTokenizerBase, text: str, limit: int, text_pair: str | None = None
) -> Encoded | None:
    """Tokenise typed text; on bad input show a short hint and return None (no model call)."""
    try:
        encoded = encode(tokenizer, text, text_pair, limit=limit)
    except InputError as error:
        st.info(str(error))
        return None
    if encoded.dropped:
        st.warning(
            f"The text is longer than the model's {limit}-token limit: the last "
            f"{encoded.dropped} tokens were dropped and only the first {limit} are shown."
        )
    return encoded


@contextmanager
def working(doing: str) -> Iterator[None]:
    """A model call: a spinner that says what is running ("Running MiniLM on 512 tokens…")
    and one of the server's model slots (app/serving/slots.py). Streamlit shows the spinner once the
    call has taken half a second, so quick reruns do not flicker; it stands in place, where
    the results will appear, and goes when they come."""
    with st.spinner(doing), model_slot():
        yield


def words(text: str) -> str:
    """ "12 words": how much text a run reads, for a spinner."""
    count = len(text.split())
    return f"{count:,} word{'s' * (count != 1)}"


def run_or_hint(call: Callable[[], T], doing: str) -> T | None:
    """Run a model call, `working` on it; input it refuses becomes a short hint instead of a
    traceback. Every model call a page makes goes through here or through `working`."""
    try:
        with working(doing):
            return call()
    except InputError as error:
        st.info(str(error))
        return None


def keep_in_range(key: str, size: int, first: int = 0) -> None:
    """A selector whose options depend on the text: a value left from a longer text (or a
    bigger model) falls back to the first option instead of breaking the widget."""
    value = st.session_state.get(key)
    valid = isinstance(value, int) and first <= value < first + size
    # (When a widget's options change under it, the browser may send back the old option's
    # label, a string: that is reset too.)
    if value is not None and not valid:
        st.session_state[key] = first


def layer_head_selectors(n_layers: int, n_heads: int, key: str) -> tuple[int, int]:
    keep_in_range(f"{key}_layer", n_layers)
    keep_in_range(f"{key}_head", n_heads)
    left, right = st.columns(2)
    layer = left.selectbox("Layer", range(n_layers), key=f"{key}_layer")
    head = right.selectbox("Head", range(n_heads), key=f"{key}_head")
    return int(layer), int(head)


def ablation_picker(
    n_layers: int, n_heads: int, stacks: Sequence[Stack], key: str
) -> tuple[dict[tuple[Stack, int], list[int]], AblationMode]:
    """Heads (or whole layers) to switch off, as model.core.capture.ablate takes them."""
    heads: dict[tuple[Stack, int], list[int]] = {}
    options = [(s, layer, h) for s in stacks for layer in range(n_layers) for h in range(n_heads)]
    prefix = len(stacks) > 1

    def name(option: tuple[str, int, int]) -> str:
        stack, layer, head = option
        return f"{stack} " * prefix + f"L{layer} H{head}"

    chosen = st.multiselect("Heads to switch off", options, format_func=name, key=f"{key}_heads")
    layers = st.multiselect(
        "Whole layers to switch off",
        [(s, layer) for s in stacks for layer in range(n_layers)],
        format_func=lambda o: f"{o[0]} " * prefix + f"layer {o[1]}",
        key=f"{key}_layers",
    )
    for stack, layer, head in chosen:
        heads.setdefault((stack, layer), []).append(head)
    for stack, layer in layers:
        heads[(stack, layer)] = list(range(n_heads))
    modes: list[AblationMode] = ["zero", "mean"]
    mode = st.radio(
        "Switched-off heads output",
        modes,
        horizontal=True,
        key=f"{key}_mode",
        help="zero: nothing; mean: their average over positions",
    )
    return heads, mode or "zero"


def head_and_mean(
    layer_matrices: Any,  # (heads, q_len, k_len)
    rows: Sequence[str],
    cols: Sequence[str],
    layer: int,
    head: int,
    key: str,
    what: str = "",
    positions: tuple[Sequence[int], Sequence[int]] | None = None,
) -> None:
    """A layer's chosen head and the mean of its heads (keys {key}_head_heatmap and
    {key}_mean_heatmap): side by side, or one above the other, each the page's whole width,
    in lecture mode and for texts longer than every token can be labelled on half a page.
    `positions`: where the rows and columns shown sit in the text, when not all are shown."""
    from app.kit.figures import LABEL_EVERY, attention_heatmap

    at_rows, at_cols = positions or (None, None)
    if lecture_mode() or max(len(rows), len(cols)) > LABEL_EVERY:
        left = right = st.container()
    else:
        left, right = st.columns(2)
    with left:
        chart(
            attention_heatmap(
                layer_matrices[head],
                rows,
                cols,
                title=f"{what}Layer {layer}, head {head}",
                query_positions=at_rows,
                key_positions=at_cols,
            ),
            key=f"{key}_head_heatmap",
        )
    with right:
        chart(
            attention_heatmap(
                layer_matrices.mean(0),
                rows,
                cols,
                title=f"{what}Layer {layer}, mean of {len(layer_matrices)} heads",
                query_positions=at_rows,
                key_positions=at_cols,
            ),
            key=f"{key}_mean_heatmap",
        )


def model_choice(
    key: str,
    offline_label: str,
    load_offline: Callable[[], T],
    hub_name: str,
    load_hub: Callable[[str], U],
) -> T | U | None:
    """The shipped model, or a hub checkpoint for users with network. Offline, the hub choice
    shows why it cannot load and returns None."""
    choice = st.radio(
        "Model",
        ["ours", "hub"],
        horizontal=True,
        key=key,
        format_func=lambda m: offline_label if m == "ours" else f"{hub_name} (hub, needs network)",
    )
    if choice == "ours":
        return load_offline()
    try:
        return load_hub(hub_name)
    except ConnectionError as error:
        st.error(str(error))
        return None
