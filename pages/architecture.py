import functools
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import streamlit as st
import torch

from app import architecture as arch_view
from app import figures, loaders, sources, text, widgets
from app.state import Param, seed_from_url, write_to_url
from app.theme import lecture_mode
from model.analysis import anatomy as an
from model.core.hooks import Stack, Sublayer

MODELS = {
    "translator": "Our English->Spanish translator (encoder-decoder)",
    "minilm": "MiniLM (a BERT encoder)",
}
DEFAULT_TEXT = "The cat drinks milk from a bowl."
PARAMS = {
    "model": Param("arch_model", str, tuple(MODELS)),
    "text": Param("arch_text"),
    "block": Param("arch_block", str, tuple(arch_view.BLOCKS)),
    "layer": Param("arch_layer", int),
    "head": Param("arch_head", int),
    "step": Param("arch_step", int),
    "beams": Param("arch_beams", int, (2, 3, 4, 5)),
}
# Where each Add & Norm and feed-forward block sits: (stack, sublayer).
SUBLAYERS: dict[str, tuple[Stack, Sublayer]] = {
    "addnorm-attention": ("encoder", "attention"),
    "addnorm-ffn": ("encoder", "ffn"),
    "addnorm-masked": ("decoder", "attention"),
    "addnorm-cross": ("cross", "attention"),
    "addnorm-decoder-ffn": ("decoder", "ffn"),
    "ffn": ("encoder", "ffn"),
    "decoder-ffn": ("decoder", "ffn"),
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
        lambda: sources.cached_anatomy(model_key, typed),
        f"Running {MODELS[model_key]} on {widgets.words(typed)} and keeping every block's tensors…",
    )
if run is None:
    st.stop()
anatomy: an.Anatomy = run
arch = anatomy.architecture
cap = anatomy.capture
path = arch_view.path_for(arch)
every_block = arch_view.blocks_for(arch)
if st.session_state.get("arch_block") not in every_block:  # e.g. "cross", then MiniLM
    st.session_state["arch_block"] = path[0]


with main_area:
    for notice in anatomy.notices:
        st.info(notice)
    if anatomy.text:
        st.markdown(f"**Translation (greedy):** {text.escape(anatomy.text)}")

    current = st.session_state["arch_block"]
    position = path.index(current) + 1 if current in path else 0
    back, where, forward = st.columns([2, 5, 2])
    back.button(
        "Previous block", on_click=widgets.step_along, args=("arch_block", tuple(path), -1),
        disabled=position == 1, key="arch_prev",
        width="stretch",
    )  # fmt: skip
    forward.button(
        "Next block", on_click=widgets.step_along, args=("arch_block", tuple(path), 1),
        disabled=position == len(path), key="arch_next",
        width="stretch",
    )  # fmt: skip
    # The block lives in "arch_block" (and the URL); the menu is one widget per model, whose
    # options never change: a menu whose options change under it may send back an old label.
    menu = f"arch_menu_{model_key}"
    st.session_state[menu] = current
    where.selectbox(
        "Block",
        every_block,
        format_func={
            b: f"{path.index(b) + 1}/{len(path)}: {arch_view.BLOCKS[b].title}"
            if b in path
            else f"(off the path) {arch_view.BLOCKS[b].title}"
            for b in every_block
        }.__getitem__,
        key=menu,
        on_change=widgets.copy_state,
        args=(menu, "arch_block"),
        label_visibility="collapsed",
    )
    block = arch_view.BLOCKS[st.session_state["arch_block"]]
    write_to_url(PARAMS)  # now, so the link names the block while its view is still drawing

    left, right = st.columns([1, 1] if lecture else [2, 3])
    with left:
        st.caption(
            f"{arch.name}: N = {arch.n_layers} layers, h = {arch.n_heads} heads, d_model = "
            f"{arch.d_model}, d_ff = {arch.d_ff} ({arch.activation}), a vocabulary of "
            f"{arch.vocab:,}. Read from the model."
        )
        widgets.chart(
            arch_view.diagram(arch, block.id, large=lecture),
            key="arch_diagram",
            on_select=functools.partial(
                widgets.open_clicked_block, "arch_diagram", "arch_block", tuple(every_block)
            ),
            selection_mode="points",
        )
    with right:
        st.header(block.title)
        formula, says = arch_view.text_for(block, arch)
        st.latex(formula)
        st.markdown(says)

        source = list(anatomy.source)
        src_labels = figures.token_labels(source)
        layered = block.id in {"qkv", "sdpa", "mha", "masked", "cross", *SUBLAYERS}
        stepped = block.id in {"masked", "cross", "linear", "softmax"} and arch.decoder
        if layered:
            widgets.keep_in_range("arch_layer", arch.n_layers)
            layer = int(st.select_slider("Layer", list(range(arch.n_layers)), key="arch_layer"))
        else:
            layer = 0
        if stepped:
            widgets.keep_in_range("arch_step", anatomy.steps)
            # Open mid-translation: at step 0 the decoder has seen only its start token, and
            # every head puts its whole weight there (one cell of 1, nothing to read).
            st.session_state.setdefault("arch_step", anatomy.steps // 2)
            step = int(
                st.select_slider(
                    "Decoding step",
                    list(range(anatomy.steps)),
                    format_func=[
                        f"{s}: {figures.readable_tokens([anatomy.output[s]], marked=True)[0]}"
                        for s in range(anatomy.steps)
                    ].__getitem__,
                    key="arch_step",
                )
            )
        else:
            step = 0

        def vectors(matrix: np.ndarray, labels: Sequence[str], title: str, key: str) -> None:
            widgets.chart(
                figures.matrix_heatmap(matrix, labels, list(range(matrix.shape[1])), title=title),
                key=key,
            )

        def lazy(views: dict[str, Callable[[], None]]) -> None:
            """A block's views as tabs, of which only the open one is built and sent: each chart
            a click sends costs the browser 0.1 s to draw, so a click draws one, not four."""
            tabs = st.tabs(list(views), key=f"arch_view_{block.id}", on_change="rerun")
            for tab, draw in zip(tabs, views.values(), strict=True):
                if tab.open:
                    with tab:
                        draw()

        def head_choice() -> int:
            widgets.keep_in_range("arch_head", arch.n_heads)
            return int(st.selectbox("Head", range(arch.n_heads), key="arch_head"))

        def open_in_explorer(stack: Stack, layer: int, head: int) -> None:
            st.session_state.update(
                ex_model=model_key, ex_text=typed, ex_stack=stack, ex_layer=layer, ex_head=head,
                ex_tab="One head",
            )  # fmt: skip

        def heads_of(stack: Stack, rows: list[str], cols: list[str], matrices: np.ndarray) -> None:
            """A layer's heads side by side, each linking into the explorer."""
            widgets.chart(
                figures.head_grid(matrices[None]),
                key=f"arch_heads_{stack}",
            )
            st.caption(
                f"Layer {layer}: the {arch.n_heads} heads left to right ({len(rows)} queries x "
                f"{len(cols)} keys each). Open one in the explorer:"
            )
            buttons = st.columns(min(arch.n_heads, 12))
            for h in range(arch.n_heads):
                if buttons[h % len(buttons)].button(f"H{h}", key=f"arch_open_{stack}_{h}"):
                    open_in_explorer(stack, layer, h)
                    st.switch_page("../pages/explorer.py")

        if block.id == "input":
            if arch.positions == "sinusoidal":
                vectors(cap.embeddings["encoder.token"][0].numpy(), src_labels,
                        f"Token embeddings x sqrt({arch.d_model}) = "
                        f"{np.sqrt(arch.d_model):.1f}", "arch_input_token")  # fmt: skip
            else:
                lazy({
                    "Token embeddings": lambda: vectors(
                        cap.embeddings["token"][0].numpy(), src_labels, "Token embeddings",
                        "arch_input_token"),
                    "Segment embeddings": lambda: vectors(
                        cap.embeddings["segment"][0].numpy(), src_labels,
                        f"Segment embeddings (segments {sorted(set(anatomy.segments))})",
                        "arch_input_segment"),
                })  # fmt: skip
            st.caption(f"{len(source)} tokens x d_model = {arch.d_model} numbers each.")

        elif block.id in ("position", "output-position", "output-input"):
            decoder_side = block.id != "position"
            labels = figures.token_labels(anatomy.target) if decoder_side else src_labels
            prefix = "decoder." if decoder_side else ("encoder." if arch.decoder else "")
            if block.id == "output-input":
                name = "Decoder input embeddings"
                part, title = "token", "Decoder input embeddings (the previous word at each step)"
            elif arch.positions == "sinusoidal":
                name = title = "Positional encoding (sinusoids)"
                part = "position"
            else:
                name = title = "Learned position embeddings"
                part = "position"
            stack: Stack = "decoder" if decoder_side else "encoder"
            entering = cap.joined(stack, 0, "attention", "residual")[0].numpy()
            if arch.kind == "bert":
                sum_title = "LayerNorm(token + position + segment): what enters layer 0"
            else:
                sum_title = "Embedding + positional encoding: what enters layer 0"
            lazy({
                name: lambda: vectors(cap.embeddings[f"{prefix}{part}"][0].numpy(), labels, title,
                                      f"arch_{prefix}{part}"),
                "What enters layer 0": lambda: vectors(entering, labels, sum_title,
                                                       "arch_entering"),
            })  # fmt: skip

        elif block.id in ("qkv", "sdpa"):
            head = head_choice()
            record = cap.record("encoder", layer)
            assert record.q is not None and record.k is not None and record.v is not None
            if block.id == "qkv":

                def projection(name: str, tensor: torch.Tensor) -> Callable[[], None]:
                    return lambda: vectors(
                        tensor[0, head].numpy(), src_labels,
                        f"{name} of head {head}, layer {layer} (d_k = {tensor.shape[-1]})",
                        f"arch_{name.lower()}",
                    )  # fmt: skip

                lazy({
                    "Queries Q": projection("Q", record.q),
                    "Keys K": projection("K", record.k),
                    "Values V": projection("V", record.v),
                })  # fmt: skip
            else:
                assert record.scores is not None
                scores = record.scores[0, head].numpy()
                shown = np.where(np.isfinite(scores) & (scores > -1e4), scores, np.nan)
                lazy({
                    "Scores": lambda: widgets.chart(
                        figures.matrix_heatmap(shown, src_labels, src_labels,
                                               title=f"QK^T / sqrt(d_k) + mask, head {head}"),
                        key="arch_scores"),
                    "Weights (softmax)": lambda: widgets.chart(
                        figures.attention_heatmap(record.probs[0, head].numpy(), source, source,
                                                  title=f"softmax: head {head}'s weights"),
                        key="arch_probs"),
                })  # fmt: skip
                st.page_link("../pages/step_by_step.py",
                             label="Every step for one token, in detail",
                             icon=":material/calculate:")  # fmt: skip

        elif block.id in ("mha", "masked", "cross"):
            stacks: dict[str, Stack] = {"mha": "encoder", "masked": "decoder", "cross": "cross"}
            stack = stacks[block.id]
            rows, cols = cap.axis_tokens(stack)
            if stack == "encoder":
                matrices = cap.layer("encoder", layer).numpy()
                output = cap.block("encoder", layer, "attention").output[0].numpy()
                out_labels = src_labels
            else:
                matrices = cap.matrices(stack)[layer].numpy()  # every step's row, put together
                output = cap.joined(stack, layer, "attention", "output")[0].numpy()
                out_labels = figures.token_labels(anatomy.target)

            def this_step() -> None:
                weights = cap.record(stack, layer, step).probs[0, :, 0].numpy()  # (heads, seen)
                query = figures.readable_tokens([anatomy.target[step]], marked=True)[0]
                widgets.chart(
                    figures.attention_heatmap(
                        weights, [f"head {h}" for h in range(arch.n_heads)],
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

            views = {} if stack == "encoder" else {f"Step {step}": this_step}
            views["Every head" if stack == "encoder" else "Every step, every head"] = lambda: (
                heads_of(stack, list(rows), list(cols), matrices)
            )
            views["Sublayer output"] = lambda: vectors(
                output, out_labels, f"The sublayer's output (after W_O), layer {layer}",
                f"arch_out_{stack}",
            )  # fmt: skip
            lazy(views)

        elif block.id in SUBLAYERS and block.id.startswith("addnorm"):
            stack, sublayer = SUBLAYERS[block.id]
            labels = src_labels if stack == "encoder" else figures.token_labels(anatomy.target)
            names = figures.token_names(source if stack == "encoder" else anatomy.target)

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
                title = "LayerNorm output: mean 0, std 1, then gamma and beta"
                vectors(piece("normed"), labels, title, "arch_normed")

            def stream() -> None:
                which: Literal["encoder", "decoder"] = (
                    "encoder" if stack == "encoder" else "decoder"
                )
                names, norms = an.stream_norms(anatomy, which)
                widgets.chart(
                    figures.curves(
                        {label: norms[i] for i, label in enumerate(labels)},
                        x_title="point along the stream",
                        title=f"Each token's norm along the {which} stream",
                    ).update_xaxes(tickvals=list(range(len(names))), ticktext=names, tickangle=-45),
                    key="arch_stream",
                )
                st.caption(
                    "The sum grows at each residual add and each LayerNorm brings it back: in this "
                    "post-norm design the stream is renormalised after every sublayer."
                )

            lazy({
                "x": lambda: vectors(piece("residual"), labels,
                                     "x: the residual stream entering the sublayer", "arch_x"),
                "Sublayer(x)": lambda: vectors(piece("output"), labels, "Sublayer(x): its output",
                                               "arch_sub"),
                "x + Sublayer(x)": lambda: vectors(piece("summed"), labels,
                                                   "x + Sublayer(x): the residual sum", "arch_sum"),
                "LayerNorm": layer_norm,
                "The stream": stream,
            })  # fmt: skip

        elif block.id in ("ffn", "decoder-ffn"):
            stack, sublayer = SUBLAYERS[block.id]
            labels = src_labels if stack == "encoder" else figures.token_labels(anatomy.target)
            names = figures.token_names(source if stack == "encoder" else anatomy.target)
            hidden = cap.joined(stack, layer, sublayer, "hidden")[0]
            quiet = "zero (ReLU)" if arch.activation == "relu" else f"|h| < {an.NEAR_ZERO} (GELU)"

            def top_units() -> None:
                widgets.keep_in_range("arch_token", len(labels))
                token = int(
                    st.selectbox(
                        "Token",
                        range(len(labels)),
                        format_func=names.__getitem__,
                        key="arch_token",
                    )
                )
                units, values = an.top_units(hidden[token])
                widgets.chart(
                    figures.bars(
                        values,
                        [f"unit {u}" for u in units],
                        title=f"The 10 most active units for {names[token]}",
                    ),
                    key="arch_top_units",
                )

            lazy({
                "Hidden units": lambda: widgets.chart(
                    figures.matrix_heatmap(
                        hidden.numpy(), labels, list(range(arch.d_ff)),
                        title=f"Hidden units act(x W1 + b1): {arch.d_ff} per token"),
                    key="arch_hidden"),
                "Units switched off": lambda: widgets.chart(
                    figures.bars(an.quiet_share(hidden, arch.activation), labels,
                                 title=f"Share of units that are {quiet}"),
                    key="arch_quiet"),
                "Top units of a token": top_units,
            })  # fmt: skip

        elif block.id == "encoder-output":
            memory = cap.block("encoder", arch.n_layers - 1, "ffn").normed[0].numpy()

            def encoder_stream() -> None:
                names, norms = an.stream_norms(anatomy, "encoder")
                widgets.chart(
                    figures.curves(
                        {label: norms[i] for i, label in enumerate(src_labels)},
                        x_title="point along the stream",
                        title="Each token's norm through the encoder",
                    ).update_xaxes(tickvals=list(range(len(names))), ticktext=names, tickangle=-45),
                    key="arch_stream_encoder",
                )

            lazy({
                "The output": lambda: vectors(memory, src_labels,
                                              "The encoder's output, one vector per source token",
                                              "arch_memory"),
                "The stream, layer by layer": encoder_stream,
            })  # fmt: skip
            if arch.decoder:
                st.caption("Every cross-attention layer of the decoder reads these vectors.")

        elif block.id == "linear":
            if not arch.lm_head:
                st.info(
                    "The packaged MiniLM holds no masked-language-model head: its weights end at "
                    "the encoder (and a pooler), so there is no Linear + Softmax over the "
                    "vocabulary to show. The translator on this page has one."
                )
            else:
                last = cap.joined("decoder", arch.n_layers - 1, "ffn", "normed")[0, step].numpy()
                vocab = loaders.translator().tokenizer
                top = an.top_logits(anatomy, step, lambda i: vocab.id_to_token(i) or "?")
                lazy({
                    "Logits": lambda: widgets.chart(
                        figures.bars(
                            [value for _, value in top],
                            figures.readable_tokens([token for token, _ in top], marked=True),
                            title=f"The 10 largest of {arch.vocab:,} logits at step {step}",
                        ),
                        key="arch_logits"),
                    "The vector it reads": lambda: vectors(
                        last[None], ["h"], f"The decoder's last vector at step {step}", "arch_h"),
                })  # fmt: skip

        elif block.id == "softmax":
            vocab = loaders.translator().tokenizer
            table = an.next_tokens(anatomy, step, lambda i: vocab.id_to_token(i) or "?")
            names = figures.readable_tokens([t for t, _, _ in table], marked=True)
            widgets.chart(
                figures.bars([p for _, p, _ in table],
                             [f"{n} (chosen)" if c else n for n, (_, _, c) in zip(names, table,
                                                                                  strict=True)],
                             title=f"Step {step}: the 10 likeliest next pieces"),
                key="arch_softmax",
            )  # fmt: skip
            st.caption(f"The probabilities of all {arch.vocab:,} pieces sum to 1.")

        elif block.id == "word":
            vocab = loaders.translator().tokenizer
            chosen_rows = []
            for s in range(anatomy.steps):
                table = an.next_tokens(anatomy, s, lambda i: vocab.id_to_token(i) or "?", k=2)
                chosen_rows.append(
                    {
                        "step": s,
                        "input": figures.readable_tokens([anatomy.target[s]], marked=True)[0],
                        "chosen": figures.readable_tokens([table[0][0]], marked=True)[0],
                        "p": table[0][1],
                        "runner-up": figures.readable_tokens([table[1][0]], marked=True)[0],
                        "p (runner-up)": table[1][1],
                    }
                )
            st.dataframe(pd.DataFrame(chosen_rows).round(4), hide_index=True, key="arch_words")

        elif block.id == "beam":
            st.session_state.setdefault("arch_beams", 3)
            width = int(st.select_slider("Beams", [2, 3, 4, 5], key="arch_beams"))
            tree = widgets.run_or_hint(
                lambda: sources.cached_beam_tree(anatomy.source_ids, width),
                f"Searching with {width} beams…",
            )
            if tree is not None:
                nodes = an.beam_nodes(an.with_tree(anatomy, tree))
                widgets.chart(arch_view.beam_tree(nodes), key="arch_beam_tree")
                st.markdown(
                    f"**Beam search ({width} beams):** {text.escape(tree.text)} "
                    f"(score {tree.score:.3f}, length-normalised)  \n"
                    f"**Greedy:** {text.escape(anatomy.text)}"
                )

    if lecture:  # at 1280 x 720 the block's chart is a scroll down: walk on from there, and
        # the next block's view is drawn where the room is already looking
        below_back, _, below_forward = st.columns([2, 5, 2])
        below_back.button(
            "Previous block", on_click=widgets.step_along, args=("arch_block", tuple(path), -1),
            disabled=position == 1, key="arch_prev_below", width="stretch",
        )  # fmt: skip
        below_forward.button(
            "Next block", on_click=widgets.step_along, args=("arch_block", tuple(path), 1),
            disabled=position == len(path), key="arch_next_below", width="stretch",
        )  # fmt: skip
    write_to_url(PARAMS)  # and the layer, head, step and beams the view chose
