import functools

import pandas as pd
import streamlit as st

from app.kit import explore, figures, widgets
from app.kit.state import Param, seed_from_url, write_to_url
from app.kit.text import escape
from app.serving import jobs, loaders, sources
from app.views import atlas_views
from model.analysis import head_atlas as ha
from model.datasets.corpora import CORPORA

sources.refresh_listed()  # the operator's models file (ATLAS_MODELS), if any
SHIPPED = atlas_views.shipped()
LISTED = [key for key in sources.SOURCES if key.startswith(sources.LISTED)]
MODELS = [key for key in atlas_views.SERVED if key in SHIPPED] + LISTED
LABELS = {key: sources.SOURCES[key].label for key in MODELS}
PARAMS = {"model": Param("ha_model", str, MODELS), "stack": Param("ha_stack"),
          "behaviour": Param("ha_behaviour")}  # fmt: skip

st.title("Head atlas")
st.caption(
    "What every head does across a corpus, not on one sentence: which heads look at the "
    "previous token, which park their attention on [CLS], [SEP] or the first token (the "
    "sinks), which follow syntax. Click a head to see its strongest links in the corpus."
)
if not MODELS:
    st.error(
        "No head atlas ships with this installation: build one with "
        "`python -m model.atlas heads --model minilm --corpus corpus --limit 1000`."
    )
    st.stop()
seed_from_url(PARAMS)
model_column, stack_column, behaviour_column = st.columns([3, 2, 3])
model = model_column.selectbox("Model", MODELS, format_func=LABELS.__getitem__, key="ha_model")

if model in SHIPPED:
    atlas = atlas_views.atlas_at(SHIPPED[model])
else:  # a listed model: computed here, on demand (a job when it is long: app/serving/jobs.py)
    left, right = st.columns(2)
    corpus = left.selectbox("Corpus", list(CORPORA), key="ha_corpus")
    limit = int(right.select_slider("Sentences", [50, 100, 200, 500, 1000], 200, key="ha_limit"))
    cached = atlas_views.cached_path(model, corpus, limit)
    key = atlas_views.job_key(model, corpus, limit)
    if not cached.exists():
        timed = widgets.run_or_hint(
            lambda: atlas_views.estimate_s(model, limit), "Timing the model on one sentence…"
        )
        if timed is None:
            st.stop()
        seconds = float(timed)
        long = seconds > jobs.after_s()
        if not jobs.known(key) and not st.button("Compute the atlas", key="ha_compute"):
            st.info(
                f"Listed models have no shipped atlas: computing one reads {limit} sentences "
                f"({CORPORA[corpus][0]}), about {jobs.duration(seconds)} here, and keeps the "
                "result on this server's disk. One atlas is computed at a time per server"
                + (": it runs as a job, with its progress and a Cancel." if long else ".")
            )
            st.stop()
    if cached.exists():
        atlas = atlas_views.atlas_at(cached)
    elif long:
        net = loaders.listed(model.removeprefix(sources.LISTED))[0]
        label = f"Computing the head atlas of {limit} sentences"
        compute = atlas_views.as_job(model, corpus, limit)
        if not jobs.known(key):  # the click on Compute was the Start
            jobs.submit(key, label, compute, net, atlas_views.ATLASES, limit, seconds,
                        jobs.session())  # fmt: skip
        found = widgets.run_or_hint(
            lambda: jobs.run(key, label, compute, net, atlas_views.ATLASES, limit, seconds, "ha"),
            "Computing the head atlas…",
        )
        if found is None:
            st.stop()
        atlas = found
    else:
        st.button("Cancel", key="ha_cancel", help="Any click on the page stops the computation.")
        bar = st.progress(0.0, text="Reading the corpus…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done} of {total} sentences")

        found = widgets.run_or_hint(
            lambda: atlas_views.compute_atlas(model, corpus, limit, progress),
            "Computing the head atlas…",
        )
        bar.empty()
        if found is None:
            if atlas_views.busy():
                st.warning(atlas_views.BUSY)
            st.stop()
        atlas = found

how = f"`python -m model.atlas heads --model {atlas.model} --corpus {atlas.corpus} --limit "
st.caption(
    f"{len(atlas.sentences):,} sentences of **{atlas.corpus}**"
    f" ({CORPORA[atlas.corpus][0] if atlas.corpus in CORPORA else 'a text file'}); "
    f"parses: {atlas.parser}. Built in {atlas.seconds:.0f} s by {how}{len(atlas.sentences)}`."
)
stacks = list(atlas.stacks)
if st.session_state.get("ha_stack") not in stacks:
    st.session_state["ha_stack"] = stacks[0]
stack_name = stack_column.radio("Stack", stacks, horizontal=True, key="ha_stack")
stack = atlas.stacks[stack_name]
options = list(stack.behaviours)
for relation in stack.reported():
    options += [f"syntax: {relation}, {d}" for d in ha.DIRECTIONS]
if st.session_state.get("ha_behaviour") not in options:
    st.session_state["ha_behaviour"] = options[0]
behaviour = behaviour_column.selectbox("Behaviour", options, key="ha_behaviour")
write_to_url(PARAMS)

zmax: float | None
if behaviour.startswith("syntax: "):
    relation, direction = behaviour.removeprefix("syntax: ").split(", ")
    values = stack.relations[relation][ha.DIRECTIONS.index(direction)]
    meaning = (f"share of {stack.relation_counts[relation]:,} '{relation}' dependents whose head "
               + ("is the word they attend to most" if direction == ha.DIRECTIONS[0]
                  else "is the word that attends to them most"))  # fmt: skip
    z_title, zmax = "accuracy", 1.0
else:
    values = stack.behaviours[behaviour]
    meaning = ha.describe(behaviour)
    z_title = behaviour
    zmax = None if behaviour in ha.SPREAD else 1.0
heads_ranked = ha.ranked(values)
HEADS = {(lay, h): f"layer {lay}, head {h}: {v:.3f}" for lay, h, v in heads_ranked}
shown = (model, stack_name, behaviour)
if st.session_state.get("ha_head") not in HEADS or st.session_state.get("ha_shown") != shown:
    st.session_state["ha_head"] = heads_ranked[0][:2]  # a new map: its top head
    st.session_state["ha_shown"] = shown


def head_map() -> None:
    chart_key = "ha_map"
    widgets.chart(
        figures.head_map(values, f"{behaviour} ({stack_name})", z_title, zmax,
                         chosen=st.session_state["ha_head"]),
        key=chart_key, on_select=functools.partial(atlas_views.pick_head, chart_key, "ha_head"),
        selection_mode="points",
    )  # fmt: skip
    st.caption(f"Each cell: the {meaning}, over {stack.rows:,} query rows. Click a head.")
    picked = st.selectbox("Head (sorted by this behaviour)", list(HEADS),
                          format_func=HEADS.__getitem__, key="ha_head")  # fmt: skip
    layer, head = picked
    st.subheader(f"Layer {layer}, head {head}: its strongest links in the corpus")
    examples = stack.examples.of(layer, head)
    if not examples:
        st.info("This head gives no attention between two ordinary tokens in the corpus.")
    for number, example in enumerate(examples):
        sentence = atlas.sentences[example.sentence]
        text, button = st.columns([5, 1])
        text.markdown(
            f"**{escape(example.query_token)}** → "
            f"**{escape(example.key_token)}** ({example.weight:.2f}): "
            f"{escape(sentence)}"
        )
        if button.button("Explorer", key=f"ha_open_{number}", help="Open in the explorer"):
            explore.open_explorer(model, sentence, stack_name, layer, head)  # type: ignore[arg-type]
    st.subheader("Every head, sorted")
    st.dataframe(
        pd.DataFrame([{"layer": lay, "head": h, z_title: v} for lay, h, v in heads_ranked]),
        hide_index=True, height=260,
    )  # fmt: skip


def syntax() -> None:
    if not stack.relations:
        st.info(f"No relation columns for this stack: {atlas.parser}"
                if "spaCy" not in atlas.parser else
                "Relations are measured where both axes read the parsed English text (an "
                "encoder's self-attention).")  # fmt: skip
        return
    rows = []
    clark = {row.relation: row for row in ha.CLARK_BERT_BASE}
    for relation in stack.reported():
        count = stack.relation_counts[relation]
        score, layer, head, direction = stack.best(relation)
        base, offset = stack.baseline(relation)
        theirs = clark.get(relation)
        rows.append({
            "relation": relation, "count": count,
            "best head": f"layer {layer}, head {head}",
            "direction": "dep → head" if direction == 0 else "head → dep",
            "accuracy": round(100 * score, 1), "baseline": round(100 * base, 1),
            "offset": f"{offset:+d}",
            "BERT-base head": theirs.label if theirs else "",
            "BERT-base accuracy": theirs.accuracy if theirs else None,
            "BERT-base baseline": theirs.baseline if theirs else None,
        })  # fmt: skip
    widgets.data_table(pd.DataFrame(rows))
    st.caption(
        "For each relation, the head whose most attended word is most often the relation's "
        "head (or, the other way, whose dependents are attended most by their head), beside "
        "the best fixed offset (the word 3 to the left ... 2 to the right). Word pieces are "
        "rolled up to words, special tokens and a word's attention to itself left out. "
        f"BERT-base columns: {ha.CLARK_CITATION} Their corpus, annotation and model differ "
        f"from these ({atlas.corpus}, {atlas.parser}, this model), so compare patterns, not "
        "decimals."
    )


def search() -> None:
    left, right = st.columns(2)
    query = left.text_input("Query word (the one attending)", "it", key="ha_q", max_chars=40)
    key = right.text_input("Key word (the one attended to)", "was", key="ha_k", max_chars=40)
    found = widgets.run_or_hint(
        lambda: atlas_views.search(model, atlas, stack_name, query, key),
        f"Reading the corpus sentences with {query!r} and {key!r}…",
    )
    if found is None:
        return
    if isinstance(found, int):
        st.info("No sentence of the corpus holds both words (as whole words, any case).")
        return
    st.caption(
        f"Mean attention from the query word to the key word (word pieces rolled up to "
        f"words) over the {found.attrs['sentences']} corpus sentences that hold both "
        f"(at most {atlas_views.SEARCH_SENTENCES} are read)."
    )
    st.dataframe(found.head(12), hide_index=True)


def query_keys() -> None:
    layer, head = st.session_state["ha_head"]
    st.caption(
        f"Layer {layer}, head {head} (choose it on the Map tab): each point is one token's "
        "query (circle) or key (diamond) vector, laid out in 2-D by t-SNE (scikit-learn) "
        "after AttentionViz's normalisation: keys moved onto the queries' centre and both "
        "scaled to one mean norm, which changes no attention weight. A query lands near the "
        "keys it attends to."
    )
    left, right = st.columns(2)
    points = int(left.select_slider("Vectors", [500, 1000, 2000, 5000], 1000, key="ha_points"))
    color = right.radio("Colour by", ["side", "position", "pos"], horizontal=True,
                        key="ha_colour", format_func=atlas_views.COLOURS.__getitem__)  # fmt: skip
    if not st.toggle("Lay the vectors out", key="ha_qk_on"):
        st.info(f"Laying out {points:,} vectors takes a few seconds to half a minute.")
        return
    view = widgets.run_or_hint(
        lambda: atlas_views.qk_view(model, atlas, stack_name, layer, head, points),
        f"Reading {points // 2:,} queries and keys and laying them out (t-SNE)…",
    )
    if view is None:
        return
    frame = view.points
    hover = [f"{r.side}: {r.token} (position {r.position})<br>{atlas.sentences[r.sentence][:80]}"
             for r in frame.itertuples()]  # fmt: skip
    widgets.chart(
        figures.query_key_scatter(frame, color, hover,
                                  f"Queries and keys, layer {layer}, head {head}",
                                  categorical=color != "position"),
        key="ha_qk",
    )  # fmt: skip
    st.caption(f"{len(frame):,} vectors from {view.sentences} corpus sentences drawn at random.")


def sinks() -> None:
    if stack.sinks is None:
        st.info("Sinks across lengths are measured for a stack whose input length the corpus "
                "sets (an encoder; for the translator, its encoder).")  # fmt: skip
        return
    lengths = stack.sink_lengths
    which = st.radio("Share on", ["the first token", "special tokens"], horizontal=True,
                     key="ha_sink_kind")  # fmt: skip
    part = stack.sinks[:, 0 if which == "the first token" else 1]  # (lengths, layers, heads)
    top = ha.ranked(part.mean(axis=0))[:6]  # the largest share on average over the lengths
    series = {f"layer {lay}, head {h}": part[:, lay, h] for lay, h, _ in top}
    series["mean of all heads"] = part.mean(axis=(1, 2))
    widgets.chart(figures.sink_curves(lengths, series, f"Share of attention on {which}"),
                  key="ha_sinks")  # fmt: skip
    st.caption(
        f"Texts of {', '.join(map(str, lengths))} tokens cut from the corpus; the six heads "
        "with the largest share on average, and the mean of all heads."
    )


widgets.lazy_tabs(
    {"Map": head_map, "Syntax": syntax, "Search": search, "Query-key view": query_keys,
     "Sinks across lengths": sinks},
    key="ha_tab",
)  # fmt: skip
