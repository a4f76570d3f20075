"""Extractive question answering with attention, its span decoder, and SQuAD-style scores.

    reader = QAReader.load()               # MiniLM + the shipped LoRA adapter
    result = reader("Where is Mary?", "Mary went to the kitchen.")
    result.answer, result.best.score, result.alternatives, result.attention
    reader.answer("Where is Mary?", "Mary went to the kitchen.")   # what evaluation scores

A span's score is the probability of its start times that of its end. The model
was also trained to point at [CLS] when the context holds no answer: when that
wins, or the best span scores below `threshold`, the result says no answer.
Contexts longer than the window are read in overlapping windows. One decoder
(`QAReader._read`) serves the page, training's validation and evaluation.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch

from model.core.attribution import AnswerSpan, Subject, removal
from model.core.capture import AttentionCapture, capture
from model.core.errors import InputError
from model.core.patching import SAME_ANSWER, Experiment, NothingToPatch
from model.core.paths import CHECKPOINTS
from model.hf.loading import load_adapted, load_hub

CHECKPOINT_DIR = CHECKPOINTS / "qa"
HUB_QA_NAME = "distilbert-base-cased-distilled-squad"
MAX_ANSWER_TOKENS = 30  # the longest span considered, in word pieces
TOP_N = 20  # start and end candidates combined per window
NO_ANSWER_THRESHOLD = 0.1


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # character offsets into the context
    end: int
    score: float


@dataclass(frozen=True)
class QAResult:
    question: str
    context: str
    best: Span | None  # None: no answer found
    alternatives: tuple[Span, ...]  # the next best spans, best first
    no_answer_score: float  # probability mass the model put on [CLS] (start x end)
    tokens: tuple[str, ...]  # word pieces of the window holding the best span
    segments: tuple[int, ...]  # 0: question (and specials), 1: context
    offsets: tuple[tuple[int, int], ...]  # character span in the context of each piece
    start_logits: tuple[float, ...]
    end_logits: tuple[float, ...]
    attention: AttentionCapture
    windows: int
    notices: tuple[str, ...] = field(default=())

    @property
    def answer(self) -> str:
        return self.best.text if self.best else ""

    @property
    def question_positions(self) -> list[int]:
        return [
            i
            for i, s in enumerate(self.segments)
            if s == 0 and self.offsets[i] == (-1, -1) and self.tokens[i] not in ("[CLS]", "[SEP]")
        ]

    @property
    def context_positions(self) -> list[int]:
        return [i for i, s in enumerate(self.segments) if s == 1 and self.tokens[i] != "[SEP]"]


class QAReader:
    framework = "PyTorch"

    def __init__(self, model: Any, tokenizer: Any, name: str = "MiniLM + generated-QA adapter"):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name

    @classmethod
    def load(cls, directory: Path = CHECKPOINT_DIR) -> QAReader:
        from transformers import BertForQuestionAnswering

        model, tokenizer = load_adapted(BertForQuestionAnswering, directory)
        return cls(model, tokenizer)

    @classmethod
    def from_hub(cls, name: str = HUB_QA_NAME) -> QAReader:
        from transformers import AutoModelForQuestionAnswering

        model, tokenizer = load_hub(AutoModelForQuestionAnswering, name)
        return cls(model, tokenizer, name=name)

    def _windows(self, question: str, context: str, max_length: int, stride: int) -> Any:
        return self.tokenizer(
            question,
            context,
            truncation="only_second",
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
        )

    @torch.inference_mode()
    def __call__(
        self,
        question: str,
        context: str,
        threshold: float = NO_ANSWER_THRESHOLD,
        top_k: int = 5,
        max_length: int = 384,
        stride: int = 128,
    ) -> QAResult:
        read = self._read(question, context, threshold, top_k, max_length, stride)
        enc, window = read.enc, read.window
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        length = int(enc["attention_mask"][window].sum())
        # the window without its padding
        recorded = self._attend({k: enc[k][window : window + 1, :length] for k in keys})
        ids = enc["input_ids"][window][:length]
        tokens = self.tokenizer.convert_ids_to_tokens(ids)
        seq_ids = enc.sequence_ids(window)[:length]
        offsets = [
            (int(a), int(b)) if seq_ids[i] == 1 else (-1, -1)
            for i, (a, b) in enumerate(enc["offset_mapping"][window][:length].tolist())
        ]
        attention = recorded.with_tokens(
            {"source": tokens}, special={"source": [s is None for s in seq_ids]}
        )
        start_logits, end_logits = read.logits[window]
        n_windows = len(read.logits)
        notices = []
        if n_windows > 1:
            notices.append(
                f"The context is longer than one {max_length}-token window: it was read in "
                f"{n_windows} overlapping windows; the attention shown is the answer's window."
            )
        return QAResult(
            question=question,
            context=context,
            best=read.best,
            alternatives=read.alternatives,
            no_answer_score=read.no_answer,
            tokens=tuple(tokens),
            segments=tuple(1 if s == 1 else 0 for s in seq_ids),
            offsets=tuple(offsets),
            start_logits=tuple(start_logits[:length].tolist()),
            end_logits=tuple(end_logits[:length].tolist()),
            attention=attention,
            windows=n_windows,
            notices=tuple(notices),
        )

    def window_inputs(
        self, result: QAResult, max_length: int = 384, stride: int = 128
    ) -> dict[str, torch.Tensor]:
        """The model's inputs for the window the result shows (the one holding the best
        span), without padding."""
        enc = self._windows(result.question, result.context, max_length, stride)
        length = len(result.tokens)
        window = next(
            w for w in range(enc["input_ids"].shape[0])
            if tuple(self.tokenizer.convert_ids_to_tokens(enc["input_ids"][w][:length]))
            == result.tokens
        )  # fmt: skip
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        return {k: enc[k][window : window + 1, :length] for k in keys}

    def explain(self, result: QAResult, max_length: int = 384, stride: int = 128) -> Subject:
        """What attribution explains for an answer: its span's start + end logits, in the
        window that holds it (the one whose attention the page shows). Raises InputError
        when there is no answer to explain."""
        best = result.best
        if best is None:
            raise InputError("There is no answer to explain: the model found none in the context.")
        context = [i for i, s in enumerate(result.segments) if s == 1]
        start = next(i for i in context if result.offsets[i][1] > best.start)
        end = max(i for i in context if result.offsets[i][0] < best.end)
        specials = set(self.tokenizer.all_special_tokens)  # outside the context only
        special = [s == 0 and t in specials for s, t in zip(result.segments, result.tokens,
                                                            strict=True)]  # fmt: skip
        return Subject.of(
            self.model,
            self.window_inputs(result, max_length, stride),
            AnswerSpan(start, end, name=f"the answer '{best.text}'"),
            result.tokens,
            special,
            removal(self.tokenizer).id,
            removed_as=removal(self.tokenizer).said,
        )

    def patching(self, result: QAResult, question: str, context: str) -> Experiment:
        """Activation patching for an answer: the clean question and context against
        corrupted ones of the same length in tokens; the number compared is the clean span's
        start + end logits minus those of the span the corrupted input gets."""
        subject = self.explain(result)
        span = cast(AnswerSpan, subject.target)
        other = self(question, context)
        clean_inputs = self.window_inputs(result)
        corrupt_inputs = self.window_inputs(other)
        if corrupt_inputs["input_ids"].shape != clean_inputs["input_ids"].shape:
            raise InputError(
                f"The corrupted input has {corrupt_inputs['input_ids'].shape[1]} tokens and the "
                f"clean one {clean_inputs['input_ids'].shape[1]}: patching compares them "
                "position by position, so they must tokenize to the same length."
            )
        if other.best is not None:
            wrong = cast(AnswerSpan, self.explain(other).target)
            start, end, said = wrong.start, wrong.end, f"'{other.best.text}'"
        else:  # no answer: the corrupted input points at [CLS]
            start, end, said = 0, 0, "no answer"
        if (start, end) == (span.start, span.end):
            raise NothingToPatch(SAME_ANSWER.format(answer=f"'{result.answer}'"))

        def metric(output: Any) -> float:
            starts, ends = output.start_logits[0], output.end_logits[0]
            return float(starts[span.start] + ends[span.end] - starts[start] - ends[end])

        return Experiment(
            self.model, lambda inputs: self.model(**inputs), clean_inputs, corrupt_inputs, metric,
            subject.tokens, f"'{result.answer}' against {said}",
        )  # fmt: skip

    def _logits(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """One window's start and end logits (seq,): the one call `_read` makes into the
        model (the TensorFlow reader, model/tasks/qa_tf.py, replaces it)."""
        out = self.model(**inputs)
        return out.start_logits[0], out.end_logits[0]

    def _attend(self, inputs: dict[str, torch.Tensor]) -> AttentionCapture:
        """One window's attention, every layer and head (the TensorFlow reader replaces it)."""
        with capture(self.model) as recorder:
            self.model(**inputs)
        return recorder.result

    @torch.inference_mode()
    def answer(self, question: str, context: str, max_length: int = 384) -> str:
        """The answer `__call__` gives, decoded the same way, without capture ("" for none):
        what training validates and evaluation scores."""
        return self._read(question, context, NO_ANSWER_THRESHOLD, 0, max_length, 128).answer

    def _read(
        self,
        question: str,
        context: str,
        threshold: float,
        top_k: int,
        max_length: int,
        stride: int,
    ) -> _Read:
        """The one decoder: in each window, every span of at most MAX_ANSWER_TOKENS pieces
        between the TOP_N likeliest starts and ends, scored p(start) x p(end); the best span
        across windows wins unless [CLS] (no answer) or `threshold` beats it."""
        if not question or not question.strip():
            raise InputError("Type a question: the question box is empty.")
        if not context or not context.strip():
            raise InputError("Paste a context to search: the context box is empty.")
        q_tokens = len(self.tokenizer(question, add_special_tokens=False)["input_ids"])
        if q_tokens > max_length // 2:
            raise InputError(
                f"The question is {q_tokens} tokens long; keep it under {max_length // 2}."
            )
        enc = self._windows(question, context, max_length, stride)
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        spans: list[tuple[float, int, int, int]] = []  # (score, window, start, end)
        # A window without the answer rightly points at [CLS]; the context as a whole has no
        # answer only if every window says so, hence the smallest no-answer score.
        no_answer = 1.0
        logits = []
        for w in range(enc["input_ids"].shape[0]):
            start, end = self._logits({k: enc[k][w : w + 1] for k in keys})  # (seq,) each
            logits.append((start, end))
            p_start, p_end = torch.softmax(start, -1), torch.softmax(end, -1)
            no_answer = min(no_answer, float(p_start[0] * p_end[0]))
            context_pos = [i for i, s in enumerate(enc.sequence_ids(w)) if s == 1]
            top_starts = sorted(context_pos, key=lambda i: -float(p_start[i]))[:TOP_N]
            top_ends = sorted(context_pos, key=lambda i: -float(p_end[i]))[:TOP_N]
            for s in top_starts:
                for e in top_ends:
                    if s <= e < s + MAX_ANSWER_TOKENS:
                        spans.append((float(p_start[s] * p_end[e]), w, s, e))
        spans.sort(reverse=True)
        found: list[Span] = []
        seen: set[tuple[int, int]] = set()
        for score, w, s, e in spans:
            begin, finish = int(enc["offset_mapping"][w][s][0]), int(enc["offset_mapping"][w][e][1])
            if (begin, finish) in seen:
                continue  # the same text from an overlapping window
            seen.add((begin, finish))
            found.append(Span(context[begin:finish], begin, finish, score))
            if len(found) == top_k + 1:
                break
        best = found[0] if found and found[0].score >= max(threshold, no_answer) else None
        return _Read(
            best=best,
            alternatives=tuple(found[1:] if best else found[:top_k]),
            no_answer=no_answer,
            enc=enc,
            window=spans[0][1] if spans else 0,
            logits=tuple(logits),
        )


@dataclass(frozen=True)
class _Read:
    best: Span | None
    alternatives: tuple[Span, ...]
    no_answer: float
    enc: Any  # the tokenizer's windows
    window: int  # the window of the best span
    logits: tuple[tuple[torch.Tensor, torch.Tensor], ...]  # (start, end) logits per window

    @property
    def answer(self) -> str:
        return self.best.text if self.best else ""


# -- SQuAD-style scores ------------------------------------------------------------------------
def normalize_answer(text: str) -> str:
    """Lower case, drop punctuation, articles and extra whitespace (the SQuAD script's rules)."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, truths: Sequence[str]) -> float:
    return float(any(normalize_answer(prediction) == normalize_answer(t) for t in truths))


def f1_score(prediction: str, truths: Sequence[str]) -> float:
    def f1(pred: str, truth: str) -> float:
        p, t = normalize_answer(pred).split(), normalize_answer(truth).split()
        if not p or not t:
            return float(p == t)
        common = sum((Counter(p) & Counter(t)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(p), common / len(t)
        return 2 * precision * recall / (precision + recall)

    return max(f1(prediction, t) for t in truths)


def answer_em(prediction: str, truths: Sequence[str]) -> float:
    """Exact match, where no truths (an unanswerable question) means the right answer is none."""
    truths = [t for t in truths if t]
    return exact_match(prediction, truths) if truths else float(prediction == "")


def answer_f1(prediction: str, truths: Sequence[str]) -> float:
    """F1 over answer words; an unanswerable question scores as its exact match."""
    truths = [t for t in truths if t]
    return f1_score(prediction, truths) if truths else float(prediction == "")
