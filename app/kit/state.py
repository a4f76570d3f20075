"""Page state that lives in the URL, so a shared link reopens the same view.

A page declares its shareable widgets once (`follow(PARAMS)` at its top); on the first run of
a session the query parameters seed the widgets, and every run writes the widgets back (after
the page has run: app/main.py, or sooner where a page calls `write_to_url` itself). The
same link is what a lecturer's room sends its students (app/rooms/panel.py), and a bookmark.

Streamlit forgets a page's widgets when another page runs; each page's last view is kept
per session, so that leaving a page and coming back finds it as it was (and a link that
names none of its parameters reopens that view).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

_SEEDED = "_query_params_seeded"
_VIEWS = "_page_views"  # this session's last view of each page: page -> {name: value}
_FOLLOWED = "_followed_params"  # the params of the page running now (`follow`)
_RUNNING = "_running_page"  # the URL path of the page running now (app/main.py)


@dataclass(frozen=True)
class Param:
    key: str  # the widget's key
    kind: Callable[[str], Any] = str
    choices: Sequence[Any] | None = None  # valid values; others in a link are ignored


def flag(text: str) -> bool:
    """A switch in a link: True/1 or False/0 (what str() of a bool writes)."""
    if text in ("True", "1"):
        return True
    if text in ("False", "0"):
        return False
    raise ValueError(f"not a switch: {text!r}")


def _page(params: Mapping[str, Param]) -> str:
    return ",".join(sorted(param.key for param in params.values()))


def seed_from_url(params: Mapping[str, Param]) -> None:
    """On a session's first run of the page, query parameters seed the widgets; a widget
    Streamlit forgot (another page ran) is seeded again, from the link or else from this
    page's last view. Values that do not parse or are not valid choices are ignored, so a
    hand-edited link cannot break the page."""
    seeded: set[str] = st.session_state.setdefault(_SEEDED, set())
    saved = st.session_state.get(_VIEWS, {}).get(_page(params), {})
    named = any(name in st.query_params for name in params)
    for name, param in params.items():
        forgotten = param.key not in st.session_state
        if param.key in seeded and not forgotten:
            continue
        seeded.add(param.key)
        if name in st.query_params:
            text = st.query_params[name]
        elif forgotten and not named and name in saved:
            text = saved[name]  # back on this page: its view as it was left
        else:
            continue
        try:
            value = param.kind(text)
        except (TypeError, ValueError):
            continue
        if param.choices is None or value in param.choices:
            st.session_state[param.key] = value


def follow(params: Mapping[str, Param]) -> None:
    """A page's view lives in its link: seeded now, written when the page has run."""
    seed_from_url(params)
    st.session_state[_FOLLOWED] = (st.session_state.get(_RUNNING), params)


def running(page: str) -> None:
    """app/main.py, before a page runs: which page `follow` is called from."""
    st.session_state[_RUNNING] = page


def write_followed(page: str) -> None:
    """app/main.py, after `page` ran to its end: its view, if it `follow`s. Parameters that
    another page left behind (it stopped early, st.stop, before they could be written) are
    never written into this page's link."""
    followed, params = st.session_state.pop(_FOLLOWED, (None, None))
    if params is not None and followed == page:
        write_to_url(params)


WRITTEN: list[Callable[[], None]] = []  # told each time a page has written its view


def write_to_url(params: Mapping[str, Param]) -> None:
    """Write the page's view into its link; then tell the listeners (a lecturer's room takes
    the view from here, before the page's charts are drawn: app/rooms/panel.py)."""
    view = {}
    for name, param in params.items():
        if param.key in st.session_state:
            value = view[name] = str(st.session_state[param.key])
            if st.query_params.get(name) != value:
                st.query_params[name] = value
    st.session_state.setdefault(_VIEWS, {})[_page(params)] = view
    for listener in WRITTEN:
        listener()


def seed_again() -> None:
    """Let the link seed the widgets again on the next run (a room applies a new view as a
    link would: app/rooms/panel.py)."""
    st.session_state.pop(_SEEDED, None)
