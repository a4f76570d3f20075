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
from model.hf.families import Family

IDS = torch.tensor([[5, 17, 33, 8, 41, 60, 2]])  # any ids below the tiny vocabulary
STEPS = 5


@dataclass(frozen=True)
class FamilyCheck:
    family: str
    parity: float  # max abs error against output_attentions, forward pass
    recompute: float  # max abs error of the recomputation from Q, K, mask (and bias)
    generation: float  # max abs error of the steps put together against one full pass
    records: int  # attention calls checked

    @property
    def error(self) -> float:
        return max(self.parity, self.recompute, self.generation)


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


def recompute_error(att: AttentionCapture) -> float:
    """softmax(Q K^T * scaling + bias + mask), from what was captured, against the probs."""
    error = 0.0
    for rec in att.records:
        assert rec.q is not None and rec.k is not None and rec.mask is not None
        scores = rec.q.double() @ rec.k.double().transpose(-1, -2) * rec.scaling
        if rec.bias is not None:
            scores = scores + rec.bias.double()
        scores = scores + to_additive(rec.mask, torch.float64)
        probs = torch.softmax(scores, dim=-1)
        error = max(error, (probs - rec.probs.double()).abs().max().item())
    return error


def check_family(family: Family) -> FamilyCheck:
    model = family.tiny()
    forward = {"input_ids": IDS}
    if family.kind == "seq2seq":
        forward["decoder_input_ids"] = IDS[:, :4]
    with torch.inference_mode():
        reference = model(**forward, output_attentions=True)
        with capture(model, scores=True, qkv=True, masks=True) as recorder:
            model(**forward)
    att = recorder.result
    parity = _parity(att, _reference(family, reference))
    recompute = recompute_error(att)
    records = len(att.records)
    generation = 0.0
    if family.kind != "encoder":
        with torch.inference_mode(), capture(model, qkv=True, masks=True) as recorder:
            written = cast(Any, model).generate(
                input_ids=IDS, max_new_tokens=STEPS, min_new_tokens=STEPS, do_sample=False,
                num_beams=1, pad_token_id=0,
            )  # fmt: skip
        steps = recorder.result
        recompute = max(recompute, recompute_error(steps))
        records += len(steps.records)
        if family.kind == "decoder":  # the prompt and what was written, minus the last token
            teacher = {"input_ids": written[:, :-1]}
        else:
            teacher = {"input_ids": IDS, "decoder_input_ids": written[:, :STEPS]}
        with torch.inference_mode():
            full = model(**teacher, output_attentions=True)
        generation = _parity(steps, _reference(family, full))
    return FamilyCheck(family.name, parity, recompute, generation, records)
