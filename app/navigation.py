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
    PageInfo(
        "../pages/positional.py",
        "Positional encodings",
        "〰️",
        "The sinusoids of the original transformer, BERT's learned positions, and a BERT input "
        "taken apart into token, position and segment embeddings.",
    ),
    PageInfo(
        "../pages/masks.py",
        "Masks",
        "🎭",
        "Padding, look-ahead and cross-attention masks on a real batch, one head's scores "
        "before and after masking, and masking as crossing out uninformative features.",
    ),
    PageInfo(
        "../pages/step_by_step.py",
        "Attention step by step",
        "🧮",
        "Q, K and V of a real head, MatMul, Scale, Mask, SoftMax, the weighted sum, the heads "
        "concatenated and W_O; and attention as a soft key-value lookup you can edit.",
    ),
)
