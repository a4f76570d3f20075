"""The hand-written QA test set (data/qa/handwritten.json): natural prose on everyday topics,
written apart from the generator, to score what the generated data does not cover."""

from __future__ import annotations

import json

from model.core.paths import DATA

HANDWRITTEN = DATA / "qa" / "handwritten.json"


def handwritten_questions() -> list[tuple[str, str, list[str]]]:
    """(question, context, accepted answers) for every question of the set."""
    data = json.loads(HANDWRITTEN.read_text(encoding="utf-8"))
    return [
        (q["question"], item["context"], [q["answer"], *q.get("also", [])])
        for item in data["items"]
        for q in item["questions"]
    ]
