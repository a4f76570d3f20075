"""A short classroom through the real server (bench/classroom.py): every session gets its own
results, none sees another's text, nothing fails, with a fine-tune running meanwhile.
Times are the benchmark's business, never asserted here."""

import importlib.util
import re
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_a_small_class_with_a_fine_tune_gets_no_errors_and_no_leaks(capsys):
    spec = importlib.util.spec_from_file_location("classroom", ROOT / "bench" / "classroom.py")
    classroom = importlib.util.module_from_spec(spec)
    sys.modules["classroom"] = classroom  # its dataclasses look their module up
    spec.loader.exec_module(classroom)
    line = classroom.main(["--sessions", "4", "--arrival", "1", "--think", "0.2", "--finetune"])
    found = re.fullmatch(
        r"classroom: 4 sessions, p95 [\d.]+ s, errors (\d+), leaks (\d+), rss peak \d+ MB", line
    )
    assert found, line
    assert (found[1], found[2]) == ("0", "0"), capsys.readouterr().out
    assert "24 inputs from 4 sessions" in capsys.readouterr().out  # every input was answered
