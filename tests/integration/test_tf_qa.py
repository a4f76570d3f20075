"""The shipped QA model in TensorFlow against PyTorch: every layer's output, every head's
attention and the span logits agree on real questions, every hand-written question gets the
same answer, and bad input gets the same message."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.core.errors import InputError
from model.datasets.qa_handwritten import handwritten_questions
from model.tasks.qa import QAReader
from model.tasks.qa_tf import TFQAReader, compare


@pytest.fixture(scope="module")
def readers() -> tuple[QAReader, TFQAReader]:
    pytorch = QAReader.load()
    return pytorch, TFQAReader.from_pytorch(pytorch)


def test_every_layer_of_the_shipped_model_agrees(readers):
    pytorch, tensorflow = readers
    question, context, _ = handwritten_questions()[0]
    enc = pytorch.tokenizer(question, context, return_tensors="pt")
    with torch.inference_mode():
        out = pytorch.model(**enc, output_attentions=True, output_hidden_states=True)
    start, end, attentions, hidden = tensorflow.model(
        enc["input_ids"].numpy(), enc["attention_mask"].numpy(), enc["token_type_ids"].numpy()
    )
    assert len(hidden) == len(out.hidden_states) == 7  # the embeddings and six layers
    for layer, (ours, theirs) in enumerate(zip(hidden, out.hidden_states, strict=True)):
        assert np.abs(ours.numpy() - theirs.numpy()).max() < 1e-4, layer
    for ours, theirs in zip(attentions, out.attentions, strict=True):
        assert np.abs(ours.numpy() - theirs.numpy()).max() < 1e-5
    assert np.abs(start.numpy() - out.start_logits.numpy()).max() < 1e-4
    assert np.abs(end.numpy() - out.end_logits.numpy()).max() < 1e-4


def test_every_hand_written_question_gets_the_same_answer(readers):
    pytorch, tensorflow = readers
    for question, context, _ in handwritten_questions():
        found = compare(pytorch, tensorflow, question, context)
        assert found.same_answer, question
        assert found.logits <= 1e-4 and found.attention <= 1e-5, question
        assert found.tensorflow.attention.n_layers("encoder") == 6
        assert found.tensorflow.tokens == found.pytorch.tokens


def test_bad_input_gets_the_pytorch_reader_s_messages(readers):
    pytorch, tensorflow = readers
    for question, context in (("", "Mary went home."), ("Where?", "   "),
                              ("why " * 400, "Mary went home.")):  # fmt: skip
        with pytest.raises(InputError) as theirs:
            pytorch(question, context)
        with pytest.raises(InputError) as ours:
            tensorflow(question, context)
        assert str(ours.value) == str(theirs.value)
