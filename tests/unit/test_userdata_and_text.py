"""Uploaded files: clear messages naming the line or field. Markdown of typed text: escaped."""

import json

import pytest

from app.kit.text import diff_markdown, escape, highlight
from model.datasets.uploads import UserDataError, parse_conll, parse_squad
from tests.conftest import ROOT


def test_the_example_files_parse():
    assert len(parse_conll((ROOT / "data/examples/ner_example.conll").read_bytes())) == 4
    examples = parse_squad((ROOT / "data/examples/qa_example.json").read_bytes())
    assert len(examples) == 4 and examples[-1].answer == "" and examples[0].answer == "Porto"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Alice\tB-person\nflew\n", "line 2: expected a word and a tag"),
        ("Alice\tPERSON\n", "line 1: tag 'PERSON' is not BIO"),
        ("\n\n", "no sentences"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_bad_conll_names_the_line(content, message):
    with pytest.raises(UserDataError, match=message):
        parse_conll(content)


def test_conll_accepts_four_columns_and_docstart():
    sentences = parse_conll("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n")
    assert sentences == [(("EU", "rejects"), ("B-ORG", "O"))]


def squad(context="Paris is big.", start=0, text="Paris"):
    qa = {"question": "Which?", "answers": [{"text": text, "answer_start": start}]}
    return json.dumps({"data": [{"paragraphs": [{"context": context, "qas": [qa]}]}]})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: line 1, column 2"),
        ('{"data": {}}', "data: expected list"),
        ('{"data": [{"paragraphs": [{"qas": []}]}]}', r"data\[0\]\.paragraphs\[0\]\.context"),
        (squad(start=3), r"qas\[0\]\.answers\[0\]: answer_start 3 does not point at 'Paris'"),
        ('{"data": []}', "no questions"),
    ],
)
def test_bad_squad_names_the_field(content, message):
    with pytest.raises(UserDataError, match=message):
        parse_squad(content)


def test_markdown_escapes_what_people_type():
    typed = "**bold** [link](javascript:alert(1)) <script>x</script> $x$"
    out = escape(typed)
    assert "\\*\\*bold\\*\\*" in out and "\\[link\\]" in out and "\\<script\\>" in out


def test_highlight_wraps_spans_and_escapes_inside():
    out = highlight("see *Taylor* now", [(4, 12, "blue", "person 0.90")])
    assert out == "see :blue-background[\\*Taylor\\*] :blue-badge[person 0\\.90] now"


def test_diff_marks_changed_words():
    out = diff_markdown(["el", "gato", "duerme"], ["el", "perro", "duerme"])
    assert ":red[~~gato~~]" in out and ":green-background[perro]" in out
    assert out.startswith("el") and out.endswith("duerme")
