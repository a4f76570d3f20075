"""The pages of the app, in menu order and grouped into the menu's sections. Home reads this
list to say what each page is for. Icons are Streamlit's bundled Material icons, which render
offline on any machine (emoji need an emoji font that many machines lack)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to app/main.py, the entry point (Streamlit resolves page paths so)
    title: str
    icon: str  # ":material/name:"
    purpose: str
    section: str  # the menu's group: one of SECTIONS


SECTIONS = ("Start", "Learn", "Explore", "Tasks", "Train")


PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "../pages/home.py",
        "Home",
        ":material/home:",
        "What Attention Atlas is and where to start.",
        "Start",
    ),
    PageInfo(
        "../pages/bert_attention.py",
        "BERT attention",
        ":material/visibility:",
        "Type a sentence and see what any head of a real BERT model (MiniLM, 6 layers x 12 "
        "heads) attends to, and the average over a layer's heads.",
        "Explore",
    ),
    PageInfo(
        "../pages/explorer.py",
        "Attention explorer",
        ":material/explore:",
        "Every head of every model at once: grid, lines, one token across heads, rollout and "
        "flow, head statistics, bertviz's views offline, two texts side by side, exports.",
        "Explore",
    ),
    PageInfo(
        "../pages/head_atlas.py",
        "Head atlas",
        ":material/travel_explore:",
        "What every head does across a corpus: previous-token heads, attention sinks, syntax "
        "heads beside Clark et al.'s BERT-base table, top examples, word-pair search, the "
        "query-key view, and sinks across input lengths.",
        "Explore",
    ),
    PageInfo(
        "../pages/architecture.py",
        "Inside the Transformer",
        ":material/account_tree:",
        "Follow one sentence through every block of the architecture, live: embeddings and "
        "positions, Q/K/V, attention, Add & Norm, feed-forward, the decoder, Linear and "
        "Softmax, the chosen word and the beam search tree; a lecture path block by block.",
        "Learn",
    ),
    PageInfo(
        "../pages/positional.py",
        "Positional encodings",
        ":material/waves:",
        "The sinusoids of the original transformer, BERT's learned positions, and a BERT input "
        "taken apart into token, position and segment embeddings.",
        "Learn",
    ),
    PageInfo(
        "../pages/masks.py",
        "Masks",
        ":material/grid_on:",
        "Padding, look-ahead and cross-attention masks on a real batch, one head's scores "
        "before and after masking, and masking as crossing out uninformative features.",
        "Learn",
    ),
    PageInfo(
        "../pages/step_by_step.py",
        "Attention step by step",
        ":material/calculate:",
        "Q, K and V of a real head, MatMul, Scale, Mask, SoftMax, the weighted sum, the heads "
        "concatenated and W_O; and attention as a soft key-value lookup you can edit.",
        "Learn",
    ),
    PageInfo(
        "../pages/translate.py",
        "Translation",
        ":material/translate:",
        "English to Spanish with our own transformer: cross-attention alignment, decoding step "
        "by step, greedy or beam search, encoder and decoder self-attention, head ablation.",
        "Tasks",
    ),
    PageInfo(
        "../pages/ner.py",
        "Named entities",
        ":material/label:",
        "Entities in a tweet-like text, highlighted with labels and scores, as a CSV table, "
        "with the attention of each entity's word pieces; head ablation.",
        "Tasks",
    ),
    PageInfo(
        "../pages/qa.py",
        "Question answering",
        ":material/quiz:",
        "The answer span in a context with its score and alternatives, start and end scores, "
        "how the question attends to the context, and head ablation.",
        "Tasks",
    ),
    PageInfo(
        "../pages/watch.py",
        "Watch attention form",
        ":material/model_training:",
        "Train a tiny transformer to copy or reverse digits and watch its attention go from "
        "uniform to a diagonal.",
        "Train",
    ),
    PageInfo(
        "../pages/finetune.py",
        "Fine-tune on your data",
        ":material/tune:",
        "Upload a small CoNLL or SQuAD file, fine-tune a copy of a model on the CPU, and "
        "compare its predictions and attention before and after.",
        "Train",
    ),
)


def by_section() -> dict[str, list[PageInfo]]:
    """The pages of each section, in menu order (what st.navigation takes)."""
    return {section: [p for p in PAGES if p.section == section] for section in SECTIONS}
