"""The pages of the app, in menu order. Home reads this list to say what each page is for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to app/main.py, the entry point (Streamlit resolves page paths so)
    title: str
    icon: str
    purpose: str


PAGES: tuple[PageInfo, ...] = (
    PageInfo("../pages/home.py", "Home", "🏠", "What Attention Atlas is and where to start."),
    PageInfo(
        "../pages/bert_attention.py",
        "BERT attention",
        "🔍",
        "Type a sentence and see what any head of a real BERT model (MiniLM, 6 layers x 12 "
        "heads) attends to, and the average over a layer's heads.",
    ),
    PageInfo(
        "../pages/explorer.py",
        "Attention explorer",
        "🧭",
        "Every head of every model at once: grid, lines, one token across heads, rollout and "
        "flow, head statistics, bertviz's views offline, two texts side by side, exports.",
    ),
)
