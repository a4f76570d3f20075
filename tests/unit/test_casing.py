"""Casing never changes a translation beyond casing: the model reads capitals and Title Case
as a sentence is usually typed, and the translation is written back as its source was typed
(model.tasks.translation)."""

import pytest

from model.datasets.everyday import repeats_a_trigram
from model.tasks.translation import read_casing, write_casing


@pytest.mark.parametrize(
    ("typed", "read"),
    [("THE CHILDREN ARE PLAYING IN THE GARDEN.", "The children are playing in the garden."),
     ("The Children Are Playing In The Garden.", "The children are playing in the garden."),
     ("I DON'T LIKE COLD SOUP.", "I don't like cold soup."),
     ("¿WHAT IS YOUR NAME? I'M TOM.", "¿What is your name? I'm tom."),
     ("the children are playing in the garden.", "the children are playing in the garden.")],
)  # fmt: skip
def test_capitals_and_title_case_are_read_as_a_sentence_is_usually_typed(typed, read):
    reading, _ = read_casing(typed)
    assert reading == read


def test_a_sentence_typed_as_usual_keeps_its_names_and_acronyms():
    reading, casing = read_casing("I met Maria in Paris to study DNA.")
    assert reading == "I met Maria in Paris to study DNA." and not (casing.upper or casing.title)
    assert write_casing("Conocí a María en París.", casing) == "Conocí a María en París."


def test_the_translation_gets_the_typed_casing_back():
    _, shouted = read_casing("THE CHILDREN ARE PLAYING.")
    assert write_casing("los niños están jugando.", shouted) == "LOS NIÑOS ESTÁN JUGANDO."
    _, title = read_casing("The Old Man And The Sea")
    assert write_casing("el viejo y el mar", title) == "El viejo y el mar"
    _, lower = read_casing("a small dog")
    assert write_casing("un perro pequeño", lower) == "un perro pequeño"


def test_a_loop_is_a_repeated_trigram_the_source_does_not_have():
    assert repeats_a_trigram("He speaks three languages.", "habla tres lenguas habla tres lenguas")
    assert not repeats_a_trigram("He speaks three languages.", "Habla tres lenguas.")
    assert not repeats_a_trigram("one two three one two three", "uno dos tres uno dos tres")
