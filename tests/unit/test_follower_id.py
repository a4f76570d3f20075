"""A room counts browsers, not sessions: `rooms.follower_id` reads the same follower from
every cookie Streamlit masks afresh for one browser, a different one for another browser,
and a session of its own where there is no usable cookie."""

from __future__ import annotations

import os
import time

from app.rooms.panel import follower_id


def cookie(token: bytes) -> str:
    """Streamlit's v2 XSRF cookie for `token`, masked afresh as each response masks it."""
    mask = os.urandom(4)  # repeated over the token, as a websocket frame's mask is
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|{int(time.time())}"


def test_one_browser_is_one_follower_however_its_cookie_is_masked():
    token = os.urandom(16)
    first, again = cookie(token), cookie(token)
    assert first != again  # what the browser sends differs from response to response
    assert follower_id(first) == follower_id(again) == follower_id(f'"{again}"')
    assert follower_id(first) != follower_id(cookie(os.urandom(16)))  # another browser
    assert token.hex() not in follower_id(first)  # the token itself is never stored


def test_a_cookie_as_chromium_sent_it():
    """Two cookies one browser got from the app (a reload apart), copied from Chromium."""
    first = "2|73f897bb|5f82b2a4e695c1a2849447fef24513ca|1796624051"
    reload = "2|e75126f1|cb2b03ee723c70e8103df6b466eca280|1796624051"
    assert follower_id(first) == follower_id(reload)


def test_without_a_usable_cookie_each_session_is_its_own_follower():
    for bad in ("", "2|zz|zz|1", "2|00|", "1|abcd", "2||abcd|1", "2|0011223344|ab|1", "<b>"):
        ids = {follower_id(bad) for _ in range(3)}
        assert len(ids) == 3, bad
