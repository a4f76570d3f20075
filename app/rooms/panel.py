"""Present to a room: a class follows the lecturer's view live.

A lecturer opens a room from the sidebar of any page and shows its code, link and QR code.
After each of the lecturer's runs, their view goes to the room: the page and its link
parameters (model, text, layer, head, tab, step, lecture mode: what a shared link carries).
Each student who joins polls the room twice a second; a new view is applied as a shared link
would be (the page, its parameters seeding its widgets) and the page reruns. A student can
leave (their view is theirs again) and rejoin with one click. Where rooms live, and who may
change them: app/rooms/store.py.

When the store is lost (Redis down or restarted empty), everyone is told at the top of the
page and keeps the view they have; the lecturer's session keeps trying every COUNT_S and puts
the room back under the same code as soon as the store answers, and followers, who keep
asking, follow again by themselves (a room that stays away RETURN_S is over for them).
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import io
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from app.kit.state import WRITTEN, seed_again
from app.kit.theme import LECTURE_KEY, LECTURE_PARAM
from app.rooms import store

ROOM_PARAM = "room"
POLL_S = 0.5  # how often a follower asks for the lecturer's view
COUNT_S = 2.0  # how often the lecturer's panel counts followers (and keeps the room alive)
RETURN_S = 60.0  # how long a follower waits for a lost room to come back
MISSES, MISS_WINDOW_S = 10, 60.0  # wrong codes a session may try per window, then it waits
PRESENTING, FOLLOWING, LEFT = "room_presenting", "room_following", "room_left"
PENDING, SEEN, ME, NOTICE, PUBLISHED, PAGE = (
    "room_pending", "room_seen", "room_me", "room_notice", "room_published", "room_page",
)  # fmt: skip
CODE_BOX = "room_code"
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's own, one per browser (`follower_id`)
REFUSED = "room_refused"  # a link's code that is not a code (store.well_formed)
PAUSED = "room_paused"  # the store is lost: since when (time.monotonic)
MISSED = "room_missed"  # when this session's wrong codes were tried (time.monotonic)
NOTICE_S = 8.0  # how long a notice stays at the top of the page, through the reruns it causes
PAUSED_NOTICE = (
    "The rooms' store cannot be reached: the room is paused and everyone keeps the view they "
    "have. It goes on by itself, under the same code, as soon as the store is back."
)
BACK_NOTICE = "The rooms' store is back: the room goes on under the same code."


def before_run(pages: dict[str, Any], current: Any) -> None:
    """main.py calls this before the page and its widgets: a room named in the link is
    joined, the lecturer's new view is applied, and the sidebar gets the room panel."""
    state = st.session_state
    state[PAGE] = current.url_path
    code = st.query_params.get(ROOM_PARAM)
    if (
        code
        and PRESENTING not in state
        and store.normalise(code) not in (state.get(FOLLOWING), state.get(LEFT), state.get(REFUSED))
    ):
        join(code)
    view = state.pop(PENDING, None)
    if view is not None and FOLLOWING in state:
        params = {**view.params, ROOM_PARAM: state[FOLLOWING]}
        seed_again()  # the page seeds its widgets from the link, as a shared link does
        state[LECTURE_KEY] = view.params.get(LECTURE_PARAM) == "1"
        if view.page != current.url_path and view.page in pages:
            st.switch_page(pages[view.page], query_params=params)
        st.query_params.from_dict(params)
    panel()


def after_run(current: Any) -> None:
    """The lecturer's view goes to the room after each of their runs (and, sooner, as soon
    as the page has written its view into its link: `state.WRITTEN`)."""
    publish_view()


def publish_view() -> None:
    presenting = st.session_state.get(PRESENTING)
    if presenting is None:
        return
    params = {k: v for k, v in st.query_params.to_dict().items() if k != ROOM_PARAM}
    view = (st.session_state.get(PAGE, ""), params)
    if view != st.session_state.get(PUBLISHED):
        st.session_state[PUBLISHED] = view
        _publish(*presenting)


WRITTEN.append(publish_view)


def _publish(code: str, token: str) -> None:
    """The lecturer's view to the room; a room the store lost is put back under its code,
    and a lost store pauses the room (`PAUSED`) until a later call reaches it."""
    page, params = st.session_state.get(PUBLISHED, ("", {}))
    rooms_store = store.store()
    try:
        try:
            rooms_store.publish(code, token, page, params)
        except store.RoomClosed:
            raise
        except store.NoSuchRoom:  # the store came back empty: the room goes back in
            rooms_store.reopen(code, token)
            rooms_store.publish(code, token, page, params)
    except store.StoreDown:
        _paused(True)
        return
    except store.RoomError as error:
        st.session_state.pop(PRESENTING, None)
        st.session_state.pop(PAUSED, None)
        notify(f"The room {code} is closed: {error}")
        return
    _paused(False)


def _paused(lost: bool) -> bool:
    """Record whether the store is lost; True when that changed (the notice says which)."""
    state = st.session_state
    if lost == (PAUSED in state):
        return False
    if lost:
        state[PAUSED] = time.monotonic()  # said while it lasts (`panel`)
    else:
        state.pop(PAUSED)
        notify(BACK_NOTICE)
    return True


# -- what the buttons do (callbacks live in app/) --------------------------------------------
def open_room() -> None:
    try:
        opened = store.store().open()
    except store.RoomError as error:
        notify(str(error))
        return
    st.session_state[PRESENTING] = (opened.code, opened.token)
    st.session_state.pop(FOLLOWING, None)


def close_room() -> None:
    st.session_state.pop(PAUSED, None)
    code, token = st.session_state.pop(PRESENTING)
    with contextlib.suppress(store.RoomError):  # already gone: closed, as asked
        store.store().close(code, token)


def join(code: str) -> None:
    """Follow a room: its current view is applied on this run."""
    code = store.normalise(code)
    now = time.monotonic()
    missed = [t for t in st.session_state.get(MISSED, []) if now - t < MISS_WINDOW_S]
    if len(missed) >= MISSES:  # codes are not to be guessed
        wait = MISS_WINDOW_S - (now - missed[0])
        notify(f"{MISSES} wrong codes in a minute: wait {wait:.0f} s before trying another.")
        st.session_state[REFUSED] = code
        return
    if not store.well_formed(code):  # never looked up, never shown back
        notify(str(store.NotACode()))
        st.session_state[REFUSED] = code  # not tried again from the link on every run
        st.session_state[MISSED] = [*missed, now]
        return
    try:
        view = store.store().view(code)
    except store.RoomError as error:
        notify(str(error))
        st.session_state[LEFT] = code  # not joined again from the link on every run
        if isinstance(error, store.NoSuchRoom):
            st.session_state[MISSED] = [*missed, now]
        return
    st.session_state.setdefault(ME, follower_id())
    st.session_state.update({FOLLOWING: code, PENDING: view, SEEN: view.version})
    st.session_state.pop(LEFT, None)


def join_typed() -> None:
    typed = st.session_state.get(CODE_BOX, "")
    if not store.normalise(typed):
        notify("Type the room's code first.")
        return
    join(typed)


def leave() -> None:
    st.session_state.pop(PAUSED, None)
    st.session_state[LEFT] = code = st.session_state.pop(FOLLOWING)
    with contextlib.suppress(store.RoomError):  # gone from the count at once
        store.store().gone(code, st.session_state[ME])


def follower_id(cookie: str | None = None) -> str:
    """Who follows, as the room counts them: one browser, not one session. A session that
    replaces another (a reload, a reconnection to another replica) is the same follower, so
    the count never holds both. Read from Streamlit's XSRF cookie, which a browser keeps
    across reloads and replicas: its token (a v2 cookie is `2|mask|masked token|time`, the
    4-byte mask repeated over the token and drawn afresh on each response), hashed, never
    stored as it is. Without the cookie (XSRF protection off, a client without cookies), one
    id per session."""
    if cookie is None:
        try:
            cookie = st.context.cookies.get(XSRF_COOKIE)
        except Exception:  # no request context (tests)
            cookie = None
    parts = (cookie or "").strip("\"'").split("|")
    try:
        mask, masked = (binascii.unhexlify(part) for part in parts[1:3])
    except (binascii.Error, ValueError):
        return secrets.token_hex(8)
    if parts[0] != "2" or len(mask) != 4 or not masked:  # a websocket-style 4-byte mask
        return secrets.token_hex(8)
    token = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
    return hashlib.sha256(b"atlas-follower:" + token).hexdigest()[:16]


def rejoin() -> None:
    join(st.session_state[LEFT])


def _stop_following(notice: str) -> None:
    state = st.session_state
    state[LEFT] = state.pop(FOLLOWING)
    state.pop(PAUSED, None)
    notify(notice)
    st.rerun(scope="app")


# -- the sidebar panel --------------------------------------------------------------------------
def notify(text: str) -> None:
    """Say `text` at the top of the page for NOTICE_S (a notice often causes reruns of its
    own: a follower's page applies the view that comes back, and one run's notice was gone
    before it could be read)."""
    st.session_state[NOTICE] = (text, time.monotonic() + NOTICE_S)


def panel() -> None:
    """The sidebar's Room panel; what happened to the room (closed, store lost, a wrong code)
    is said at the top of the page, where lecturer and students look, not in the panel."""
    state = st.session_state
    text, until = state.get(NOTICE, ("", 0.0))
    if PAUSED in state:
        st.warning(PAUSED_NOTICE, icon=":material/meeting_room:")
    elif text and time.monotonic() < until:
        st.warning(text, icon=":material/meeting_room:")
    else:
        state.pop(NOTICE, None)
    with st.sidebar.expander("Room", expanded=PRESENTING in state or FOLLOWING in state):
        if PRESENTING in state:
            presenting()
        elif FOLLOWING in state:
            following()
            st.button("Leave: explore on my own", key="room_leave", on_click=leave)
        else:
            if LEFT in state:
                st.button(f"Rejoin room {state[LEFT]}", key="room_rejoin", on_click=rejoin)
            st.button("Present to a room", key="room_open", on_click=open_room,
                      help="Students who join follow this session's view, live.")  # fmt: skip
            st.text_input("Join a room", key=CODE_BOX, max_chars=12, placeholder="code")
            st.button("Join", key="room_join", on_click=join_typed)


def link(code: str) -> str:
    """The students' link: this server's address and the code, never the presenter token."""
    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}/" if parts.netloc else "/"
    except Exception:  # no request context (tests)
        base = "/"
    return f"{base}?{ROOM_PARAM}={code}"


def qr_png(text: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def presenting() -> None:
    code, _ = st.session_state[PRESENTING]
    address = link(code)
    st.markdown(f"Room **{code}**: students open the link or scan the code.")
    st.code(address, language=None, wrap_lines=True)  # whole, however narrow the sidebar
    st.image(qr_png(address), width=180)
    count()
    st.button("Close the room", key="room_close", on_click=close_room)


@st.fragment(run_every=COUNT_S)
def count() -> None:
    """How many follow (and the room kept alive while this session is open)."""
    presenting = st.session_state.get(PRESENTING)
    if presenting is None:
        return
    code, token = presenting
    was_paused = PAUSED in st.session_state
    _publish(code, token)
    if PRESENTING not in st.session_state or (PAUSED in st.session_state) != was_paused:
        st.rerun(scope="app")  # the notice shows at the top of the page
    if PAUSED in st.session_state:
        st.caption(f"Paused: the store cannot be reached; trying again every {COUNT_S:.0f} s.")
        return
    try:
        followers = store.store().followers(code)
    except store.StoreDown:
        _paused(True)
        st.rerun(scope="app")
    except store.RoomError as error:
        st.session_state.pop(PRESENTING, None)
        notify(str(error))
        st.rerun(scope="app")
    st.caption(f"{followers} following")


@st.fragment(run_every=POLL_S)
def following() -> None:
    """A follower's poll: a new view of the lecturer's is applied on a rerun of the app."""
    state = st.session_state
    code = state.get(FOLLOWING)
    if code is None:
        return
    try:
        store.store().seen(code, state[ME])
        view = store.store().view(code)
    except store.RoomClosed:
        _stop_following(f"The room {code} has closed: your view is your own again.")
    except (store.NoSuchRoom, store.StoreDown):  # lost for now: keep asking
        if time.monotonic() - state.get(PAUSED, time.monotonic()) > RETURN_S:
            _stop_following(
                f"The room {code} has not come back for {RETURN_S:.0f} s: your view is your "
                "own again (Rejoin, in the Room panel, tries again)."
            )
        if _paused(True):
            state.pop(SEEN, None)  # whatever comes back is applied
            st.rerun(scope="app")
        st.caption("Room paused: waiting for it to come back…")
        return
    if _paused(False):
        st.rerun(scope="app")
    if view.version != state.get(SEEN):
        state.update({PENDING: view, SEEN: view.version})
        st.rerun(scope="app")
    st.caption(f"Following room **{code}**: the lecturer's view, live.")
