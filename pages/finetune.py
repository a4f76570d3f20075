from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from app.kit import figures, text, widgets
from app.kit.state import Param, flag, follow
from app.serving import loaders, training_queue
from app.serving import tuned as tuned_models
from model.datasets import uploads
from model.datasets.uploads import UserDataError, parse_conll, parse_squad
from model.tasks.ner import NerTagger
from model.tasks.qa import QAReader
from model.training.upload import finetune_copy

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {"task": Param("ft_task", str, ["ner", "qa"]), "example": Param("ft_use_sample", flag)}
follow(PARAMS)
st.title("Fine-tune on your data")
st.markdown(
    "Upload a few labelled examples; a copy of the shipped model is fine-tuned on this "
    "machine's CPU (LoRA, capped in steps and time), then compared with the original on a "
    "sentence of your choice. The shipped models are never changed, and nothing is saved."
)
task = st.radio(
    "Task",
    ["ner", "qa"],
    horizontal=True,
    key="ft_task",
    format_func={
        "ner": "Named entities (CoNLL file)",
        "qa": "Question answering (SQuAD JSON)",
    }.__getitem__,
)
sample = EXAMPLES / ("ner_example.conll" if task == "ner" else "qa_example.json")
st.download_button(
    "A small example file",
    sample.read_bytes(),
    file_name=sample.name,
    key="ft_sample",
    on_click="ignore",
)
upload = st.file_uploader(
    "Your file",
    type=["conll", "txt", "tsv"] if task == "ner" else ["json"],
    key=f"ft_upload_{task}",
    max_upload_size=uploads.MAX_MB,  # what the parser takes, so what the box advertises
)
use_sample = st.toggle("Use the example file instead", key="ft_use_sample")
raw = sample.read_bytes() if use_sample else upload.getvalue() if upload is not None else None

data = None
if raw is not None:
    try:
        data = parse_conll(raw) if task == "ner" else parse_squad(raw)
    except UserDataError as error:
        st.error(f"The file cannot be used: {error}")
if data is not None:
    st.success(f"{len(data)} {'sentences' if task == 'ner' else 'questions'} read.")
    left, right = st.columns(2)
    max_steps = left.slider("At most this many steps", 5, 200, 40, key="ft_steps")
    max_seconds = right.slider("At most this many seconds", 10, 300, 60, key="ft_seconds")
    runner: Any = loaders.ner_tagger() if task == "ner" else loaders.qa_reader()
    if st.button("Fine-tune", type="primary", key="ft_go"):
        status = st.empty()
        cancel = st.empty()  # gone once the run ends, however it ends
        cancel.button("Cancel", key="ft_cancel")  # any click on the page stops the run
        progress = st.progress(0.0, text="Waiting for a turn…")

        def report(step: int, loss: float) -> None:
            progress.progress(min(1.0, step / max_steps), text=f"step {step}, loss {loss:.3f}")

        def waiting(place: int) -> None:
            status.info(
                f"One fine-tune at a time on this server: yours is number {place} in the queue."
            )

        try:
            with training_queue.turn(waiting):
                status.empty()
                model, losses, note = finetune_copy(
                    runner.model, runner.tokenizer, task, data, max_steps, max_seconds, report
                )
        except ValueError as error:
            cancel.empty()
            st.error(str(error))
        else:
            cancel.empty()
            progress.progress(1.0, text=f"done: {len(losses)} steps")
            if not tuned_models.keep(tuned_models.Tuned(task, model, losses, note)):
                st.error("The tuned model is larger than this server's budget for tuned models.")

tuned, released = tuned_models.mine()
if released:
    st.info(
        "Your fine-tuned model was released to keep the server's memory for everyone (it "
        f"had been idle for {tuned_models.IDLE_MINUTES:.0f} minutes, or newer ones needed "
        "the room). Fine-tune again to compare."
    )
if tuned is not None and tuned.task == task:
    model, losses, note = tuned.model, tuned.losses, tuned.note
    st.caption(f"The tuned model: {note}; {len(losses)} steps.")
    widgets.chart(figures.curves({"loss": losses}, "step", title="Fine-tuning loss"), key="ft_loss")
    runner = loaders.ner_tagger() if task == "ner" else loaders.qa_reader()
    after_runner = (NerTagger if task == "ner" else QAReader)(model, runner.tokenizer, name="tuned")
    runners: tuple[Any, Any] = (runner, after_runner)
    st.header("Before and after")
    if task == "ner":
        sentence = st.text_input(
            "Sentence",
            "Alice flew to Lisbon with Ryanair .",
            key="ft_sentence",
            max_chars=widgets.MAX_CHARS,
        )
        results: list[Any] = [
            widgets.run_or_hint(partial(r, sentence), f"Tagging with {r.name}…") for r in runners
        ]
    else:
        context = st.text_area(
            "Context",
            "Nadia runs a bakery in Porto. Every morning she bakes forty loaves of rye bread.",
            key="ft_context",
            max_chars=widgets.MAX_CHARS,
        )
        question = st.text_input(
            "Question",
            "Where is Nadia's bakery?",
            key="ft_question",
            max_chars=widgets.MAX_CHARS,
        )
        results = [
            widgets.run_or_hint(partial(r, question, context), f"Reading with {r.name}…")
            for r in runners
        ]
    done = [r for r in results if r is not None]
    if len(done) == len(runners):
        results = done
        layer = st.selectbox(
            "Layer", range(results[0].attention.n_layers()), index=5, key="ft_layer"
        )
        columns = widgets.chart_columns(2)
        for column, name, result in zip(columns, ("Before", "After"), results, strict=True):
            with column:
                st.subheader(name)
                if task == "ner":
                    st.markdown(
                        text.highlight(
                            result.text,
                            [
                                (e.start, e.end, "blue", f"{e.label} {e.score:.2f}")
                                for e in result.entities
                            ],
                        )
                        or "(nothing)"
                    )
                else:
                    st.markdown(f"Answer: **{text.escape(result.answer or 'no answer')}**")
                tokens = result.tokens
                widgets.chart(
                    figures.attention_heatmap(
                        result.attention.mean_over_heads("encoder", layer).numpy(),
                        tokens,
                        tokens,
                        title=f"{name}: layer {layer}, mean of heads",
                    ),
                    key=f"ft_att_{name}",
                )
