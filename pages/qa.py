import functools

import pandas as pd
import streamlit as st

from app.kit import figures, text, widgets
from app.kit.state import Param, flag, follow
from app.serving import loaders
from app.views import explanations, lens_views, patching_views
from model.core.patching import Experiment
from model.tasks.qa import HUB_QA_NAME, QAReader, QAResult
from model.tasks.qa_tf import Comparison, TFQAReader
from model.tasks.qa_tf import compare as compare_frameworks  # TensorFlow loads on first use

FRAMEWORKS = ["PyTorch", "TensorFlow", "Both"]


def side_by_side(found: Comparison) -> None:
    """Each framework's answer and score, and how far apart their numbers are."""
    for column, name, read in zip(
        widgets.chart_columns(2), FRAMEWORKS[:2], (found.pytorch, found.tensorflow), strict=True
    ):
        with column:
            st.markdown(f"**{name}**")
            st.subheader(text.escape(read.answer) if read.best else "No answer")
            st.caption(
                f"Score {read.best.score:.6f}" if read.best
                else f"No-answer probability {read.no_answer_score:.6f}"
            )  # fmt: skip
    verdict = "the same answer" if found.same_answer else "**different answers**"
    st.markdown(
        f"Largest difference between the two: {found.logits:.2e} in the start and end logits, "
        f"{found.attention:.2e} in the attention weights (every layer and head); {verdict}."
    )


EXAMPLES = {
    "A story (bAbI style)": (
        "Mary went to the kitchen. John picked up the football there. John travelled to the "
        "garden. Mary moved to the office.",
        "Where is the football?",
    ),
    "Facts about people": (
        "Kenji works as a nurse at the central hospital. On Sundays he plays the violin with "
        "an orchestra. His sister Yuki was born in Osaka in 1994.",
        "Where was Yuki born?",
    ),
    "A landmark": (
        "The old lighthouse stands on a rock at the end of the harbour. It was built in 1852 "
        "by a local engineer named Thomas Reid.",
        "Who built the lighthouse?",
    ),
    "No answer in the text": (
        "Mary went to the kitchen. John picked up the football there.",
        "Where is Daniel?",
    ),
}

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "question": Param("qa_question"),
    "context": Param("qa_context"),
    "model": Param("qa_model", str, ["ours", "hub"]),
    "framework": Param("qa_framework", str, FRAMEWORKS),
    "layer": Param("qa_layer", int),
    "head": Param("qa_head", int),
    "ablation": Param("qa_ablate_mode", str, ["zero", "mean"]),
    "lens": Param("qa_lens", flag),
    "patch": Param("qa_patch", flag),
    "explain": Param("qa_explain", flag),
}
follow(PARAMS)
st.title("Question answering")
st.caption(
    "MiniLM fine-tuned (LoRA) to point at the answer span in a context. It was trained "
    "on generated stories and facts (no QA data set exists offline), so it reads "
    "simple factual prose best."
)
reader = widgets.model_choice(
    "qa_model",
    "MiniLM + QA adapter (offline)",
    loaders.qa_reader,
    HUB_QA_NAME,
    loaders.hub_reader,
)

example = widgets.example_picker(
    "qa", EXAMPLES, lambda pair: {"qa_context": pair[0], "qa_question": pair[1]}
)
context = widgets.text_box("Context", example[0], key="qa_context", height=120)
question = st.text_input("Question", key="qa_question", max_chars=widgets.MAX_CHARS)
if reader is None:
    st.stop()
framework = "PyTorch"
if st.session_state.get("qa_model") == "ours" and not loaders.tensorflow_off():
    framework = st.radio(
        "Framework", FRAMEWORKS, horizontal=True, key="qa_framework",
        help="The same weights run by PyTorch (Hugging Face) or by the project's TensorFlow "
        "version of the model (model/tf/bert.py), or both side by side.",
    )  # fmt: skip
shown_reader: QAReader = reader
comparison = None
if framework != "PyTorch":
    tf_reader = widgets.run_or_hint(
        loaders.tf_qa_reader, "Loading TensorFlow and converting the weights (first time only)…"
    )
    if tf_reader is None:
        st.stop()
    converted: TFQAReader = tf_reader
    if framework == "TensorFlow":
        shown_reader = converted
    else:
        comparison = widgets.run_or_hint(
            lambda: compare_frameworks(shown_reader, converted, question, context),
            f"Reading {widgets.words(context)} of context in PyTorch and in TensorFlow…",
        )
        if comparison is None:
            st.stop()
        side_by_side(comparison)
result = (
    comparison.pytorch if comparison is not None
    else widgets.run_or_hint(
        lambda: shown_reader(question, context),
        f"Reading {widgets.words(context)} of context with {shown_reader.name}…",
    )
)  # fmt: skip
if result is not None:
    for notice in result.notices:
        st.warning(notice)
    if result.best is None:
        st.info(
            f"No answer found: the model's best span scores below the threshold, or it "
            f"points at [CLS] (no-answer probability {result.no_answer_score:.2f})."
        )
    else:
        st.subheader(text.escape(result.answer))
        st.caption(f"Score {result.best.score:.3f} (probability of its start x its end).")
        st.markdown(
            text.highlight(
                context, [(result.best.start, result.best.end, "green", f"{result.best.score:.2f}")]
            )
        )
    if result.alternatives:
        # The scores as computed: beside a confident answer they are tiny (2e-05), and
        # rounding them showed every one as 0.
        st.dataframe(
            pd.DataFrame([{"alternative": a.text, "score": a.score} for a in result.alternatives]),
            hide_index=True,
            column_config={
                "score": st.column_config.NumberColumn(
                    "score", help="p(start) x p(end), as for the answer", format="%.2e"
                )
            },
        )

    positions = result.context_positions
    widgets.chart(
        figures.start_end_scores(
            [result.tokens[i] for i in positions],
            [result.start_logits[i] for i in positions],
            [result.end_logits[i] for i in positions],
            title="Start and end scores over the context tokens",
        ),
        key="qa_scores",
    )

    st.header("How the question looks at the context")
    att = result.attention
    layer, head = widgets.layer_head_selectors(att.n_layers(), att.n_heads(), "qa")
    question_positions = result.question_positions
    question_to_context = att.layer("encoder", layer).numpy()[:, question_positions][
        :, :, positions
    ]
    widgets.head_and_mean(
        question_to_context,
        [result.tokens[i] for i in question_positions],
        [result.tokens[i] for i in positions],
        layer,
        head,
        key="qa_attention",
    )

    def compare(changed: QAResult, result: QAResult = result) -> None:
        was = result.answer or "no answer"
        now = changed.answer or "no answer"
        st.markdown(
            f"**Original:** {text.escape(was)}  \n**With those heads off:** "
            + (text.escape(now) if now == was else f":green-background[{text.escape(now)}]")
        )
        if changed.best:
            st.caption(f"Score {changed.best.score:.3f}.")

    if framework == "TensorFlow":
        st.info(
            "The logit lens, patching, head ablation and explanations hook into the PyTorch "
            "model: switch the framework to PyTorch (or Both) for them."
        )
        st.stop()
    if lens_views.section("qa"):
        lens_views.qa(reader, result)

    def patched(_: int, corrupted: str, shown: QAResult = result) -> Experiment:
        return shown_reader.patching(shown, question, corrupted)

    patching_views.section(
        "qa", context, [f"the answer '{result.answer}'"] if result.best else [],
        patched,
        ("qa", reader.name, question, context), explorer=("minilm-qa", question, context),
        label="Corrupted context (one name or noun swapped; the same length in tokens)",
        empty=explanations.NO_ANSWER,
    )  # fmt: skip
    widgets.ablation_section(
        reader.model, ["encoder"], (att.n_layers(), att.n_heads()), key="qa_ablate",
        doing="Reading again with those heads off…",
        redo=functools.partial(reader, question, context), compare=compare,
    )  # fmt: skip
    explanations.section(
        explanations.qa_choices(reader, result), key="qa",
        text_key=("qa", reader.name, question, context), shape=(att.n_layers(), att.n_heads()),
        empty=explanations.NO_ANSWER,
    )  # fmt: skip
