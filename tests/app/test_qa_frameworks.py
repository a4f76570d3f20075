"""The QA page's framework switch: TensorFlow gives PyTorch's answer and attention, both side
by side say how far apart they are, bad input says the same, and the hub model has no
switch (only the shipped model is written in TensorFlow)."""

from __future__ import annotations

import re

import numpy as np

from tests.app.helpers import heatmap_z, open_page

PAGE = "qa.py"


def test_tensorflow_gives_pytorch_s_answer_and_attention():
    at = open_page(PAGE)
    assert at.radio("qa_framework").options == ["PyTorch", "TensorFlow", "Both"]
    answer = at.subheader[0].value
    attention = heatmap_z(at, "qa_attention")
    at.radio("qa_framework").set_value("TensorFlow").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.subheader[0].value == answer
    np.testing.assert_allclose(heatmap_z(at, "qa_attention"), attention, atol=1e-5)
    assert any("hook into the PyTorch model" in i.value for i in at.info)

    at.radio("qa_framework").set_value("Both").run()
    assert not at.exception, [e.message for e in at.exception]
    assert [s.value for s in at.subheader[:2]] == [answer, answer]
    said = next(m.value for m in at.markdown if "Largest difference" in m.value)
    logits, weights = (float(x) for x in re.findall(r"(\d\.\d+e[-+]\d+)", said))
    assert logits <= 1e-4 and weights <= 1e-5 and "the same answer" in said


def test_bad_input_says_the_same_in_tensorflow():
    at = open_page(PAGE)
    at.radio("qa_framework").set_value("TensorFlow").run()
    at.text_input("qa_question").input("   ").run()
    assert not at.exception
    assert any("Type a question" in i.value for i in at.info)
    at.radio("qa_framework").set_value("Both").run()
    assert not at.exception and any("Type a question" in i.value for i in at.info)


def test_the_hub_model_has_no_switch():
    at = open_page(PAGE)
    at.radio("qa_model").set_value("hub").run()
    assert not at.exception
    assert not [r for r in at.radio if r.key == "qa_framework"]


def test_an_operator_can_switch_tensorflow_off(monkeypatch):
    from app.serving.loaders import TENSORFLOW_ENV

    monkeypatch.setenv(TENSORFLOW_ENV, "off")
    at = open_page(PAGE)
    assert not [r for r in at.radio if r.key == "qa_framework"]
    assert at.subheader  # the PyTorch answer, as ever
