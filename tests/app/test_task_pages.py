"""Translation, NER, QA, watch and fine-tune pages: main interactions, ablation, bad input."""

import numpy as np
import pytest

from tests.app.helpers import chart_spec, decode, heatmap_z, open_page

BAD_TEXTS = ["", "   ", "word " * 10_000, "😀🎉 שלום עולם", "<script>alert(1)</script>"]


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_highlighted_source_keeps_eos_apart_from_the_last_word():
    at = open_page("translate.py")
    at.text_area("tr_text").input("The cat sleeps.").run()
    (source,) = [m.value for m in at.markdown if m.value.startswith("Source, attended")]
    plain = source.replace("\\", "")  # the Markdown unescaped
    assert " [EOS]" in plain and ".[EOS]" not in plain


def test_the_uploader_advertises_the_limit_the_parser_keeps():
    import tomllib
    from pathlib import Path

    from model.datasets import uploads

    at = open_page("finetune.py")
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == uploads.MAX_MB
    assert uploads.MAX_BYTES == uploads.MAX_MB * 1024 * 1024  # Streamlit's megabyte
    config = tomllib.loads((Path(__file__).parents[2] / ".streamlit/config.toml").read_text())
    assert config["server"]["maxUploadSize"] == uploads.MAX_MB


def test_translation_shows_attention_of_every_step():
    from model.tasks.translation import load_translator

    at = open_page("translate.py")
    at.text_area("tr_text").input("The cat sleeps.").run()
    expected = load_translator().translate("The cat sleeps.", beam=1)
    assert at.subheader[0].value.replace("\\", "") == expected.text
    cross = heatmap_z(at, "tr_cross_head_heatmap")
    np.testing.assert_allclose(cross, expected.attention.matrices("cross")[0, 0].numpy(),
                               atol=1e-6)  # fmt: skip
    at.slider("tr_step").set_value(2).run()
    bars = decode(chart_spec(at, "tr_step_bars")["data"][0]["y"])
    np.testing.assert_allclose(bars, expected.attention.matrices("cross")[0, :, 1].mean(0),
                               atol=1e-6)  # fmt: skip
    at.radio("tr_decoding").set_value("beam search (4 beams)").run()
    assert not at.exception and chart_spec(at, "tr_encoder") and chart_spec(at, "tr_decoder")


def test_a_held_out_example_shows_its_reference_and_scores():
    from model.datasets.corpus import held_out_examples, references
    from model.tasks.translation import load_translator, sentence_scores

    at = open_page("translate.py")
    assert "Reference" not in markdown_text(at)  # the default sentence is not in the corpus
    pair = held_out_examples()[0]
    label = next(o for o in at.selectbox("tr_example").options if o.startswith(pair.english))
    at.selectbox("tr_example").set_value(label).run()
    assert at.text_area("tr_text").value == pair.english
    assert references()[pair.english] == pair.spanish
    output = load_translator().translate(pair.english, beam=1).text
    scores = sentence_scores(output, pair.spanish)
    shown = markdown_text(at).replace("\\", "")
    assert pair.spanish in shown and f"chrF {scores.chrf:.1f}" in shown
    at.text_area("tr_text").input("my own words").run()  # typed text stays; no reference
    assert at.text_area("tr_text").value == "my own words"
    assert "Reference" not in markdown_text(at)


def test_everyday_examples_come_with_their_hand_written_reference():
    from model.datasets.everyday import everyday_test
    from model.tasks.translation import load_translator, sentence_scores

    at = open_page("translate.py")
    everyday = [o for o in at.selectbox("tr_example").options if "(everyday" in o]
    assert len(everyday) >= 10
    at.selectbox("tr_example").set_value(everyday[1]).run()
    typed = at.text_area("tr_text").value
    (pair,) = [p for p in everyday_test() if p.english == typed]
    output = load_translator().translate(typed, beam=1).text
    shown = markdown_text(at).replace("\\", "")
    assert "written by hand" in shown and pair.spanish in shown
    assert f"chrF {sentence_scores(output, pair.spanish).chrf:.1f}" in shown


def test_translation_ablation_shows_the_new_output_next_to_the_original():
    at = open_page("translate.py")
    at.multiselect("tr_ablate_layers").set_value([("cross", 0), ("cross", 1), ("cross", 2)]).run()
    assert not at.exception
    assert "With those heads off" in markdown_text(at)


def test_the_hub_marian_says_it_needs_the_network():
    at = open_page("translate.py")
    at.radio("tr_model").set_value("hub").run()
    assert not at.exception and any("network" in e.value for e in at.error)


@pytest.mark.parametrize("typed", BAD_TEXTS)
def test_translation_survives_bad_input(typed):
    at = open_page("translate.py")
    at.text_area("tr_text").input(typed).run()
    assert not at.exception
    assert at.info or at.subheader


def test_ner_highlights_entities_and_explains_one(minilm):
    at = open_page("ner.py")
    at.selectbox("ner_example").set_value("A concert night").run()
    assert not at.exception
    assert "-badge[" in markdown_text(at)
    assert at.dataframe[0].value.shape[1] == 5
    if at.selectbox("ner_entity") is not None:
        z = heatmap_z(at, "ner_focus")
        assert z.shape[0] == 72
        np.testing.assert_allclose(z.sum(-1), 1.0, atol=1e-5)


def test_ner_text_without_entities_says_so():
    at = open_page("ner.py")
    at.selectbox("ner_example").set_value("No entities").run()
    assert not at.exception


def test_ner_ablation_runs():
    at = open_page("ner.py")
    at.multiselect("ner_ablate_layers").set_value([("encoder", 0), ("encoder", 1)]).run()
    assert not at.exception and "With those heads off" in markdown_text(at)


@pytest.mark.parametrize("typed", BAD_TEXTS)
def test_ner_survives_bad_input(typed):
    at = open_page("ner.py")
    at.text_area("ner_text").input(typed).run()
    assert not at.exception


def test_qa_answers_with_span_scores_and_attention():
    from model.tasks.qa import QAReader

    at = open_page("qa.py")
    assert not at.exception
    context, question = at.text_area("qa_context").value, at.text_input("qa_question").value
    expected = QAReader.load()(question, context)  # the page shows what the reader computes
    assert at.subheader[0].value == expected.answer and expected.answer in context
    assert chart_spec(at, "qa_scores") and chart_spec(at, "qa_attention_head_heatmap")
    z = heatmap_z(at, "qa_attention_head_heatmap")
    assert z.shape[0] == 5  # where is the football ?
    # the alternatives carry their real scores (rounding showed every one as 0)
    shown = at.dataframe[0].value
    assert list(shown["alternative"]) == [a.text for a in expected.alternatives]
    np.testing.assert_allclose(shown["score"], [a.score for a in expected.alternatives])
    assert (shown["score"] > 0).all() and (shown["score"] < 1e-3).any()


def test_qa_says_when_there_is_no_answer():
    at = open_page("qa.py")
    at.selectbox("qa_example").set_value("No answer in the text").run()
    assert not at.exception and any("No answer found" in i.value for i in at.info)


def test_qa_typed_text_stays_until_another_example_is_picked():
    at = open_page("qa.py")
    at.text_input("qa_question").input("Where is Mary?").run()
    at.text_area("qa_context").input("Mary moved to the office.").run()
    assert at.text_input("qa_question").value == "Where is Mary?"
    assert at.subheader[0].value == "the office"
    at.selectbox("qa_example").set_value("A landmark").run()
    assert at.text_input("qa_question").value == "Who built the lighthouse?"
    assert "lighthouse" in at.text_area("qa_context").value


def test_qa_ablation_runs():
    at = open_page("qa.py")
    at.multiselect("qa_ablate_layers").set_value([("encoder", 5)]).run()
    assert not at.exception and "With those heads off" in markdown_text(at)


@pytest.mark.parametrize("typed", BAD_TEXTS)
def test_qa_survives_bad_input(typed):
    at = open_page("qa.py")
    at.text_area("qa_context").input(typed).run()
    at.text_input("qa_question").input(typed[:400]).run()
    assert not at.exception


def test_watch_attention_form_trains_and_the_loss_falls():
    at = open_page("watch.py")
    at.slider("watch_steps").set_value(150).run()
    at.button("watch_train").click().run()
    assert not at.exception
    losses = decode(chart_spec(at, "watch_loss")["data"][0]["y"])
    assert len(losses) == 150 and losses[-10:].mean() < 0.6 * losses[:10].mean()
    final = heatmap_z(at, "watch_attention_149")
    assert final.shape == (9, 8)


def test_finetune_on_the_example_file_compares_before_and_after():
    at = open_page("finetune.py")
    at.toggle("ft_use_sample").set_value(True).run()
    assert any("4 sentences" in s.value for s in at.success)
    at.slider("ft_steps").set_value(5).run()
    at.button("ft_go").click().run()
    assert not at.exception
    assert [b.key for b in at.button if b.key == "ft_cancel"] == []  # gone once done
    assert chart_spec(at, "ft_loss") and chart_spec(at, "ft_att_Before")
    before, after = heatmap_z(at, "ft_att_Before"), heatmap_z(at, "ft_att_After")
    assert before.shape == after.shape and not np.allclose(before, after)

    # The copy lives in the server's budgeted store, not in the session: once released
    # (idle, or others needed the room), the page says so instead of failing.
    from app.serving import tuned

    tuned.TUNED.discard(at.session_state[tuned.TICKET].key)
    at.run()
    assert not at.exception and not any("ft_att" in c.proto.id for c in at.get("plotly_chart"))
    assert any("was released" in i.value for i in at.info)


def test_finetune_qa_on_the_example_file():
    at = open_page("finetune.py")
    at.radio("ft_task").set_value("qa").run()
    at.toggle("ft_use_sample").set_value(True).run()
    at.slider("ft_steps").set_value(5).run()
    at.button("ft_go").click().run()
    assert not at.exception and chart_spec(at, "ft_att_After")


def test_a_shorter_translation_after_a_late_step_does_not_break():
    at = open_page("translate.py")
    at.text_area("tr_text").input("The old man keeps his bicycle in the garden near the house.")
    at.run()
    last = at.slider("tr_step").max
    at.slider("tr_step").set_value(last).run()
    at.text_area("tr_text").input("Hi.").run()
    assert not at.exception


def test_an_unreadable_checkpoint_stops_its_page_with_a_message(monkeypatch):
    from app.serving import loaders
    from model.core.errors import CheckpointError
    from model.tasks.translation import OurTranslator

    def unreadable(*args, **kwargs):
        raise CheckpointError("translation checkpoint", "checkpoints/translation",
                              "model.safetensors is missing", "Restore it.")  # fmt: skip

    cached = loaders.translator.__wrapped__  # the st.cache_resource function under `shown`
    cached.clear()
    monkeypatch.setattr(OurTranslator, "load", classmethod(unreadable))
    try:
        at = open_page("translate.py")
        assert not at.exception
        assert any("model.safetensors is missing" in e.value for e in at.error)
        assert not at.get("plotly_chart")
        other = open_page("bert_attention.py")  # the other models are not affected
        assert not other.exception and other.get("plotly_chart")
    finally:
        cached.clear()  # the next test loads the real checkpoint again


@pytest.mark.parametrize(("page", "box"), [("masks.py", "mask_first"), ("qa.py", "qa_question")])
def test_a_paste_far_longer_than_a_short_box_gets_a_message(page, box):
    """100,000 characters into a one-line box: taken, and cut or refused, saying so (a box
    limited to 500 characters once kept its old value without a word)."""
    at = open_page(page)
    at.text_input(box).input(("word " * 20_000)[:100_000]).run()
    assert not at.exception
    said = " ".join(m.value for m in (*at.info, *at.warning))
    assert "tokens long" in said, said
