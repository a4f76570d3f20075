"""Is the capture faithful on a family? Three independent checks on its tiny random model:

- parity: the captured probabilities equal Transformers' own `output_attentions`;
- recomputation: softmax(Q K^T * scaling + bias + mask) from the captured Q, K, mask (and
  T5's position bias), written out here, equals the captured probabilities;
- generation (decoder-only and encoder-decoder): 5 greedy steps captured one at a time,
  put together, equal one teacher-forced pass over the same tokens (`output_attentions`).

`python -m model.evaluate families` runs it on every family; tests/unit/test_hf_families.py
on each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import torch

from model.core.capture import AttentionCapture, Stack, capture
from model.core.masks import to_additive
from model.hf.families import PLAIN, Family, Variant

IDS = torch.tensor([[5, 17, 33, 8, 41, 60, 2]])  # any ids below the tiny vocabulary
STEPS = 5


@dataclass(frozen=True)
class FamilyCheck:
    family: str
    parity: float  # max abs error against output_attentions, forward pass
    recompute: float  # max abs error of the recomputation from Q, K, mask (and bias)
    generation: float  # max abs error of the steps put together against one full pass
    records: int  # attention calls checked
    variant: Variant = PLAIN
    precision: float = 0.0  # the recomputation in exact (float64) maths against the probs:
    # what the model's own rounding costs in a half-precision dtype, for information

    @property
    def error(self) -> float:
        return max(self.parity, self.recompute, self.generation)

    @property
    def ok(self) -> bool:
        """Parity and recomputation within the dtype's tolerance; the steps put together
        within the tolerance of a generation in that dtype (GENERATION_TOLERANCE)."""
        dtype = self.variant.dtype
        within = max(self.parity, self.recompute) <= TOLERANCE[dtype]
        return within and self.generation <= GENERATION_TOLERANCE[dtype]


def _reference(family: Family, outputs: Any) -> dict[Stack, tuple[torch.Tensor, ...]]:
    if family.kind == "encoder":
        return {"encoder": outputs.attentions}
    if family.kind == "decoder":
        return {"decoder": outputs.attentions}
    return {
        "encoder": outputs.encoder_attentions,
        "decoder": outputs.decoder_attentions,
        "cross": outputs.cross_attentions,
    }


def _parity(att: AttentionCapture, reference: dict[Stack, tuple[torch.Tensor, ...]]) -> float:
    error = 0.0
    for stack, layers in reference.items():
        full = att.matrices(stack)  # (layers, heads, q, k), steps put together
        for layer, probs in enumerate(layers):
            error = max(error, (full[layer] - probs[0].float()).abs().max().item())
    return error


def recompute_error(
    att: AttentionCapture, dtype: torch.dtype = torch.float32, upcast: bool = False
) -> float:
    """softmax(Q K^T * scaling + bias + mask), from what was captured, against the probs.

    A float32 model's probs are compared with exact maths (float64). A float16 or bfloat16
    model's are recomputed as its eager attention rounds: Q.K summed in float32 (as a CPU
    half-precision matmul accumulates), rounded to the dtype, the softmax in float32, its
    output rounded again; so the check is as strict in every dtype (`upcast`: the model
    computes its scores in float32, GPT-J). Keys a cache dropped must hold exactly 0."""
    error = 0.0
    for rec in att.records:
        assert rec.q is not None and rec.k is not None and rec.mask is not None
        dropped = rec.probs[..., : rec.key_offset]
        error = max(error, dropped.abs().max().item() if dropped.numel() else 0.0)
        work = torch.float64 if dtype == torch.float32 else dtype
        wide = torch.float64 if dtype == torch.float32 else torch.float32  # as the CPU sums
        products = rec.q.to(wide) @ rec.k.to(wide).transpose(-1, -2)  # (b, h, q, kept keys)
        scores = products.to(torch.float32 if upcast else work) * rec.scaling
        if rec.softcap is not None:
            scores = torch.tanh(scores / rec.softcap) * rec.softcap
        if rec.bias is not None:
            scores = scores + rec.kept(rec.bias).to(work)
        scores = scores + to_additive(rec.kept(rec.mask), work)
        softmax_dtype = torch.float64 if work == torch.float64 else torch.float32
        probs = torch.softmax(scores, dim=-1, dtype=softmax_dtype).to(work)
        error = max(error, (probs.double() - rec.kept(rec.probs).double()).abs().max().item())
    return error


def check_family(family: Family, variant: Variant = PLAIN) -> FamilyCheck:
    """The three checks on a tiny model of `family` built as `variant` says (a dtype, a
    sliding window shorter than the text and what is written)."""
    model = family.tiny(variant=variant)
    forward = {"input_ids": IDS}
    if family.kind == "seq2seq":
        forward["decoder_input_ids"] = IDS[:, :4]
    with torch.inference_mode():
        reference = model(**forward, output_attentions=True)
        with capture(model, scores=True, qkv=True, masks=True) as recorder:
            model(**forward)
    att = recorder.result
    parity = _parity(att, _reference(family, reference))
    recompute = recompute_error(att, variant.dtype, family.upcast)
    precision = recompute_error(att, torch.float32)
    records = len(att.records)
    generation = 0.0
    if family.kind != "encoder":
        with torch.inference_mode(), capture(model, qkv=True, masks=True) as recorder:
            written = cast(Any, model).generate(
                input_ids=IDS, max_new_tokens=STEPS, min_new_tokens=STEPS, do_sample=False,
                num_beams=1, pad_token_id=0,
            )  # fmt: skip
        steps = recorder.result
        recompute = max(recompute, recompute_error(steps, variant.dtype, family.upcast))
        precision = max(precision, recompute_error(steps, torch.float32))
        records += len(steps.records)
        if family.kind == "decoder":  # the prompt and what was written, minus the last token
            teacher = {"input_ids": written[:, :-1]}
        else:
            teacher = {"input_ids": IDS, "decoder_input_ids": written[:, :STEPS]}
        with torch.inference_mode():
            full = model(**teacher, output_attentions=True)
        generation = _parity(steps, _reference(family, full))
    return FamilyCheck(family.name, parity, recompute, generation, records, variant, precision)


DTYPES = (torch.float32, torch.float16, torch.bfloat16)
WINDOW = 4  # keys: shorter than IDS and what is written after it
# float32 and float16 are recomputed to 1e-5 (float16 rounding where the model rounds). For
# bfloat16 the bound is one rounding of a score: 7 bits of mantissa (2^-7 relative) on scores
# up to about 10 moves a probability p by at most p(1 - p) x 0.08, about 2e-2.
TOLERANCE = {torch.float32: 1e-5, torch.float16: 1e-5, torch.bfloat16: 2e-2}
# A decoding step (one query row, keys from the cache) and the teacher-forced pass compute the
# same sums with matrices of other shapes; in float16, CPUs with native half-precision kernels
# (AVX512-FP16) block and round them differently, so a probability may differ in its last
# float16 place: 2^-11 below 1 (Gemma 3 differs by 2^-12 on such a CPU, 0 elsewhere).
GENERATION_TOLERANCE = {**TOLERANCE, torch.float16: 2**-11}


@dataclass(frozen=True)
class FamilyReport:
    """Every check of one family: each dtype, with and without a sliding window where the
    family has one, and a padded vocabulary through the path a user's checkpoint takes."""

    family: Family
    checks: tuple[FamilyCheck, ...]
    padded: bool | None  # None for encoders (they write nothing)

    def worst(self, *dtypes: torch.dtype) -> float:
        return max((c.error for c in self.checks if c.variant.dtype in dtypes), default=0.0)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and self.padded is not False

    @property
    def records(self) -> int:
        return sum(c.records for c in self.checks)


def check_padded(family: Family) -> bool:
    """A model whose vocabulary is padded beyond its tokenizer, saved and loaded as a user's
    checkpoint and run through `byo.run_text`: every id it writes with no token is named."""
    import tempfile

    from model.hf import byo
    from model.hf.families import write_tiny

    with tempfile.TemporaryDirectory() as folder:
        write_tiny(family, folder, variant=Variant(padded=64))
        model, tokenizer, found = byo.load(byo.ModelEntry("padded", folder))
        att, _, _ = byo.run_text(model, tokenizer, found, "The cat sat on the mat.")
    tokens = att.tokens["target"]
    return all(isinstance(t, str) for t in tokens) and any(t.startswith("<id ") for t in tokens)


def report(family: Family) -> FamilyReport:
    windows = (0, WINDOW) if family.window else (0,)
    checks = tuple(
        check_family(family, Variant(dtype=dtype, window=window))
        for dtype in DTYPES
        for window in windows
    )
    padded = None if family.kind == "encoder" else check_padded(family)
    return FamilyReport(family, checks, padded)
