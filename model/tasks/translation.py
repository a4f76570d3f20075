"""Live English -> Spanish translation with its attention, for our transformer and for
Hugging Face MarianMT checkpoints, behind one API:

    translator = load_translator()                  # the shipped checkpoint
    result = translator.translate("The cat sleeps.", beam=4)
    result.text, result.attention.assembled("cross")

The attention of every decoding step comes from the capture API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from tokenizers import Tokenizer

from model.core.attribution import Subject, TokenAt
from model.core.capture import AttentionCapture, capture, instrument
from model.core.errors import InputError
from model.core.patching import SAME_ANSWER, Experiment, NothingToPatch
from model.core.paths import CHECKPOINTS
from model.core.runtime import lazy
from model.transformer.checkpoint import load_checkpoint
from model.transformer.decoding import (
    beam_search,
    forced_decode_steps,
    greedy_decode,
    output_limit,
)
from model.transformer.model import Transformer
from model.transformer.tokenizer import BOS, EOS, UNK, token_id

CHECKPOINT_DIR = CHECKPOINTS / "translation"
MARIAN_HUB_NAME = "Helsinki-NLP/opus-mt-en-es"


@dataclass(frozen=True)
class Translation:
    """One translation and the attention that produced it.

    `attention` holds the encoder self-attention (one step) and the decoder self- and
    cross-attention of every decoding step; its "source" axis is `source_tokens` and its
    "target" axis the decoder inputs (BOS, then each output token but the last).
    """

    text: str
    source_tokens: tuple[str, ...]
    output_tokens: tuple[str, ...]  # generated tokens, EOS included when reached
    attention: AttentionCapture
    beam: int
    finished: bool  # stopped at EOS rather than the length limit
    notices: tuple[str, ...] = ()  # truncation, unknown characters, length limit

    @property
    def decoder_tokens(self) -> tuple[str, ...]:
        return self.attention.tokens.get("target", ())


def _check_text(text: str) -> str:
    if not text or not text.strip():
        raise InputError("Type an English sentence to translate: the box is empty.")
    return " ".join(text.split())


@dataclass(frozen=True)
class Casing:
    """How a sentence was typed, so that its translation can be written back the same way."""

    upper: bool  # ALL CAPS
    title: bool  # Every Word Capitalised


def read_casing(text: str) -> tuple[str, Casing]:
    """The text as the model reads it, and how it was typed. In capitals or Title Case it is
    read as a sentence is usually typed: in lower case but for its first letter and the
    pronoun "I" ("I DON'T LIKE COLD SOUP." is read "I don't like cold soup."), so capitals
    give the words the sentence gets as typed (in capitals the model once looped on "ADN de
    ADN ..."; read all in lower case, "i don't like…" came out as nonsense). A sentence typed
    the usual way is read as typed: its capitals carry names and acronyms ("DNA", "Paris"),
    and reading everything in lower case cost 4 BLEU on the test set."""
    letters = [c for c in text if c.isalpha()]
    upper = len(letters) >= 2 and all(c.isupper() for c in letters)
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    title = not upper and len(words) >= 3 and all(w[:1].isupper() for w in words)
    return (sentence_case(text) if upper or title else text), Casing(upper, title)


def sentence_case(text: str) -> str:
    """Lower case, but for the first letter and the pronoun "I" (and "I'm", "I'll"...)."""
    lowered = re.sub(r"\bi\b", "I", text.lower())
    first = next((i for i, c in enumerate(lowered) if c.isalpha()), None)
    if first is None:
        return lowered
    return lowered[:first] + lowered[first].upper() + lowered[first + 1 :]


def write_casing(text: str, casing: Casing) -> str:
    """A translation cased as its source was typed: all capitals for a source in capitals, a
    capital first letter for one in Title Case, as the model wrote it otherwise."""
    if casing.upper:
        return text.upper()
    if casing.title and text:
        return text[:1].upper() + text[1:]
    return text


class OurTranslator:
    """The from-scratch transformer trained by `python -m model.train translation`."""

    def __init__(self, model: Transformer, tokenizer: Tokenizer, name: str = "ours") -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.bos = token_id(tokenizer, BOS)
        self.eos = token_id(tokenizer, EOS)
        self.unk = token_id(tokenizer, UNK)

    @classmethod
    def load(cls, directory: Path = CHECKPOINT_DIR) -> OurTranslator:
        return cls(*load_checkpoint(directory))

    def encode_source(self, text: str) -> tuple[list[int], list[str], list[str]]:
        """Source ids (truncated to fit max_len, EOS appended), their tokens, and notices. Text in
        capitals or Title Case is read in lower case (`read_casing`)."""
        notices = []
        reading, _ = read_casing(_check_text(text))
        encoding = self.tokenizer.encode(reading)
        ids, tokens = list(encoding.ids), list(encoding.tokens)
        limit = self.model.config.max_len - 1
        if len(ids) > limit:
            notices.append(
                f"The sentence is {len(ids)} tokens long; the model reads at most {limit}, "
                f"so the last {len(ids) - limit} were dropped."
            )
            ids, tokens = ids[:limit], tokens[:limit]
        unknown = sum(1 for i in ids if i == self.unk)
        if unknown:
            notices.append(
                f"{unknown} piece(s) of the text use characters the tokenizer never saw in "
                "training; they are read as [UNK]."
            )
        return [*ids, self.eos], [*tokens, EOS], notices

    def source_spans(self, text: str) -> list[tuple[int, int] | None]:
        """The characters of each source token (`encode_source`'s) in the text as the model
        reads it, its spaces collapsed; None for [EOS]."""
        reading, _ = read_casing(_check_text(text))
        offsets = self.tokenizer.encode(reading).offsets[: self.model.config.max_len - 1]
        return [*((int(a), int(b)) for a, b in offsets), None]

    def explain(self, result: Translation, step: int) -> Subject:
        """What attribution explains at a decoding step: the logit of the token written there,
        given the source and the tokens written before it (teacher-forced), over the source
        tokens. Raises InputError for a step beyond the translation."""
        if not 0 <= step < len(result.output_tokens):
            raise InputError(
                f"Step {step + 1} is beyond the translation, which has "
                f"{len(result.output_tokens)} steps."
            )
        ids = [token_id(self.tokenizer, t) for t in result.source_tokens]
        written = [token_id(self.tokenizer, t) for t in result.output_tokens]
        prefix = torch.tensor([[self.bos, *written[:step]]])
        source = torch.tensor([ids])

        def run(batch: torch.Tensor) -> torch.Tensor:
            return self.model(batch, prefix.expand(batch.shape[0], -1))

        return Subject(
            self.model,
            run,
            TokenAt(step, written[step], name=f"step {step + 1}: {result.output_tokens[step]!r}"),
            self.model.src_embed,
            source,
            result.source_tokens,
            tuple(t != EOS for t in result.source_tokens),
            self.unk,  # the tokenizer has no mask token
            removed_as=f"the unknown token {UNK} (this tokenizer has no mask token)",
        )

    def patching(self, result: Translation, corrupted: str, step: int) -> Experiment:
        """Activation patching at a decoding step: the clean source against a corrupted one of
        the same length in tokens, both read with the clean translation's prefix; the number
        compared is the clean token's logit minus that of the token the corrupted source
        would write there."""
        subject = self.explain(result, step)
        target = cast(TokenAt, subject.target)
        ids, _, _ = self.encode_source(corrupted)
        clean_src = subject.ids
        if len(ids) != clean_src.shape[1]:
            raise InputError(
                f"The corrupted sentence has {len(ids)} tokens and the clean one "
                f"{clean_src.shape[1]}: patching compares them position by position, so they "
                "must tokenize to the same length."
            )
        written = [token_id(self.tokenizer, t) for t in result.output_tokens]
        prefix = torch.tensor([[self.bos, *written[:step]]])
        corrupt_src = torch.tensor([ids])
        with torch.inference_mode():
            wrong = int(self.model(corrupt_src, prefix)[0, step].argmax())
        if wrong == target.token:
            raise NothingToPatch(SAME_ANSWER.format(answer=repr(result.output_tokens[step])))

        def metric(output: torch.Tensor) -> float:
            return float(output[0, step, target.token] - output[0, step, wrong])

        said = self.tokenizer.id_to_token(wrong) or "?"
        return Experiment(
            self.model, lambda inputs: self.model(inputs["src"], inputs["tgt"]),
            {"src": clean_src, "tgt": prefix}, {"src": corrupt_src, "tgt": prefix}, metric,
            result.source_tokens,
            f"step {step + 1}: {result.output_tokens[step]!r} against {said!r}",
        )  # fmt: skip

    @torch.inference_mode()
    def translate(
        self, text: str, beam: int = 1, max_new: int | None = None, detail: bool = False
    ) -> Translation:
        """Greedy (beam 1) or beam search. With `detail`, the capture also holds scores, Q/K/V,
        masks, the embedding components and every block's activations and logits. Text in
        capitals or Title Case is read in lower case and its translation written back so."""
        _, casing = read_casing(_check_text(text))
        ids, tokens, notices = self.encode_source(text)
        src = torch.tensor([ids])  # (1, src_len)
        max_new = output_limit(len(ids), max_new)
        options: dict[str, Any] = dict.fromkeys(
            ("scores", "qkv", "masks", "embeddings", "activations"), detail
        )
        if beam <= 1:
            with capture(self.model, **options) as recorder:
                hypothesis = greedy_decode(self.model, src, self.bos, self.eos, max_new)
        else:
            hypothesis = beam_search(self.model, src, self.bos, self.eos, beam, max_new)
            # The beams ran batched; replay the winner step by step to record its attention.
            with capture(self.model, **options) as recorder:
                forced_decode_steps(self.model, src, self.bos, hypothesis.ids)
        if not hypothesis.finished:
            notices.append(f"Decoding stopped at the length limit ({len(hypothesis.ids)} tokens).")
        out_ids = list(hypothesis.ids)
        out_tokens = [self.tokenizer.id_to_token(i) or UNK for i in out_ids]
        decoder_inputs = [BOS, *out_tokens[:-1]]
        attention = recorder.result.with_tokens(
            {"source": tokens, "target": decoder_inputs},
            special={
                "source": [t == EOS for t in tokens],
                "target": [t in (BOS, EOS) for t in decoder_inputs],
            },
        )
        text_ids = [i for i in out_ids if i != self.eos]
        return Translation(
            text=write_casing(self.tokenizer.decode(text_ids), casing),
            source_tokens=tuple(tokens),
            output_tokens=tuple(out_tokens),
            attention=attention,
            beam=beam,
            finished=hypothesis.finished,
            notices=tuple(notices),
        )


@dataclass(frozen=True)
class BatchView:
    """A padded batch run in one teacher-forced pass, as in training: what masks are for."""

    attention: AttentionCapture  # batch-first records, scores, Q/K/V and masks included
    sources: tuple[tuple[str, ...], ...]  # each sentence's tokens, padded with [PAD]
    targets: tuple[tuple[str, ...], ...]  # decoder inputs (BOS + its translation), padded
    translations: tuple[str, ...]
    notices: tuple[str, ...] = ()  # what was cut or read as [UNK], per sentence


def batch_view(translator: OurTranslator, texts: list[str]) -> BatchView:
    """Translate each text, pad sources and targets into one batch, and capture one
    teacher-forced forward pass over it (scores, Q/K/V and masks included)."""
    pad = translator.model.config.pad_id
    sources, targets, translations, notices = [], [], [], []
    for number, text in enumerate(texts, start=1):
        ids, _, _ = translator.encode_source(text)
        result = translator.translate(text, beam=1, max_new=40)
        out = [translator.tokenizer.token_to_id(t) or pad for t in result.output_tokens]
        sources.append(ids)
        targets.append([translator.bos, *out[:-1]])
        translations.append(result.text)
        notices += [f"Sentence {number}: {notice}" for notice in result.notices]
    src = torch.full((len(texts), max(map(len, sources))), pad)  # (batch, src_len)
    tgt = torch.full((len(texts), max(map(len, targets))), pad)  # (batch, tgt_len)
    for row, (s, t) in enumerate(zip(sources, targets, strict=True)):
        src[row, : len(s)] = torch.tensor(s)
        tgt[row, : len(t)] = torch.tensor(t)
    with (
        torch.inference_mode(),
        capture(translator.model, scores=True, qkv=True, masks=True) as rec,
    ):
        translator.model(src, tgt)
    tokens = translator.tokenizer.id_to_token
    return BatchView(
        attention=rec.result,
        sources=tuple(tuple(tokens(int(i)) or UNK for i in row) for row in src),
        targets=tuple(tuple(tokens(int(i)) or UNK for i in row) for row in tgt),
        translations=tuple(translations),
        notices=tuple(notices),
    )


class MarianTranslator:
    """A Hugging Face MarianMT model (the Helsinki-NLP/opus-mt-* classes) behind the same API."""

    def __init__(self, model: Any, tokenizer: Any, name: str = "marian") -> None:
        self.model: Any = instrument(model.eval())
        self.tokenizer = tokenizer
        self.name = name

    @classmethod
    def from_hub(cls, name: str = MARIAN_HUB_NAME) -> MarianTranslator:
        """Needs the network the first time (then the Hugging Face cache)."""
        from transformers import MarianMTModel

        from model.hf.loading import load_hub

        model, tokenizer = load_hub(MarianMTModel, name)
        return cls(model, tokenizer, name=name)

    @torch.inference_mode()
    def translate(self, text: str, beam: int = 1, max_new: int | None = None) -> Translation:
        text = _check_text(text)
        limit = int(getattr(self.model.config, "max_position_embeddings", 512))
        full = self.tokenizer(text)["input_ids"]
        encoded = self.tokenizer(text, return_tensors="pt", truncation=True, max_length=limit)
        inputs = {k: encoded[k] for k in ("input_ids", "attention_mask")}  # all Marian reads
        notices = []
        if len(full) > limit:
            notices.append(f"The text was cut to the model's {limit}-token limit.")
        generated = self.model.generate(
            **inputs,
            num_beams=max(1, beam),
            max_new_tokens=output_limit(inputs["input_ids"].shape[1], max_new),
            do_sample=False,
        )  # (1, out_len) starting with decoder_start_token_id
        out = generated[0]
        with capture(self.model) as recorder:
            self._replay(inputs, out)
        src_tokens = self.tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
        out_tokens = self.tokenizer.convert_ids_to_tokens(out[1:])
        dec_tokens = self.tokenizer.convert_ids_to_tokens(out[:-1])
        specials = set(self.tokenizer.all_special_tokens)
        eos = self.tokenizer.eos_token_id
        attention = recorder.result.with_tokens(
            {"source": src_tokens, "target": dec_tokens},
            special={
                "source": [t in specials for t in src_tokens],
                "target": [t in specials for t in dec_tokens],
            },
        )
        return Translation(
            text=self.tokenizer.decode(out, skip_special_tokens=True),
            source_tokens=tuple(src_tokens),
            output_tokens=tuple(out_tokens),
            attention=attention,
            beam=beam,
            finished=bool(out[-1] == eos),
            notices=tuple(notices),
        )

    def _replay(self, inputs: dict[str, torch.Tensor], out: torch.Tensor) -> None:
        """Feed the chosen output back one step at a time with the key/value cache, as
        generation does, so a capture records the encoder once and every decoding step."""
        encoder_outputs = self.model.get_encoder()(**inputs)
        past = None
        for step in range(len(out) - 1):
            result = self.model(
                encoder_outputs=encoder_outputs,
                attention_mask=inputs["attention_mask"],
                decoder_input_ids=out[None, step : step + 1],  # (1, 1)
                past_key_values=past,
                use_cache=True,
            )
            past = result.past_key_values


@dataclass(frozen=True)
class SentenceScores:
    bleu: float  # sacrebleu's sentence BLEU (smoothed), 0..100
    chrf: float  # chrF, 0..100


def sentence_scores(hypothesis: str, reference: str) -> SentenceScores:
    """One translation against its reference, with the metrics the corpus scores use."""
    sacrebleu = lazy("sacrebleu")
    return SentenceScores(
        bleu=sacrebleu.sentence_bleu(hypothesis, [reference]).score,
        chrf=sacrebleu.sentence_chrf(hypothesis, [reference]).score,
    )


def load_translator(directory: Path = CHECKPOINT_DIR) -> OurTranslator:
    return OurTranslator.load(directory)
