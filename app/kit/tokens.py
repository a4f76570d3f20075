"""How a token is shown, in one place: every chart, menu, table and sentence of the app
reads tokens through these functions, whatever the tokenizer (WordPiece's "##s",
SentencePiece's "▁The", byte-level BPE's "Ġthe"). For display only: exports keep the raw
tokens."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WORD_START = ("▁", "Ġ")  # SentencePiece's and byte-level BPE's mark of a piece that starts a word


def is_special(token: str) -> bool:
    """[CLS], [EOS], </s> and their kind: tokens the tokenizer adds, not pieces of text."""
    return (token[:1], token[-1:]) in (("[", "]"), ("<", ">")) and len(token) > 2


def readable_tokens(tokens: Sequence[str], marked: bool | None = None) -> list[str]:
    """Tokens as a reader expects them, with one convention for word boundaries whatever the
    tokenizer: a piece that starts a word is shown plain, one that continues a word with "##"
    before it (BERT's own convention). So SentencePiece's "▁The", "▁cat", "s" reads "The",
    "cat", "##s". Special tokens ([CLS], </s>) and BERT's tokens are shown as they are.
    `marked`: whether the tokenizer marks word starts with "▁" (our translator's does); left
    out, a list that has no such mark is taken for BERT's, which a single piece, or the ten
    likeliest next pieces, cannot tell. For display only: exports keep the raw tokens."""
    if not (marked if marked is not None else any(t.startswith(WORD_START) for t in tokens)):
        return list(tokens)
    shown = []
    for token in tokens:
        if token.startswith(WORD_START):
            shown.append(token[1:] or "␣")  # a lone marker is a space of its own
        elif is_special(token):
            shown.append(token)
        else:
            shown.append(f"##{token}")
    return shown


def token_names(tokens: Sequence[str], positions: Sequence[int] | None = None) -> list[str]:
    """Each token numbered by its position in the text (`positions`, when only some tokens
    are shown, else 0, 1, 2...) and readable (`readable_tokens`): unique names, as plain
    text for menus and titles."""
    numbers = range(len(tokens)) if positions is None else positions
    return [f"{i} {t}" for i, t in zip(numbers, readable_tokens(tokens), strict=True)]


def token_labels(tokens: Sequence[str], positions: Sequence[int] | None = None) -> list[Markup]:
    """`token_names` as axis labels: unique (a categorical axis would merge repeated tokens)
    and safe: Plotly reads a little HTML in labels, so every token is escaped and shows as
    typed. They are `Markup`: escaped once, and `safe` leaves them so."""
    return [escape(name) for name in token_names(tokens, positions)]


def as_text(tokens: Sequence[str], marked: bool | None = None) -> list[str]:
    """Each token as the piece of running text it stands for, so that "".join() gives the
    text back: a word start gets its space, a continuation none, and a special token
    ([EOS]) stands apart from the sentence rather than glued to its last word. `marked` as
    in `readable_tokens`."""
    if marked is None:
        marked = any(t.startswith(WORD_START) for t in tokens)
    pieces = []
    for token in tokens:
        if is_special(token):
            pieces.append(f" {token}")
        elif marked:
            pieces.append(" " + token[1:] if token.startswith(WORD_START) else token)
        else:
            pieces.append(token[2:] if token.startswith("##") else f" {token}")
    return pieces


def step_names(output: Sequence[str]) -> list[str]:
    """Each decoding step named by the token it wrote ("3: gato"), for a step slider."""
    return [f"{s}: {t}" for s, t in enumerate(readable_tokens(output, marked=True))]
