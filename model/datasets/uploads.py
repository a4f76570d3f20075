"""Small training files a user uploads: CoNLL for NER, SQuAD JSON for QA.

Every problem is reported with the line (CoNLL) or the field path (JSON) that causes it,
in a message meant to be shown as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

from model.datasets.qa_generator import QAExample

# The uploader's limit and the server's (.streamlit/config.toml), in MiB as Streamlit counts.
MAX_MB = 2
MAX_BYTES = MAX_MB * 1024 * 1024
MAX_ITEMS = 2_000
_TAG = re.compile(r"^(O|[BI]-[\w-]+)$")


class UserDataError(ValueError):
    """A problem in an uploaded file; the message names where."""


def _text(data: bytes | str) -> str:
    if len(data) > MAX_BYTES:
        raise UserDataError(
            f"the file is {len(data):,} bytes; the limit is {MAX_MB} MB ({MAX_BYTES:,} bytes)"
        )
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UserDataError(f"the file is not UTF-8 text (byte {error.start})") from None
    return data


def parse_conll(data: bytes | str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """One token per line, the word first and the BIO tag last (tab or space separated);
    a blank line ends a sentence. -DOCSTART- lines are skipped."""
    sentences: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    words: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(_text(data).splitlines(), start=1):
        if not line.strip():
            if words:
                sentences.append((tuple(words), tuple(tags)))
                words, tags = [], []
            continue
        columns = line.split()
        if columns[0] == "-DOCSTART-":
            continue
        if len(columns) < 2:
            raise UserDataError(
                f"line {number}: expected a word and a tag separated by a tab, got {line!r}"
            )
        tag = columns[-1]
        if not _TAG.match(tag):
            raise UserDataError(f"line {number}: tag {tag!r} is not BIO (O, B-TYPE or I-TYPE)")
        words.append(columns[0])
        tags.append(tag)
        if len(sentences) >= MAX_ITEMS:
            raise UserDataError(f"more than {MAX_ITEMS} sentences: keep the file small")
    if words:
        sentences.append((tuple(words), tuple(tags)))
    if not sentences:
        raise UserDataError("no sentences found: one 'word<TAB>tag' per line, blank lines between")
    return sentences


def _field(value: Any, path: str, kind: type) -> Any:
    if not isinstance(value, kind):
        raise UserDataError(f"{path}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def parse_squad(data: bytes | str) -> list[QAExample]:
    """SQuAD v1 or v2 JSON: data[].paragraphs[].context and .qas[] with question, answers[]
    and, for v2, is_impossible."""
    try:
        root = json.loads(_text(data))
    except json.JSONDecodeError as error:
        raise UserDataError(
            f"not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    examples: list[QAExample] = []
    articles = _field(_field(root, "the file", dict).get("data"), "data", list)
    for a, article in enumerate(articles):
        paragraphs = _field(
            _field(article, f"data[{a}]", dict).get("paragraphs"), f"data[{a}].paragraphs", list
        )
        for p, paragraph in enumerate(paragraphs):
            where = f"data[{a}].paragraphs[{p}]"
            paragraph = _field(paragraph, where, dict)
            context = _field(paragraph.get("context"), f"{where}.context", str)
            for q, qa in enumerate(_field(paragraph.get("qas"), f"{where}.qas", list)):
                at = f"{where}.qas[{q}]"
                qa = _field(qa, at, dict)
                question = _field(qa.get("question"), f"{at}.question", str)
                answers = _field(qa.get("answers", []), f"{at}.answers", list)
                if qa.get("is_impossible") or not answers:
                    examples.append(QAExample(context, question, "", -1, "user"))
                    continue
                answer = _field(answers[0], f"{at}.answers[0]", dict)
                text = _field(answer.get("text"), f"{at}.answers[0].text", str)
                start = _field(answer.get("answer_start"), f"{at}.answers[0].answer_start", int)
                if context[start : start + len(text)] != text:
                    raise UserDataError(
                        f"{at}.answers[0]: answer_start {start} does not point at {text!r} "
                        "in the context"
                    )
                examples.append(QAExample(context, question, text, start, "user"))
                if len(examples) > MAX_ITEMS:
                    raise UserDataError(f"more than {MAX_ITEMS} questions: keep the file small")
    if not examples:
        raise UserDataError("no questions found under data[].paragraphs[].qas[]")
    return examples
