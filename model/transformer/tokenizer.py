"""A joint English/Spanish subword tokenizer (BPE, Hugging Face `tokenizers`)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PAD, BOS, EOS, UNK = "[PAD]", "[BOS]", "[EOS]", "[UNK]"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3 in this order


def token_id(tokenizer: Tokenizer, token: str) -> int:
    """The id of a token the tokenizer must have (the specials)."""
    index = tokenizer.token_to_id(token)
    if index is None:
        raise ValueError(f"the tokenizer has no {token} token")
    return index


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8000) -> Tokenizer:
    """BPE over NFC-normalised text with SentencePiece-style word boundaries (▁).
    Characters never seen in training encode as [UNK]."""
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIALS), min_frequency=2, show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    for index, token in enumerate(SPECIALS):
        if tokenizer.token_to_id(token) != index:
            raise RuntimeError(f"{token} should have id {index}")
    return tokenizer


def with_pieces(tokenizer: Tokenizer, pieces: Iterable[str]) -> tuple[Tokenizer, list[str]]:
    """The tokenizer with single characters it lacks (Spanish's "¿" and "¡", which the first
    corpus never showed it) added to its BPE vocabulary at the end, so that earlier ids keep
    their meaning; and the pieces added, in id order. Words around them keep their merges."""
    state = json.loads(tokenizer.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    added = [p for p in dict.fromkeys(pieces) if p not in vocab]
    for piece in added:
        if len(piece) != 1:
            raise ValueError(f"only single characters can be added, not {piece!r}")
        vocab[piece] = len(vocab)
    if not added:
        return tokenizer, []
    return Tokenizer.from_str(json.dumps(state)), added
