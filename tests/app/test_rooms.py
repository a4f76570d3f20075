"""Rooms in AppTest: a lecturer's session opens a room and drives; a student's session joins
by the link and follows page, text, layer, head and lecture mode; leaves, rejoins; a wrong
code and a closed room say so; the student's own text never reaches the room."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.rooms import panel, store
from tests.app.helpers import MAIN, TIMEOUT, open_page


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    monkeypatch.delenv(store.REDIS_ENV, raising=False)
    monkeypatch.setattr(store, "_store", [])


def lecturer() -> tuple[AppTest, str]:
    at = open_page("explorer.py")
    at.button("room_open").click().run()
    assert not at.exception, [e.message for e in at.exception]
    code, token = at.session_state[panel.PRESENTING]
    assert token not in panel.link(code)  # the students' link never holds the token
    assert any(code in m.value for m in at.markdown)
    assert at.get("imgs") or at.get("image")  # the QR code
    return at, code


def student(code: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.query_params[panel.ROOM_PARAM] = code
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_student_follows_the_lecturer_and_can_leave_and_rejoin():
    teacher, code = lecturer()
    teacher.text_area("ex_text").input("Lecturers show attention to the class.").run()
    teacher.selectbox("ex_layer").set_value(3).run()
    view = store.store().view(code)
    assert view.page == "explorer" and view.params["layer"] == "3"

    pupil = student(code)
    assert pupil.session_state[panel.FOLLOWING] == code
    assert pupil.text_area("ex_text").value == "Lecturers show attention to the class."
    assert pupil.selectbox("ex_layer").value == 3
    assert store.store().followers(code) == 1

    teacher.selectbox("ex_head").set_value(7).run()
    teacher.toggle("lecture_mode").set_value(True).run()
    pupil.run()  # the poll sees the new view and the app reruns on it
    pupil.run()
    assert pupil.selectbox("ex_head").value == 7
    assert pupil.toggle("lecture_mode").value is True

    pupil.button("room_leave").click().run()
    assert store.store().followers(code) == 0  # at once, not after FOLLOWER_TTL_S
    pupil.text_area("ex_text").input("My own secret sentence about zqx.").run()
    teacher.selectbox("ex_head").set_value(2).run()
    pupil.run()
    assert pupil.selectbox("ex_head").value == 7  # the view is the student's own again
    assert "zqx" not in str(store.store().view(code))  # the room holds no student text
    pupil.button("room_rejoin").click().run()
    pupil.run()
    assert pupil.selectbox("ex_head").value == 2
    assert pupil.text_area("ex_text").value == "Lecturers show attention to the class."


def test_a_student_cannot_drive():
    teacher, code = lecturer()
    pupil = student(code)
    assert panel.PRESENTING not in pupil.session_state
    pupil.selectbox("ex_head").set_value(9).run()  # the student changes their own page only
    assert store.store().view(code).params.get("head") != "9"
    assert teacher.selectbox("ex_head").value != 9


def test_a_wrong_code_and_a_closed_room_say_so_at_the_top_of_the_page():
    pupil = student("ABCDEF")
    assert any("There is no room 'ABCDEF'" in w.value for w in pupil.main.warning)
    teacher, code = lecturer()
    pupil = student(code)
    teacher.button("room_close").click().run()
    pupil.run()
    assert panel.FOLLOWING not in pupil.session_state
    closed = [w.value for w in pupil.main.warning]  # not in the sidebar's collapsed panel
    assert closed == [f"The room {code} has closed: your view is your own again."]
    assert pupil.button("room_rejoin").label == f"Rejoin room {code}"
    pupil.text_input(panel.CODE_BOX).input("   ").run()
    pupil.button("room_join").click().run()
    assert any("Type the room's code first" in w.value for w in pupil.warning)
    for typed in ("<script>x", "😀😀", "שלום", "code " * 10_000):
        pupil.text_input(panel.CODE_BOX).input(typed[:12]).run()
        pupil.button("room_join").click().run()
        assert not pupil.exception, typed
        assert any("There is no room" in w.value for w in pupil.warning), typed


@pytest.mark.parametrize(
    "code",
    ["[CLICK](HTTPS://EXAMPLE.ORG)", "![X](HTTP://127.0.0.1:8899/PIXEL.PNG)", "{{7*7}} ${7*7}",
     "<b>HI</b>", "NOSUCH"],
)  # fmt: skip
def test_a_code_that_is_not_a_code_is_never_looked_up_nor_shown_back(code, monkeypatch):
    """A link's `room` or a typed code lands in no message, no button and no store call."""
    looked_up = []
    monkeypatch.setattr(store.MemoryStore, "view", lambda self, c: looked_up.append(c))
    for pupil in (student(code), open_page("home.py")):
        if panel.CODE_BOX in [t.key for t in pupil.text_input]:
            pupil.text_input(panel.CODE_BOX).input(code[:12]).run()
            pupil.button("room_join").click().run()
        shown = [e.value for e in (*pupil.warning, *pupil.markdown, *pupil.caption)]
        shown += [b.label for b in pupil.button]
        assert [w.value for w in pupil.main.warning] == [str(store.NotACode())]
        assert not any(code[:6] in text for text in shown), shown
        assert looked_up == []
        pupil.run()  # nor tried again on the next run
        assert looked_up == []


def test_a_room_its_store_lost_comes_back_under_its_code_and_followers_follow_again():
    teacher, code = lecturer()
    teacher.selectbox("ex_head").set_value(4).run()
    pupil = student(code)
    assert pupil.selectbox("ex_head").value == 4
    rooms_store = store.store()
    rooms_store._rooms.clear()  # the store restarted, empty
    pupil.run()  # the poll finds no room: paused, the view kept, still following
    assert [w.value for w in pupil.main.warning] == [panel.PAUSED_NOTICE]
    assert pupil.session_state[panel.FOLLOWING] == code
    assert pupil.selectbox("ex_head").value == 4
    teacher.selectbox("ex_head").set_value(6).run()  # the lecturer's session puts it back
    assert rooms_store.view(code).params["head"] == "6"
    pupil.run()
    pupil.run()
    assert pupil.selectbox("ex_head").value == 6  # following again, without typing a code
    assert panel.PAUSED not in pupil.session_state


def test_a_lost_store_pauses_the_room_for_everyone_until_it_answers(monkeypatch):
    teacher, code = lecturer()
    pupil = student(code)
    down = store.StoreDown(ConnectionError("refused"))

    def refuse(*args, **kwargs):
        raise down

    with monkeypatch.context() as lost:
        for method in ("publish", "view", "seen", "followers"):
            lost.setattr(store.MemoryStore, method, refuse)
        teacher.selectbox("ex_head").set_value(9).run()
        pupil.run()
        for session in (teacher, pupil):
            assert [w.value for w in session.main.warning] == [panel.PAUSED_NOTICE]
            assert not session.exception
        assert panel.PRESENTING in teacher.session_state
        assert panel.FOLLOWING in pupil.session_state
    teacher.run()  # the store answers again
    assert [w.value for w in teacher.main.warning] == [panel.BACK_NOTICE]
    pupil.run()
    pupil.run()
    assert pupil.selectbox("ex_head").value == 9


def test_guessing_codes_is_throttled_per_session(monkeypatch):
    looked_up = []
    view = store.MemoryStore.view
    monkeypatch.setattr(store.MemoryStore, "view",
                        lambda self, c: looked_up.append(c) or view(self, c))  # fmt: skip
    pupil = open_page("home.py")
    for guess in range(panel.MISSES):  # typed and Join clicked in one run, as a browser sends
        pupil.text_input(panel.CODE_BOX).input(f"ABCDE{'FGHJKLMNPQ'[guess]}")
        pupil.button("room_join").click().run()
        assert any("There is no room" in w.value for w in pupil.main.warning)
    pupil.text_input(panel.CODE_BOX).input("ABCDEZ")
    pupil.button("room_join").click().run()
    assert next(w.value for w in pupil.main.warning).startswith(f"{panel.MISSES} wrong codes")
    assert len(looked_up) == panel.MISSES  # the eleventh guess was never looked up
    monkeypatch.setattr(panel, "MISS_WINDOW_S", 0.0)  # a minute later
    pupil.button("room_join").click().run()
    assert len(looked_up) == panel.MISSES + 1
