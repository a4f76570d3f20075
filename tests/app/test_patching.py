"""Activation patching on the task pages: the page proposes a corrupted input, draws every
map, restoring the swapped word restores the answer, and inputs that cannot be compared get
a message."""

import numpy as np
import pytest

from tests.app.helpers import chart_spec, decode, open_page, switch_on


def z_of(at, key: str) -> np.ndarray:
    """The map's numbers (its first trace; a map of heads also has clickable markers)."""
    return decode(chart_spec(at, key)["data"][0]["z"])


def test_ner_patching_finds_the_swapped_name():
    at = switch_on(open_page("ner.py"), "ner_patch")
    corrupted = at.text_input("ner_corrupt").value
    assert "see it Swift" in corrupted  # the entity's first word made plain, as many pieces
    heads, stream = z_of(at, "ner_patch_heads_encoder"), z_of(at, "ner_patch_stream")
    sublayers = z_of(at, "ner_patch_sublayers")
    assert heads.shape == (6, 12) and sublayers.shape == (6, 2) and stream.shape[0] == 6
    (trace,) = chart_spec(at, "ner_patch_stream")["data"]
    swapped = next(i for i, label in enumerate(trace["x"]) if label.endswith(" taylor"))
    assert abs(stream[0, swapped] - 1.0) < 1e-4  # the clean word back: the clean answer back
    assert np.abs(np.delete(stream[0], swapped)).max() < 1e-4  # an unchanged word: nothing


def test_a_corrupted_input_of_another_length_says_why():
    at = switch_on(open_page("ner.py"), "ner_patch")
    at.text_input("ner_corrupt").input("Going to see Taylor Swift tonight").run()
    assert not at.exception
    assert any("same length" in i.value for i in at.info)


def drawn(at, key: str) -> bool:
    return any(key in chart.proto.id for chart in at.get("plotly_chart"))


def test_translation_and_qa_patching_draw_their_maps():
    at = switch_on(open_page("translate.py"), "tr_patch")
    same = any("same answer" in i.value for i in at.info)
    assert same or all(drawn(at, f"tr_patch_heads_{s}") for s in ("encoder", "decoder", "cross"))
    assert same or (drawn(at, "tr_patch_stream") and drawn(at, "tr_patch_sublayers"))
    at = switch_on(open_page("qa.py"), "qa_patch")
    assert at.text_input("qa_corrupt").value != at.text_area("qa_context").value
    same = any("same answer" in i.value for i in at.info)
    assert same or (drawn(at, "qa_patch_heads_encoder") and drawn(at, "qa_patch_stream"))


@pytest.mark.parametrize("typed", ["", "   ", "word " * 10_000, "😀🎉 שלום עולם",
                                   "<script>alert(1)</script>"])  # fmt: skip
def test_bad_text_in_the_corrupted_box_gets_a_message(typed):
    at = switch_on(open_page("ner.py"), "ner_patch")
    at.text_input("ner_corrupt").input(typed).run()
    assert not at.exception
    assert at.info  # why the two cannot be compared (empty, another length, the same answer)
