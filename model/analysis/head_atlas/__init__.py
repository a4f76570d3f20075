"""The head atlas: what every head of a model does across a corpus, not on one sentence.

For each head of each stack it measures, over every query row of every sentence:

- the mean attention to the previous, the same and the next token, and to the first token;
- the attention to special tokens ([CLS], [SEP], [BOS], [EOS], ...) and to punctuation,
  where heads park attention they have no use for (the "sinks");
- the mean attention distance and the entropy of each row;

and, where a dependency parse of the sentence is at hand, Clark et al.'s (2019, "What Does
BERT Look At?") syntax test: word-piece attention rolled up to words (attention *to* a
word is the sum over its pieces, attention *from* a word the mean over its pieces), special
tokens and each word's attention to itself left out, then for each relation the share of
dependents whose most attended word is their head (dependent -> head), and the share whose
head is the word that attends to them most (head -> dependent), beside the best fixed-offset
baseline (the word 3 to the left ... 2 to the right).

The parts: `readers` (what a model hands the atlas for a text), `syntax` (Clark et al.'s
word-level test and its published figures), `storage` (the atlas as data and as a file, its
behaviours named), `measures` (the tallies over a corpus: `build`; sinks by length) and
`search` (a word pair's links, the query-key view).

Everything here is arithmetic on attention a `Reader` hands it; which model and which text
is the caller's business (`model.atlas` on the command line, the Head atlas page live).
"""

from model.analysis.head_atlas.measures import Cancelled, build, sinks_by_length
from model.analysis.head_atlas.readers import (
    ModelReader,
    Reader,
    Reading,
    Side,
    capture_reading,
    encoder_reader,
    hf_model_reader,
    translation_reader,
    translator_model_reader,
)
from model.analysis.head_atlas.search import find_words, links, query_key_layout
from model.analysis.head_atlas.storage import (
    ATLAS_DIR,
    POSITIONAL,
    SINKS,
    SPREAD,
    Atlas,
    describe,
    ranked,
)
from model.analysis.head_atlas.syntax import (
    CLARK_BERT_BASE,
    CLARK_CITATION,
    DIRECTIONS,
    OFFSETS,
    align,
    offset_heads,
    predicted_heads,
    word_attention,
)

__all__ = [
    "ATLAS_DIR",
    "CLARK_BERT_BASE",
    "CLARK_CITATION",
    "DIRECTIONS",
    "OFFSETS",
    "POSITIONAL",
    "SINKS",
    "SPREAD",
    "Atlas",
    "Cancelled",
    "ModelReader",
    "Reader",
    "Reading",
    "Side",
    "align",
    "build",
    "capture_reading",
    "describe",
    "encoder_reader",
    "find_words",
    "hf_model_reader",
    "links",
    "offset_heads",
    "predicted_heads",
    "query_key_layout",
    "ranked",
    "sinks_by_length",
    "translation_reader",
    "translator_model_reader",
    "word_attention",
]
