import functools

import pandas as pd
import streamlit as st

from app.kit import figures, text, widgets
from app.kit.state import Param, flag, follow
from app.serving import loaders
from app.views import explanations, lens_views, patching_views
from model.core.patching import Experiment
from model.tasks.ner import ENTITY_TYPES, HUB_NER_NAME, NerResult, NerTagger

EXAMPLES = {
    "A concert night": "Going to see Taylor Swift at Madison Square Garden tonight with @jess !",
    "Football": "Manchester United signed a new striker from Real Madrid , says BBC Sport",
    "Shopping": "Just bought the new iPhone at the Apple store in London http://t.co/xyz",
    "No entities": "what a lovely quiet morning , nothing to report",
}

# The page's view in its link (app/kit/state.py): rooms, bookmarks and shared links reopen it.
PARAMS = {
    "text": Param("ner_text"),
    "model": Param("ner_model", str, ["ours", "hub"]),
    "entity": Param("ner_entity", int),
    "ablation": Param("ner_ablate_mode", str, ["zero", "mean"]),
    "lens": Param("ner_lens", flag),
    "patch": Param("ner_patch", flag),
    "explain": Param("ner_explain", flag),
}
follow(PARAMS)
st.title("Named entities")
st.caption(
    "MiniLM fine-tuned (LoRA) on WNUT-16 tweets: people, places, companies, products, "
    "artists, films, TV shows, teams, facilities and others. MiniLM's vocabulary is "
    "lower-case, so the tagger is told each word's casing (Capitalised, ALL CAPS, iPhone-style) "
    "through BERT's segment embedding."
)
tagger = widgets.model_choice(
    "ner_model",
    "MiniLM + WNUT-16 adapter (offline)",
    loaders.ner_tagger,
    HUB_NER_NAME,
    loaders.hub_tagger,
)

example = widgets.example_picker("ner", EXAMPLES, lambda text: {"ner_text": text})
typed = widgets.text_box("Text", example, key="ner_text", height=90)
if tagger is None:
    st.stop()
shown_tagger: NerTagger = tagger
result = widgets.run_or_hint(
    lambda: shown_tagger(typed), f"Tagging {widgets.words(typed)} with {shown_tagger.name}…"
)
if result is not None:
    for notice in result.notices:
        st.warning(notice)
    labels = sorted({e.label for e in result.entities} | set(ENTITY_TYPES))
    spans = [
        (e.start, e.end, text.colour_of(e.label, labels), f"{e.label} {e.score:.2f}")
        for e in result.entities
    ]
    st.markdown(text.highlight(result.text, spans))
    if not result.entities:
        st.info("No entities found in this text.")
    table = pd.DataFrame(
        [
            {
                "entity": e.text,
                "type": e.label,
                "score": round(e.score, 3),
                "start": e.start,
                "end": e.end,
            }
            for e in result.entities
        ],
        columns=["entity", "type", "score", "start", "end"],
    )
    st.dataframe(table, hide_index=True)
    st.caption(
        "Each word is tagged B- (begins an entity), I- (continues one) or O (outside), read "
        "from its first word piece. The tags are the most probable sequence in which every I- "
        "continues an entity of its own type; an entity's score is the mean probability of "
        "its words' tags."
    )
    st.download_button(
        "Entities as CSV",
        table.to_csv(index=False),
        file_name="entities.csv",
        mime="text/csv",
        key="ner_csv",
        on_click="ignore",
    )

    if result.entities:
        st.header("What an entity's word pieces attend to")
        entities = result.entities
        widgets.keep_in_range("ner_entity", len(entities))
        index = st.selectbox(
            "Entity",
            range(len(entities)),
            key="ner_entity",
            format_func=[f"{e.text} ({e.label})" for e in entities].__getitem__,
        )
        entity = entities[index or 0]
        positions = result.entity_tokens(entity)
        if not positions:
            st.info("This entity lies beyond the first 512-token window, whose attention is shown.")
        else:
            matrices = result.attention.stacked().numpy()  # (layers, heads, seq, seq)
            rows = matrices[:, :, positions, :].mean(2)  # (layers, heads, seq)
            st.caption(
                "Pieces: "
                + ", ".join(text.escape(result.tokens[p]) for p in positions)
                + ". Each row is one head; the weights are averaged over the pieces."
            )
            widgets.chart(
                figures.token_focus(
                    rows[:, :, None, :],
                    0,
                    result.tokens,
                    title=f"Attention from '{entity.text}' in every layer and head",
                ),
                key="ner_focus",
            )

    def compare(changed: NerResult, result: NerResult = result) -> None:
        before = {(e.start, e.end, e.label) for e in result.entities}
        after = {(e.start, e.end, e.label) for e in changed.entities}
        spans = [
            (
                e.start,
                e.end,
                "green" if (e.start, e.end, e.label) not in before else "gray",
                f"{e.label} {e.score:.2f}",
            )
            for e in changed.entities
        ]
        st.markdown("**With those heads off:** " + text.highlight(changed.text, spans))
        lost = [f"{result.text[s:e]} ({label})" for s, e, label in sorted(before - after)]
        st.caption(
            f"{len(after - before)} new or changed (green), "
            f"{len(before - after)} lost: {', '.join(lost) or 'none'}."
        )

    if lens_views.section("ner"):
        lens_views.ner(tagger, result)

    def first_word_out(i: int, shown: NerResult = result) -> str:
        start, end = shown.words[shown.entities[i].words[0]]
        pieces = len(shown_tagger.tokenizer.tokenize(shown.text[start:end]))
        return patching_views.without_word(shown.text, start, end, pieces)

    def patched(i: int, corrupted: str, shown: NerResult = result) -> Experiment:
        return shown_tagger.patching(shown, shown.entities[i], corrupted)

    patching_views.section(
        "ner", typed, [f"{e.label} '{e.text}'" for e in result.entities],
        patched,
        ("ner", tagger.name, typed), explorer=("minilm-ner", typed, ""),
        empty=explanations.NO_ENTITY, label="Corrupted text (the entity's first word made "
        "plain; the same length in tokens)", proposal=first_word_out,
    )  # fmt: skip
    att = result.attention
    widgets.ablation_section(
        tagger.model, ["encoder"], (att.n_layers(), att.n_heads()), key="ner_ablate",
        doing="Tagging again with those heads off…", redo=functools.partial(tagger, typed),
        compare=compare,
    )  # fmt: skip
    explanations.section(
        explanations.ner_choices(tagger, result), key="ner", text_key=("ner", tagger.name, typed),
        shape=(att.n_layers(), att.n_heads()), empty=explanations.NO_ENTITY,
    )  # fmt: skip
