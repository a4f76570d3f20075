"""Every model the app serves, loaded once per process and shared by all sessions.

The models are read-only at serving time; per-call state (captures, ablations)
lives in the context variable of `model.core.hooks`, never on the modules. A shipped
checkpoint that is missing or corrupt stops the page that needs it with a message that
says which and what to do (`shown`), and the other pages go on working.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import streamlit as st
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from model.core.errors import CheckpointError
from model.datasets.corpus import Pair, held_out_examples, references
from model.datasets.everyday import everyday_test
from model.hf import byo
from model.hf.families import Family
from model.hf.loading import load_bert
from model.tasks.ner import NerTagger
from model.tasks.qa import QAReader
from model.tasks.translation import MarianTranslator, OurTranslator

if TYPE_CHECKING:
    from model.tasks.qa_tf import TFQAReader

T = TypeVar("T")

# Set while no background thread is loading models (app/serve.py clears it before the server
# starts and its loading thread sets it when done): a page waits for it before it runs, so a
# page run and that thread never import modules at the same time (two threads importing one
# module can see it half initialised: "partially initialized module 'pandas'").
idle = threading.Event()
idle.set()


def wait_for_loading() -> None:
    """Return once the server's loading thread (if any) has finished, under a spinner."""
    if not idle.is_set():
        with st.spinner("The server has just started and is loading its models…"):
            idle.wait()


def shown(load: Callable[[], T]) -> Callable[[], T]:
    """A loader whose CheckpointError becomes an error on the page, which then stops."""

    @functools.wraps(load)
    def loaded() -> T:
        try:
            return load()
        except CheckpointError as error:
            st.error(str(error))
            st.stop()

    return loaded


@shown
@st.cache_resource(show_spinner="Loading the packaged MiniLM (first time only, a few seconds)…")
def minilm() -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    return load_bert()


@shown
@st.cache_resource(show_spinner="Loading MiniLM with the NER adapter (first time only)…")
def ner_tagger() -> NerTagger:
    return NerTagger.load()


@shown
@st.cache_resource(show_spinner="Loading MiniLM with the QA adapter (first time only)…")
def qa_reader() -> QAReader:
    return QAReader.load()


@shown
@st.cache_resource(show_spinner="Loading the English-Spanish transformer (first time only)…")
def translator() -> OurTranslator:
    return OurTranslator.load()


TENSORFLOW_ENV = "ATLAS_TENSORFLOW"  # "off": no TensorFlow switch on the QA page


def tensorflow_off() -> bool:
    """Whether the operator switched TensorFlow off: importing it adds about 600 MB to a
    server process (docs/tensorflow-qa.md), more than a small server's memory budget allows."""
    return os.environ.get(TENSORFLOW_ENV, "").strip().lower() in ("off", "0", "false", "no")


@shown
@st.cache_resource(show_spinner=False)
def tf_qa_reader() -> TFQAReader:
    """The shipped QA model in TensorFlow, its weights converted from the PyTorch one's.
    TensorFlow is imported here, on the first call, never before (the QA page's switch)."""
    from model.tasks.qa_tf import TFQAReader

    return TFQAReader.from_pytorch(qa_reader())


@st.cache_resource(show_spinner=False)
def translation_references() -> dict[str, str]:
    """The held-out test sentences and Apertium's translations of them (read-only)."""
    return references("test")


@st.cache_resource(show_spinner=False)
def translation_held_out() -> list[Pair]:
    return held_out_examples()


@st.cache_resource(show_spinner=False)
def everyday() -> dict[str, str]:
    """The hand-written everyday sentences (data/everyday) and their references (read-only)."""
    return {pair.english: pair.spanish for pair in everyday_test()}


@st.cache_resource(show_spinner="Fetching the MarianMT checkpoint from the Hugging Face hub…")
def marian(name: str) -> MarianTranslator:
    """Raises ConnectionError with a message to show when the hub cannot be reached."""
    return MarianTranslator.from_hub(name)


@st.cache_resource(show_spinner="Fetching the NER checkpoint from the Hugging Face hub…")
def hub_tagger(name: str) -> NerTagger:
    return NerTagger.from_hub(name)


@st.cache_resource(show_spinner="Fetching the QA checkpoint from the Hugging Face hub…")
def hub_reader(name: str) -> QAReader:
    return QAReader.from_hub(name)


@st.cache_resource(show_spinner="Loading a listed model (first time only)…", max_entries=4)
def listed(name: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, Family]:
    """A model from the operator's models file (ATLAS_MODELS), by its name there. Raises
    model.hf.byo.ModelRefused, with the reason, for one the server will not load."""
    entry = {e.name: e for e in byo.listed_models()}[name]
    return byo.load(entry)
