"""A tab switch never runs the model again: what a text's views need is computed once (the
capture, the outputs an explanation can be asked for, the lens's layers), and every view of
a text already captured is drawn from it. Counted at each model's first attention module, so
every way a model can be called (a forward, a generation step, a decoding step) counts."""

from __future__ import annotations

import threading

import pytest

from app.kit.explore import TABS

TEXT = "The cat sat on the mat."
ANALYSES = ("Explanations", "Logit lens", "Patching")  # each computes once, on first visit


def first_attention(model):
    """The module of layer 0 of the model's first stack: one call per pass through it."""
    sites = [m for m in model.modules() if getattr(m, "_atlas_site", None) is not None]
    return next(m for m in sites if m._atlas_site.layer == 0)


def counted(models):
    calls = []
    handles = [first_attention(m).register_forward_pre_hook(lambda *_: calls.append(1))
               for m in models]  # fmt: skip
    return calls, handles


def through_every_tab(at) -> None:
    for tab in TABS:
        at.session_state["ex_tab"] = tab
        at.run()
        assert not at.exception, (tab, [e.message for e in at.exception])


# Slow (about 15 s a source): each of the explorer's eleven tabs opened once per source,
# counting the model's calls; the tabs are what it tests.
@pytest.mark.parametrize("source", ["listed:tiny-llama", "listed:tiny-t5", "minilm-ner",
                                    "translator"])  # fmt: skip
def test_switching_tabs_never_runs_the_model_again(explorer, source):
    from app.serving import loaders

    at = explorer
    at.selectbox("ex_model").set_value(source).run()
    at.text_area("ex_text").input(TEXT).run()
    assert not at.exception
    models = {
        "minilm-ner": lambda: [loaders.ner_tagger().model],
        "translator": lambda: [loaders.translator().model],
    }.get(source, lambda: [loaders.listed(source.removeprefix("listed:"))[0]])()
    calls, handles = counted(models)
    try:
        for tab in TABS:  # the first visit: only a tab with an analysis of its own may run it
            before = len(calls)
            at.session_state["ex_tab"] = tab
            at.run()
            assert not at.exception, (tab, [e.message for e in at.exception])
            if tab not in (*ANALYSES, "Compare"):  # Compare captures its own second text
                assert len(calls) == before, f"{tab} ran the model {len(calls) - before} times"
        first_round = len(calls)
        through_every_tab(at)  # every view again, in any order: drawn from what was kept
        for layer, head in ((1, 1), (0, 2)):
            at.session_state["ex_layer"], at.session_state["ex_head"] = layer, head
            at.session_state["ex_tab"] = "One head"
            at.run()
        at.session_state["ex_tab"] = "All heads"
        at.run()
        assert len(calls) == first_round, f"{len(calls) - first_round} model calls on revisits"
    finally:
        for handle in handles:
            handle.remove()


def switched_on(at, text: str, tab: str, toggle: str):
    """A listed GPT-2 reading `text` (one no other test analyses: nothing kept), on `tab`,
    with its analysis switched on."""
    at.selectbox("ex_model").set_value("listed:tiny-gpt2").run()
    at.text_area("ex_text").input(text).run()
    at.session_state["ex_tab"] = tab
    at.run()
    at.toggle(toggle).set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_long_analysis_is_a_job_with_an_estimate_progress_and_a_result(explorer, monkeypatch):
    """With every analysis counted long (ATLAS_JOB_AFTER_S=0): the explanation says what it
    will cost and waits for Start; then it runs as a job and its strips appear."""
    from app.serving import caches, jobs

    monkeypatch.setenv(jobs.AFTER_ENV, "0")
    at = switched_on(explorer, "A text no other test explains.", "Explanations", "ex_explain")
    assert any("passes through the model" in i.value for i in at.info)
    assert not any("ex_strips" in c.proto.id for c in at.get("plotly_chart"))
    at.button("ex_job_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    key = next(k for k in jobs._jobs if k[0][:2] == ("explorer", "listed:tiny-gpt2"))
    done = jobs.wait(key, timeout=120)
    assert done.state == "done", done.error
    at.run()
    assert any("ex_strips" in c.proto.id for c in at.get("plotly_chart"))
    assert caches.EXPLANATIONS.peek(key) is not None


def test_a_job_can_be_cancelled_from_the_page(explorer, monkeypatch):
    from app.serving import jobs
    from app.serving.budget_cache import BudgetCache

    monkeypatch.setenv(jobs.AFTER_ENV, "0")
    at = switched_on(explorer, "A text no other test patches.", "Patching", "ex_patch")
    held = threading.Event()
    kept: BudgetCache[int] = BudgetCache("held", 1 << 20, size_of=lambda v: 8)
    release = jobs.submit(("hold",), "holding the queue", lambda: int(held.wait(timeout=60)),
                          None, kept, 1, 1)  # fmt: skip
    try:
        at.button("ex_patch_job_start").click().run()  # queued behind the held job
        assert any("queued, place 1" in i.value for i in at.info)
        at.button("ex_patch_job_cancel").click().run()
        key = next(k for k in jobs._jobs if k and k[0] == "explorer" and "listed:tiny-gpt2" in k)
        assert jobs._jobs[key].state == "cancelled"
        at.run()
        assert at.button("ex_patch_job_start")  # offered again
    finally:
        held.set()
        jobs.wait(("hold",))
        assert release.state == "done"
