"""The Explanations view on the task pages and in the explorer: what it shows is what the
model computed (occlusion recomputed here by hand, without Captum), every method and every
attention row is there, and an output with nothing to explain says so."""

import numpy as np
import pytest
import torch

from tests.app.helpers import chart_spec, decode, open_page, switch_on

ROWS = ("every layer (mean)", "rollout", "gradient x input", "integrated gradients", "occlusion")


def strips(at, key: str) -> tuple[list[str], np.ndarray, list[str]]:
    """The heat strips' row names, raw values (the hover's) and token labels."""
    (trace,) = chart_spec(at, key)["data"]
    return list(trace["y"]), decode(trace["customdata"]), list(trace["x"])


def test_qa_explains_its_answer_and_occlusion_is_what_removal_does():
    from model.tasks.qa import QAReader

    at = switch_on(open_page("qa.py"), "qa_explain")
    names, raw, labels = strips(at, "qa_strips")
    assert set(ROWS) <= set(names) and "layer 0, head 0" in names
    context, question = at.text_area("qa_context").value, at.text_input("qa_question").value
    reader = QAReader.load()
    result = reader(question, context)
    subject = reader.explain(result)
    assert len(labels) == len(subject.tokens)
    # occlusion by hand: each token replaced by [MASK], the span's start + end logits again
    with torch.inference_mode():
        full = float(subject.forward(subject.ids)[0])
        by_hand = [
            full - float(subject.forward(subject.removed([i]))[0]) if keep else 0.0
            for i, keep in enumerate(subject.removable)
        ]
    np.testing.assert_allclose(raw[names.index("occlusion")], by_hand, atol=2e-4)
    table = at.dataframe[-1].value
    assert "occlusion" not in set(table["explanation"])  # correlations are with occlusion
    assert {"integrated gradients", "rollout"} <= set(table["explanation"])
    assert any("Integrated gradients took" in c.value for c in at.caption)
    assert any("replacing it with the" in c.value for c in at.caption)  # what removal used


def test_ner_explains_each_entity_and_says_when_there_is_none():
    at = switch_on(open_page("ner.py"), "ner_explain")
    names, raw, _ = strips(at, "ner_strips")
    assert "integrated gradients" in names and np.isfinite(raw).all()
    assert raw[names.index("integrated gradients")][0] == 0.0  # [CLS] is never scored
    at.selectbox("ner_example").set_value("No entities").run()
    assert not at.exception
    assert any("No entity was found" in i.value for i in at.info)


def test_translation_explains_a_chosen_step():
    at = switch_on(open_page("translate.py"), "tr_explain")
    steps = at.selectbox("tr_target").options
    assert len(steps) >= 3 and steps[0].startswith("step 1:")
    at.selectbox("tr_target").set_value(steps[2]).run()
    assert not at.exception
    names, raw, labels = strips(at, "tr_strips")
    assert "rollout" in names and "occlusion" in names
    assert labels[-1].endswith("[EOS]") and raw[names.index("occlusion")][-1] == 0.0
    assert "step 3" in chart_spec(at, "tr_strips")["layout"]["title"]["text"]
    fallback = "the unknown token [UNK] (this tokenizer has no mask token)"  # said, not hidden
    assert any(fallback in c.value for c in at.caption)


def test_the_explorer_explains_a_model_with_an_output_and_says_why_not_otherwise():
    at = open_page("explorer.py")
    at.session_state["ex_tab"] = "Explanations"
    at.run()
    assert not at.exception
    assert any("no output to explain" in i.value for i in at.info)  # plain MiniLM
    at.selectbox("ex_model").set_value("minilm-ner").run()
    at.text_area("ex_text").input("Taylor Swift sings in London tonight").run()
    switch_on(at, "ex_explain")
    names, _, labels = strips(at, "ex_strips")
    assert "integrated gradients" in names and labels[0].endswith("[CLS]")


@pytest.mark.parametrize("image", ["PNG", "SVG"])
def test_the_chart_downloads_as_png_or_svg_and_the_numbers_as_csv(image):
    import json

    at = switch_on(open_page("qa.py"), "qa_explain")
    at.radio("qa_image").set_value(image).run()
    (chart,) = [c for c in at.get("plotly_chart") if "qa_strips" in c.proto.id]
    config = json.loads(chart.proto.config)
    assert config["toImageButtonOptions"]["format"] == image.lower()
    (button,) = [b for b in at.get("download_button") if "qa_explanations_csv" in b.proto.id]
    assert button.proto.label == "Explanations as CSV"
