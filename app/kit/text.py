"""Typed text shown in Markdown: escaped so it reads as typed, with highlighted spans.

Streamlit's Markdown never runs HTML, but *, _, [, ], ` and friends would still
format; everything a user typed goes through `escape` first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")
COLOURS = ("blue", "green", "orange", "red", "violet", "gray")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def highlight(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """Markdown of `text` with each (start, end, colour, badge) span given a coloured
    background and an optional badge after it. Spans must not overlap."""
    parts: list[str] = []
    at = 0
    for start, end, colour, badge in sorted(spans):
        parts.append(escape(text[at:start]))
        parts.append(f":{colour}-background[{escape(text[start:end])}]")
        if badge:
            parts.append(f" :{colour}-badge[{escape(badge)}]")
        at = end
    parts.append(escape(text[at:]))
    return "".join(parts)


def colour_of(label: str, labels: Sequence[str]) -> str:
    return COLOURS[list(labels).index(label) % len(COLOURS)] if label in labels else "gray"


def diff_markdown(before: Sequence[str], after: Sequence[str]) -> str:
    """The words of `after`, with those that differ from `before` highlighted (and words that
    disappeared shown struck through)."""
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=list(before), b=list(after), autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            parts.extend(escape(w) for w in after[b0:b1])
            continue
        if a1 > a0:
            parts.append(f":red[~~{escape(' '.join(before[a0:a1]))}~~]")
        if b1 > b0:
            parts.append(f":green-background[{escape(' '.join(after[b0:b1]))}]")
    return " ".join(parts)
