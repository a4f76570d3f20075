import functools

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.kit import text, tokens, widgets
from app.kit.state import Param, seed_from_url, write_to_url
from app.kit.theme import lecture_mode
from app.serving import caches
from app.views.architecture import block_views, diagram, handout
from app.views.architecture.blocks import BLOCKS, blocks_for, path_for, text_for
from model.analysis.anatomy import Anatomy

MODELS = {
    "translator": "Our English->Spanish translator (encoder-decoder)",
    "minilm": "MiniLM (a BERT encoder)",
}
DEFAULT_TEXT = "The cat drinks milk from a bowl."
PARAMS = {
    "model": Param("arch_model", str, tuple(MODELS)),
    "text": Param("arch_text"),
    "block": Param("arch_block", str, tuple(BLOCKS)),
    "layer": Param("arch_layer", int),
    "head": Param("arch_head", int),
    "step": Param("arch_step", int),
    "beams": Param("arch_beams", int, (2, 3, 4, 5)),
}
st.title("Inside the Transformer")
lecture = lecture_mode()
# Every element keeps its place in both modes (a placeholder where lecture mode drops the
# introduction): a widget that moves is mounted anew by the browser, and a click that lands
# while it is, sends its text box back empty.
intro = st.empty()
if not lecture:
    intro.markdown(
        "Follow one sentence through every block of the architecture of *Attention Is All You "
        "Need*. Click a block in the diagram, or walk the lecture path with **Next block**. "
        "Every number is the model's own, recorded as it ran on your text."
    )
seed_from_url(PARAMS)
setup = st.container()
main_area = st.container()
with setup:
    model_key = st.radio(
        "Model", list(MODELS), format_func=MODELS.__getitem__, horizontal=True, key="arch_model"
    )
    typed = widgets.text_box("Text", DEFAULT_TEXT, key="arch_text", height=68)
with main_area:  # a hint about the text shows where the block would
    run = widgets.run_or_hint(
        lambda: caches.anatomy(model_key, typed),
        f"Running {MODELS[model_key]} on {widgets.words(typed)} and keeping every block's tensors…",
    )
if run is None:
    st.stop()
anatomy: Anatomy = run
spec = anatomy.spec
path = path_for(spec)
every_block = blocks_for(spec)
if st.session_state.get("arch_block") not in every_block:  # e.g. "cross", then MiniLM
    st.session_state["arch_block"] = path[0]


def walk_buttons(back: DeltaGenerator, forward: DeltaGenerator, suffix: str) -> None:
    """Previous and Next block, along the lecture path."""
    back.button(
        "Previous block", on_click=widgets.step_along, args=("arch_block", tuple(path), -1),
        disabled=position == 1, key=f"arch_prev{suffix}", width="stretch",
    )  # fmt: skip
    forward.button(
        "Next block", on_click=widgets.step_along, args=("arch_block", tuple(path), 1),
        disabled=position == len(path), key=f"arch_next{suffix}", width="stretch",
    )  # fmt: skip


current = st.session_state["arch_block"]
position = path.index(current) + 1 if current in path else 0
with main_area:
    for notice in anatomy.notices:
        st.info(notice)
    if anatomy.text:
        st.markdown(f"**Translation (greedy):** {text.escape(anatomy.text)}")

    back, where, forward = st.columns([2, 5, 2])
    walk_buttons(back, forward, "")
    # The block lives in "arch_block" (and the URL); the menu is one widget per model, whose
    # options never change: a menu whose options change under it may send back an old label.
    menu = f"arch_menu_{model_key}"
    st.session_state[menu] = current
    where.selectbox(
        "Block",
        every_block,
        format_func={
            b: f"{path.index(b) + 1}/{len(path)}: {BLOCKS[b].title}"
            if b in path
            else f"(off the path) {BLOCKS[b].title}"
            for b in every_block
        }.__getitem__,
        key=menu,
        on_change=widgets.copy_state,
        args=(menu, "arch_block"),
        label_visibility="collapsed",
    )
    block = BLOCKS[st.session_state["arch_block"]]
    write_to_url(PARAMS)  # now, so the link names the block while its view is still drawing

    formula, says = text_for(block, spec)
    if lecture:  # the formula across the page: beside the diagram it shrank to 14 px
        st.header(block.title)
        st.latex(formula)
    left, right = st.columns([1, 1] if lecture else [2, 3])
    with left:
        st.caption(
            f"{spec.name}: N = {spec.n_layers} layers, h = {spec.n_heads} heads, d_model = "
            f"{spec.d_model}, d_ff = {spec.d_ff} ({spec.activation}), a vocabulary of "
            f"{spec.vocab:,}. Read from the model."
        )
        widgets.chart(
            diagram.diagram(spec, block.id, large=lecture),
            key="arch_diagram",
            on_select=functools.partial(
                block_views.open_clicked_block, "arch_diagram", "arch_block", tuple(every_block)
            ),
            selection_mode="points",
        )
    with right:
        if not lecture:
            st.header(block.title)
            st.latex(formula)
        st.markdown(says)

        if block.layered:
            widgets.keep_in_range("arch_layer", spec.n_layers)
            layer = int(st.select_slider("Layer", list(range(spec.n_layers)), key="arch_layer"))
        else:
            layer = 0
        step = 0
        if block.stepped and spec.decoder:
            widgets.keep_in_range("arch_step", anatomy.steps)
            # Open mid-translation: at step 0 the decoder has seen only its start token, and
            # every head puts its whole weight there (one cell of 1, nothing to read).
            st.session_state.setdefault("arch_step", anatomy.steps // 2)
            step = int(
                st.select_slider(
                    "Decoding step",
                    list(range(anatomy.steps)),
                    format_func=tokens.step_names(anatomy.output).__getitem__,
                    key="arch_step",
                )
            )
        shown = block_views.Shown(anatomy, block, model_key, typed, layer, step)
        if not (lecture and block.wide):
            block_views.draw(shown)
    if lecture and block.wide:  # labels a half-width column cannot hold apart (beam search)
        block_views.draw(shown)

    if lecture:  # at 1280 x 720 the block's chart is a scroll down: walk on from there, and
        # the next block's view is drawn where the room is already looking
        below_back, _, below_forward = st.columns([2, 5, 2])
        walk_buttons(below_back, below_forward, "_below")
    write_to_url(PARAMS)  # and the layer, head, step and beams the view chose

with st.expander("Handout: the lecture path as one HTML file, for slides or to print"):
    st.caption(
        f"All {len(path)} steps for this sentence, each with its formula and every chart of "
        "its tabs (layer 0, step 0), in one file that opens offline."
    )
    if st.button("Prepare the handout", key="arch_handout"):
        st.session_state["arch_handout_for"] = (model_key, typed)
    if st.session_state.get("arch_handout_for") == (model_key, typed):
        # a spinner, not a model slot: the steps are drawn in a thread of their own, which
        # takes its slots itself (widgets.collected), and one held here could starve it
        with st.spinner(f"Drawing all {len(path)} steps of the lecture path…"):
            made = handout.cached(anatomy, model_key, MODELS[model_key], typed, path)
        if made:
            st.download_button(
                "Download the handout (HTML)", made, file_name="inside-the-transformer.html",
                mime="text/html", key="arch_handout_download", icon=":material/download:",
            )  # fmt: skip
