"""What a model hands the atlas for a text: its attention per stack with the tokens of each
side (and their queries and keys, when asked), from an encoder, a decoder or our translator."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.core.capture import AXES, AttentionCapture, Stack
from model.hf.encoding import Encoded, encode, max_length, run_with_capture

Span = tuple[int, int] | None


@dataclass(frozen=True)
class Side:
    """One axis of a stack's attention: its tokens, which are special, and, when the axis
    reads the parsed text, each token's characters in it (None where a token has none)."""

    tokens: tuple[str, ...]
    special: tuple[bool, ...]
    spans: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        if len(self.special) != len(self.tokens) or (
            self.spans and len(self.spans) != len(self.tokens)
        ):
            raise ValueError("a side's tokens, special flags and spans must be as many")


@dataclass(frozen=True)
class Reading:
    """What one text made a model do: per stack, its attention (layers, heads, queries,
    keys) and the query and key sides."""

    stacks: Mapping[str, tuple[np.ndarray, Side, Side]]
    # per stack, with qkv: queries (layers, heads, q, d_head) and keys (layers, heads, k, d_head)
    vectors: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


Reader = Callable[[str], Reading]


def capture_reading(
    attention: AttentionCapture, spans: Mapping[str, Sequence[Span]], qkv: bool = False
) -> Reading:
    """A capture as the atlas reads it: each stack's full matrices, decoding steps put
    together. `spans` gives the characters of each token of the axes ("source", "target")
    that read the parsed text. With `qkv`, each head's queries and keys too (the capture
    must have recorded them)."""
    vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    stacks: dict[str, tuple[np.ndarray, Side, Side]] = {}
    for stack in attention.stacks:
        sides = []
        for axis in AXES[stack]:
            tokens = attention.tokens.get(axis, ())
            special = attention.special.get(axis, (False,) * len(tokens))
            sides.append(Side(tokens, special, tuple(spans.get(axis, ()))))
        probs = attention.matrices(stack).numpy()
        stacks[stack] = (probs, sides[0], sides[1])
        if qkv:
            vectors[stack] = _vectors(attention, stack)
    return Reading(stacks, vectors)


def _vectors(attention: AttentionCapture, stack: Stack) -> tuple[np.ndarray, np.ndarray]:
    """A stack's queries, decoding steps joined, and its keys (the last step's cache holds
    them all): (layers, heads, q, d_head) and (layers, heads, k, d_head)."""
    queries, keys = [], []
    for layer in range(attention.n_layers(stack)):
        records = [attention.record(stack, layer, s) for s in range(attention.n_steps(stack))]
        q = [r.q[0].numpy() for r in records if r.q is not None]
        k = records[-1].k
        if len(q) != len(records) or k is None:
            raise ValueError("the capture holds no queries and keys: capture with qkv=True")
        queries.append(np.concatenate(q, axis=1))
        keys.append(k[0].numpy())
    return np.stack(queries), np.stack(keys)


def encoder_reader(model: object, encode: Callable[[str], Encoded], qkv: bool = False) -> Reader:
    """A Hugging Face model reading each text alone in one forward pass (an encoder, or a
    decoder-only model reading the text as its prompt); with `qkv`, its queries and keys."""

    def read(text: str) -> Reading:
        encoded = encode(text)
        attention, _ = run_with_capture(model, encoded, qkv=qkv)  # type: ignore[arg-type]
        spans = [
            None if special or segment else span
            for span, special, segment in zip(
                encoded.offsets or [None] * len(encoded), encoded.special, encoded.segments,
                strict=True,
            )
        ]  # fmt: skip
        if "decoder" in attention.stacks:  # a decoder-only model: its one axis is "target"
            attention = attention.with_tokens(
                {"target": encoded.tokens}, special={"target": encoded.special}
            )
        return capture_reading(attention, {"source": spans, "target": spans}, qkv)

    return read


ModelReader = tuple[Reader, Callable[[str], int], int]  # reader, token count of a text, limit


def hf_model_reader(
    model: Any,
    tokenizer: Any,
    encode_text: Callable[[str, int], Encoded] | None = None,
    qkv: bool = False,
) -> ModelReader:
    """A Hugging Face model's reader (texts cut to the model's limit; `encode_text(text,
    limit)` when the model reads text its own way, as the NER tagger does), its token count
    of a text, and that limit: what the command and the page both read models with."""
    limit = max_length(tokenizer, model)

    def encoded(text: str) -> Encoded:
        if encode_text is not None:
            return encode_text(text, limit)
        return encode(tokenizer, text, limit=limit)

    def count(text: str) -> int:
        return len(tokenizer(text, verbose=False)["input_ids"])

    return encoder_reader(model, encoded, qkv), count, limit


def translator_model_reader(translator: Any, qkv: bool = False) -> ModelReader:
    """Our translator's reader, its token count of a text ([EOS] included), its limit."""
    return (
        translation_reader(translator, qkv),
        lambda text: len(translator.tokenizer.encode(text).ids) + 1,
        translator.model.config.max_len - 1,
    )


def translation_reader(translator: Any, qkv: bool = False) -> Reader:
    """Our translator (model.tasks.translation.OurTranslator) reading a text: its greedy
    translation, the encoder's, decoder's and cross attention of every step. Only the source
    axis reads the parsed text."""

    def read(text: str) -> Reading:
        result = translator.translate(text, beam=1, detail=qkv)
        spans = {"source": translator.source_spans(text)}
        return capture_reading(result.attention, spans, qkv)

    return read
