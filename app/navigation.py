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
    PageInfo(
        "../pages/translate.py",
        "Translation",
        "🌍",
        "English to Spanish with our own transformer: cross-attention alignment, decoding step "
        "by step, greedy or beam search, encoder and decoder self-attention, head ablation.",
    ),
    PageInfo(
        "../pages/ner.py",
        "Named entities",
        "🏷️",
        "Entities in a tweet-like text, highlighted with labels and scores, as a CSV table, "
        "with the attention of each entity's word pieces; head ablation.",
    ),
    PageInfo(
        "../pages/qa.py",
        "Question answering",
        "❓",
        "The answer span in a context with its score and alternatives, start and end scores, "
        "how the question attends to the context, and head ablation.",
    ),
    PageInfo(
        "../pages/watch.py",
        "Watch attention form",
        "🌱",
        "Train a tiny transformer to copy or reverse digits and watch its attention go from "
        "uniform to a diagonal.",
    ),
    PageInfo(
        "../pages/finetune.py",
        "Fine-tune on your data",
        "🛠️",
        "Upload a small CoNLL or SQuAD file, fine-tune a copy of a model on the CPU, and "
        "compare its predictions and attention before and after.",
    ),
)
