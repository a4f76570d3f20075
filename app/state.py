"""Page state that lives in the URL, so a shared link reopens the same view.

A page declares its shareable widgets once; on the first run of a session the
query parameters seed the widgets, and every run writes the widgets back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

_SEEDED = "_query_params_seeded"


@dataclass(frozen=True)
class Param:
    key: str  # the widget's key
    kind: Callable[[str], Any] = str
    choices: Sequence[Any] | None = None  # valid values; others in a link are ignored


def seed_from_url(params: Mapping[str, Param]) -> None:
    """On a session's first run of the page, query parameters seed the widgets. Values that
    do not parse or are not valid choices are ignored, so a hand-edited link cannot break
    the page."""
    seeded: set[str] = st.session_state.setdefault(_SEEDED, set())
    for name, param in params.items():
        if param.key in seeded:
            continue
        seeded.add(param.key)
        if name not in st.query_params:
            continue
        try:
            value = param.kind(st.query_params[name])
        except (TypeError, ValueError):
            continue
        if param.choices is None or value in param.choices:
            st.session_state[param.key] = value


WRITTEN: list[Callable[[], None]] = []  # told each time a page has written its view


def write_to_url(params: Mapping[str, Param]) -> None:
    """Write the page's view into its link; then tell the listeners (a lecturer's room takes
    the view from here, before the page's charts are drawn: app/rooms.py)."""
    for name, param in params.items():
        if param.key in st.session_state:
            value = str(st.session_state[param.key])
            if st.query_params.get(name) != value:
                st.query_params[name] = value
    for listener in WRITTEN:
        listener()


def seed_again() -> None:
    """Let the link seed the widgets again on the next run (a room applies a new view as a
    link would: app/rooms.py)."""
    st.session_state.pop(_SEEDED, None)
