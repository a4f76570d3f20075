"""The logit lens on the task pages and in the explorer: the top row is what the model said
(the translation, the tags, the answer's start), each cell names the top output, and a model
without an output layer says so."""

import numpy as np

from tests.app.helpers import chart_spec, decode, open_page, switch_on


def grid(at, key: str) -> tuple[np.ndarray, list[list[str]], list[str]]:
    (trace,) = chart_spec(at, key)["data"]
    return decode(trace["z"]), trace.get("text"), list(trace["y"])


def test_the_translators_last_layer_writes_the_translation():
    from app.kit.tokens import readable_tokens
    from model.tasks.translation import OurTranslator

    at = switch_on(open_page("translate.py"), "tr_lens")
    z, text, layers = grid(at, "tr_lens_grid")
    result = OurTranslator.load().translate(at.text_area("tr_text").value)
    assert layers[-1] == f"layer {len(layers) - 1}" and z.shape[0] == len(layers)
    assert text[-1] == readable_tokens(result.output_tokens, marked=True)  # the top row
    assert ((z > 0) & (z <= 1)).all()


def test_the_ner_heads_last_layer_gives_the_pieces_tags():
    import torch

    from model.tasks.ner import NerTagger

    at = switch_on(open_page("ner.py"), "ner_lens")
    z, text, _ = grid(at, "ner_lens_grid")
    tagger = NerTagger.load()
    result = tagger(at.text_area("ner_text").value)
    inputs, _ = tagger.first_window(result)
    with torch.inference_mode():
        said = tagger.model(**inputs).logits[0].argmax(-1).tolist()
    assert text[-1] == [tagger.id2label[i] for i in said]
    assert z.shape == (6, len(said))


def test_the_qa_head_points_at_the_answers_start_in_its_last_layer():
    from model.tasks.qa import QAReader

    at = switch_on(open_page("qa.py"), "qa_lens")
    start, _, _ = grid(at, "qa_lens_start")
    end, _, _ = grid(at, "qa_lens_end")
    assert start.shape == end.shape and start.shape[0] == 6
    np.testing.assert_allclose(start.sum(-1), 1.0, atol=1e-5)
    reader = QAReader.load()
    result = reader(at.text_input("qa_question").value, at.text_area("qa_context").value)
    starts = np.array(result.start_logits)
    assert int(start[-1].argmax()) == int(starts.argmax())


def test_the_explorer_reads_layers_out_where_a_model_has_an_output_layer():
    at = open_page("explorer.py")
    at.session_state["ex_tab"] = "Logit lens"
    at.run()
    assert any("no output layer" in i.value for i in at.info)  # plain MiniLM
    at.selectbox("ex_model").set_value("translator").run()
    assert not at.exception
    z, text, _ = grid(at, "ex_lens_grid")
    assert z.shape[0] == 3 and text[-1][-1] == "[EOS]"
