"""Every page is followed: a lecturer changes each control its link carries (app/kit/state.py),
and a student who joins the room sees the same page with the same values; a page left and
come back to keeps its view (Streamlit forgets a page's widgets when another page runs)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from app.rooms import panel, store
from tests.app.helpers import MAIN, TIMEOUT, open_page

# page -> the lecturer's changes (widget key -> a value other than the default)
CHANGES: dict[str, dict[str, object]] = {
    "bert_attention": {"bert_text": "Lecturers show heads to the class.", "bert_layer": 3,
                       "bert_head": 7},
    "translate": {"tr_text": "The dog sleeps near the river.",
                  "tr_decoding": "beam search (4 beams)", "tr_layer": 1, "tr_head": 2,
                  "tr_step": 2, "tr_ablate_mode": "mean", "tr_lens": True},
    "ner": {"ner_text": "Barack Obama visited Paris with Michelle Obama.", "ner_entity": 1,
            "ner_ablate_mode": "mean"},
    "qa": {"qa_question": "Where is the ball?", "qa_context": "The ball is in the garden.",
           "qa_layer": 2, "qa_head": 3},
    "positional": {"pe_sentence_a": "Where is the dog?", "pe_d_model": 64, "pe_length": 32},
    "masks": {"mask_first": "A dog barks.", "mask_layer": 1, "mask_item": 1,
              "mask_stack": "decoder"},
    "step_by_step": {"steps_text": "The river bank was muddy.", "steps_layer": 2,
                     "steps_head": 5, "steps_token": 1, "steps_q1": -1.0, "steps_scale": False},
    "watch": {"watch_task": "copy", "watch_steps": 100},
    "finetune": {"ft_task": "qa", "ft_use_sample": True},
}  # fmt: skip
KINDS = ("text_area", "text_input", "selectbox", "slider", "radio", "toggle")


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    monkeypatch.delenv(store.REDIS_ENV, raising=False)
    monkeypatch.setattr(store, "_store", [])


def widget(at: AppTest, key: str):
    for kind in KINDS:
        found = [w for w in at.get(kind) if getattr(w, "key", None) == key]
        if found:
            return found[0]
    raise AssertionError(f"no widget {key!r} on the page")


def change(at: AppTest, key: str, value: object) -> None:
    element = widget(at, key)
    if hasattr(element, "input") and isinstance(value, str) and element.type != "selectbox":
        element.input(value).run()
    else:
        element.set_value(value).run()
    assert not at.exception, (key, [e.message for e in at.exception])


@pytest.mark.parametrize("page", list(CHANGES))
def test_a_student_sees_every_control_the_lecturer_changes(page):
    teacher = open_page(f"{page}.py")
    teacher.button("room_open").click().run()
    code, _ = teacher.session_state[panel.PRESENTING]
    for key, value in CHANGES[page].items():
        change(teacher, key, value)
    shown = {key: widget(teacher, key).value for key in CHANGES[page]}
    assert shown == CHANGES[page]  # the lecturer's own page took them
    assert store.store().view(code).page == page

    pupil = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    pupil.query_params[panel.ROOM_PARAM] = code
    pupil.run()
    pupil.run()  # the switch to the lecturer's page, then that page's run
    assert not pupil.exception, [e.message for e in pupil.exception]
    assert {key: widget(pupil, key).value for key in CHANGES[page]} == CHANGES[page]


def test_leaving_a_page_and_coming_back_keeps_its_view():
    at = open_page("explorer.py")
    at.text_area("ex_text").input("A view to come back to.").run()
    at.selectbox("ex_layer").set_value(4).run()
    at.selectbox("ex_head").set_value(9).run()
    at.switch_page("../pages/head_atlas.py").run()
    at.switch_page("../pages/explorer.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.text_area("ex_text").value == "A view to come back to."
    assert (at.selectbox("ex_layer").value, at.selectbox("ex_head").value) == (4, 9)
    at.switch_page("../pages/bert_attention.py").run()
    at.selectbox("bert_head").set_value(11).run()
    at.switch_page("../pages/home.py").run()
    at.switch_page("../pages/bert_attention.py").run()
    assert at.selectbox("bert_head").value == 11


# What a hostile link may carry: a live outside link, a pixel fetched from elsewhere, raw
# HTML and a template, in one value (and emoji and right-to-left text beside them).
PAYLOAD = (
    "[CLICK](HTTPS://EXAMPLE.ORG) ![X](HTTP://127.0.0.1:8899/PIXEL.PNG) "
    "<img src=x onerror=alert(1)> {{7*7}} ${7*7} 😀 שלום"
)
# ...and what of it would be live if it reached the Markdown unescaped (app.kit.text.escape puts a
# backslash before each of these characters)
MARKUP = re.compile(r"(?<!\\)\]\(HTTP|(?<!\\)!\[X|(?<!\\)<img")


def shown_markdown(at: AppTest) -> list[str]:
    """Every piece of Markdown or HTML the run asked the browser to render."""
    kinds = ("markdown", "caption", "warning", "info", "error", "success", "title", "header")
    return [str(e.value) for kind in (*kinds, "subheader") for e in at.get(kind)]


@pytest.mark.parametrize("page", ["explorer", "architecture", "head_atlas", *CHANGES])
def test_no_link_parameter_is_rendered_as_markup(page):
    """Every parameter the page writes into its link, and `room` and `lecture`, carry the
    payload: the page runs, and no Markdown it sends holds the payload's links, image or
    HTML unescaped (typed text goes through app.kit.text.escape)."""
    names = set(open_page(f"{page}.py").query_params) | {panel.ROOM_PARAM, "lecture"}
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT).switch_page(f"../pages/{page}.py")
    for name in names:
        at.query_params[name] = PAYLOAD
    at.run()  # the page opened from the link, as a browser opens it
    assert not at.exception, [e.message for e in at.exception]
    assert len(names) >= 3 and at.query_params.get(panel.ROOM_PARAM) is not None
    for text in shown_markdown(at):
        assert not MARKUP.search(text), text


def test_a_page_that_stops_early_leaves_nothing_for_the_next_page_to_write():
    """The QA page stops when its hub model cannot be had (offline): the next page's link
    holds none of its parameters."""
    at = open_page("qa.py")
    at.radio("qa_model").set_value("hub").run()  # offline: a message, then st.stop()
    assert not at.exception
    at.query_params.clear()  # as the browser's address after a click in the menu
    at.switch_page("../pages/home.py").run()
    assert not at.exception
    assert not set(at.query_params) & {"question", "context", "model", "framework"}
