import functools
import time

import streamlit as st

from app.kit import figures, text, tokens, widgets
from app.kit.state import Param, flag, follow
from app.serving import loaders
from app.views import explanations, lens_views, patching_views
from model.core.patching import Experiment
from model.tasks.translation import (
    MARIAN_HUB_NAME,
    MarianTranslator,
    OurTranslator,
    Translation,
    sentence_scores,
)

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "text": Param("tr_text"),
    "model": Param("tr_model", str, ["ours", "hub"]),
    "decoding": Param("tr_decoding", str, ["greedy", "beam search (4 beams)"]),
    "layer": Param("tr_layer", int),
    "head": Param("tr_head", int),
    "step": Param("tr_step", int),
    "ablation": Param("tr_ablate_mode", str, ["zero", "mean"]),
    "lens": Param("tr_lens", flag),
    "patch": Param("tr_patch", flag),
    "explain": Param("tr_explain", flag),
}
follow(PARAMS)
st.title("Translation")
st.caption(
    "English to Spanish with a transformer this project trained from scratch (on "
    "WordNet sentences translated by Apertium, and everyday sentences built with Apertium's "
    "morphological generators), showing the attention of every "
    "decoding step. A sentence typed in capitals or Title Case is read in lower case, so "
    "casing does not change the words, and its translation is written back the same way."
)

translator = widgets.model_choice(
    "tr_model", "Ours (offline)", loaders.translator, MARIAN_HUB_NAME, loaders.marian
)
OWN = "The old man keeps his bicycle in the garden."
EVERYDAY_SHOWN = 12  # one or two of each kind of the hand-written everyday set
everyday = list(loaders.everyday())
examples = (
    {f"{OWN} (not in the corpus's style)": OWN}
    | {f"{e} (everyday, with a reference)": e for e in everyday[:: len(everyday) // EVERYDAY_SHOWN]}
    | {f"{p.english} (held-out test sentence)": p.english for p in loaders.translation_held_out()}
)
widgets.example_picker("tr", examples, lambda sentence: {"tr_text": sentence})
english = widgets.text_box("English", OWN, key="tr_text", height=80)
decoding = st.radio(
    "Decoding", ["greedy", "beam search (4 beams)"], horizontal=True, key="tr_decoding"
)
beam = 1 if decoding == "greedy" else 4

if translator is None:
    st.stop()
shown_translator: OurTranslator | MarianTranslator = translator
start = time.perf_counter()
result = widgets.run_or_hint(
    lambda: shown_translator.translate(english, beam=beam),
    f"Translating {widgets.words(english)}" + (f" with {beam} beams…" if beam > 1 else ", greedy…"),
)
elapsed = time.perf_counter() - start
if result is not None:
    st.subheader(text.escape(result.text) or "(empty translation)")
    st.caption(
        f"Translated in {1000 * elapsed:.0f} ms ({decoding}); "
        f"{len(result.output_tokens)} output tokens."
    )
    for notice in result.notices:
        st.warning(notice)
    typed = english.strip()
    reference = loaders.translation_references().get(typed)
    written = loaders.everyday().get(typed)
    if reference is not None or written is not None:
        scores = sentence_scores(result.text, written or reference or "")
        where = (
            "written by hand; this sentence is in the everyday test set"
            if written
            else "Apertium's translation; this sentence is in the held-out test set"
        )
        st.markdown(
            f"**Reference** ({where}): {text.escape(written or reference or '')}  \n"
            f"Sentence BLEU {scores.bleu:.1f}, chrF {scores.chrf:.1f}."
        )
    att = result.attention
    source, output = result.source_tokens, result.output_tokens
    cross = att.matrices("cross").numpy()  # (layers, heads, steps, source)
    layer, head = widgets.layer_head_selectors(att.n_layers("cross"), att.n_heads("cross"), "tr")

    st.header("Cross-attention: which source tokens each output token looked at")
    widgets.head_and_mean(cross[layer], output, source, layer, head, key="tr_cross")

    widgets.keep_in_range("tr_step", len(output), first=1)
    step = 0  # a slider needs two values at least
    if len(output) > 1:
        step = st.slider("Decoding step", 1, len(output), 1, key="tr_step") - 1
    weights = cross[layer, :, step].mean(0)  # (source,)
    shown = tokens.readable_tokens(output, marked=True)
    produced = " ".join(text.escape(t) for t in shown[:step])
    st.markdown(
        f"Step {step + 1} produced :blue-background[{text.escape(shown[step])}]"
        + (f" after {produced}" if produced else "")
    )
    spans, at, plain = [], 0, tokens.as_text(source, marked=True)
    for piece, weight in zip(plain, weights, strict=True):
        if weight >= 0.15:
            spans.append((at, at + len(piece), "orange", f"{weight:.2f}"))
        at += len(piece)
    st.markdown("Source, attended tokens highlighted: " + text.highlight("".join(plain), spans))
    widgets.chart(
        figures.bars(
            weights,
            tokens.token_labels(source),
            title=f"Step {step + 1}: cross-attention over the source (layer {layer}, "
            "mean of heads)",
        ),
        key="tr_step_bars",
    )

    st.header("Self-attention")
    enc_tab, dec_tab = st.tabs(["Encoder self-attention", "Decoder self-attention (masked)"])
    with enc_tab:
        encoder = att.matrices("encoder").numpy()
        widgets.chart(
            figures.attention_heatmap(
                encoder[layer, head], source, source, title=f"Encoder layer {layer}, head {head}"
            ),
            key="tr_encoder",
        )
    with dec_tab:
        decoder = att.matrices("decoder").numpy()
        widgets.chart(
            figures.attention_heatmap(
                decoder[layer, head],
                output,
                result.decoder_tokens,
                title=f"Decoder layer {layer}, head {head}: rows are the tokens produced, "
                "columns the decoder's inputs so far",
            ),
            key="tr_decoder",
        )

    def compare(changed: Translation, result: Translation = result) -> None:
        st.markdown(f"**Original:** {text.escape(result.text)}")
        st.markdown(
            "**With those heads off:** "
            + text.diff_markdown(result.text.split(), changed.text.split())
        )
        if changed.text == result.text:
            st.caption("Same translation: the model does not rely on these heads here.")

    if lens_views.section("tr"):
        if isinstance(translator, OurTranslator):
            lens_views.translation(english)
        else:
            st.info("The logit lens is drawn for our translator (pick it above).")
    if isinstance(translator, OurTranslator):
        ours: OurTranslator = translator

        def patched(step: int, corrupted: str, shown: Translation = result) -> Experiment:
            return ours.patching(shown, corrupted, step)

        patching_views.section(
            "tr", english, [name for name, _ in explanations.translation_choices(ours, result)],
            patched,
            ("translate", english, beam), explorer=("translator", english, ""),
            label="Corrupted sentence (one name or noun swapped; the same length in tokens)",
        )  # fmt: skip
    widgets.ablation_section(
        translator.model, ["encoder", "decoder", "cross"],
        (att.n_layers("cross"), att.n_heads("cross")), key="tr_ablate",
        doing="Translating again with those heads off…",
        redo=functools.partial(translator.translate, english, beam=beam), compare=compare,
    )  # fmt: skip
    if isinstance(translator, OurTranslator):
        choices = explanations.translation_choices(translator, result)
    else:
        choices = []
    explanations.section(
        choices, key="tr", text_key=("translate", english, beam),
        shape=(att.n_layers("cross"), att.n_heads("cross")),
        empty="Explanations are computed for our translator (pick it above).",
    )  # fmt: skip
