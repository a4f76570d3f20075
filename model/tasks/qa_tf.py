"""Question answering in TensorFlow: the shipped QA model run by model/tf/bert.py, decoded by
the one span decoder the PyTorch reader uses (`QAReader._read`), so that the two answer
exactly alike when their logits agree.

    tf_reader = TFQAReader.from_pytorch(QAReader.load())   # weights converted once
    tf_reader("Where is Mary?", "Mary went to the kitchen.").answer
    compare(pytorch_reader, tf_reader, question, context)   # the largest differences

TensorFlow is imported here and only here (model/tf/); the app imports this module only
when its framework switch asks for TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from model.core.capture import AttentionCapture, AttentionRecord
from model.core.runtime import lazy
from model.tasks.qa import QAReader, QAResult


class TFQAReader(QAReader):
    """QAReader with the TensorFlow model behind it: start and end logits, and per-head
    attention, come from TensorFlow; everything else (windows, the decoder, the result) is
    the PyTorch reader's own code."""

    framework = "TensorFlow"

    def __init__(self, model: Any, tokenizer: Any, name: str) -> None:
        super().__init__(model, tokenizer, name)
        tf = lazy("tensorflow")

        # one graph per input shape, reused: the eager call is several times slower
        self._call = tf.function(model.call, reduce_retracing=True)

    @classmethod
    def from_pytorch(cls, reader: QAReader) -> TFQAReader:
        from model.tf.convert import from_torch

        return cls(from_torch(reader.model), reader.tokenizer, f"{reader.name} (TensorFlow)")

    def _run(self, inputs: dict[str, torch.Tensor]) -> tuple[Any, Any, list[Any]]:
        ids = inputs["input_ids"].numpy().astype(np.int32)
        mask = inputs["attention_mask"].numpy().astype(np.int32)
        types = inputs.get("token_type_ids", torch.zeros_like(inputs["input_ids"]))
        start, end, attentions, _ = self._call(ids, mask, types.numpy().astype(np.int32))
        return start.numpy(), end.numpy(), [a.numpy() for a in attentions]

    def _logits(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        start, end, _ = self._run(inputs)
        return torch.from_numpy(start[0]), torch.from_numpy(end[0])

    def _attend(self, inputs: dict[str, torch.Tensor]) -> AttentionCapture:
        _, _, attentions = self._run(inputs)
        scaling = 1.0 / math.sqrt(self.model.config.head_size)
        return AttentionCapture(
            tuple(
                AttentionRecord("encoder", layer, 0, torch.from_numpy(weights), scaling)
                for layer, weights in enumerate(attentions)
            )
        )


@dataclass(frozen=True)
class Comparison:
    """One question read by both frameworks: their results and the largest differences."""

    pytorch: QAResult
    tensorflow: QAResult
    logits: float  # max |start or end logit difference| over the answer's window
    attention: float  # max |weight difference| over every layer and head

    @property
    def same_answer(self) -> bool:
        return self.pytorch.answer == self.tensorflow.answer


def compare(pytorch: QAReader, tensorflow: TFQAReader, question: str, context: str) -> Comparison:
    """Raises InputError as either reader does."""
    a, b = pytorch(question, context), tensorflow(question, context)
    logits = max(
        float(np.abs(np.subtract(a.start_logits, b.start_logits)).max()),
        float(np.abs(np.subtract(a.end_logits, b.end_logits)).max()),
    ) if len(a.start_logits) == len(b.start_logits) else math.inf  # fmt: skip
    attention = max(
        float((a.attention.layer("encoder", i) - b.attention.layer("encoder", i)).abs().max())
        for i in range(a.attention.n_layers("encoder"))
    )
    return Comparison(a, b, logits, attention)
