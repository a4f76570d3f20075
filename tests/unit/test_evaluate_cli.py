"""`python -m model.evaluate`: one command line over one module per subcommand
(model/evaluation/). Each subcommand's last line is tested where it runs (tests/integration:
translation, everyday, ner, qa, anatomy, faithfulness, patching; tests/unit/test_byo.py:
families); here, that the command line reaches each module and prints what it returns."""

import importlib

import pytest

from model import evaluate

TASKS = evaluate.parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]


def test_every_subcommand_has_its_module():
    for task in TASKS:
        module = importlib.import_module(f"model.evaluation.{task}")
        assert callable(module.evaluate), task
        assert module.__doc__, f"model/evaluation/{task}.py says what it scores"


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_command_line_prints_the_modules_last_line(task, monkeypatch, capsys):
    module = importlib.import_module(f"model.evaluation.{task}")
    seen = []
    monkeypatch.setattr(module, "evaluate", lambda args: seen.append(args) or f"{task} line")
    argv = [task, "--limit", "2", "--quiet"] + (["qa"] if task == "faithfulness" else [])
    evaluate.main(argv)
    assert capsys.readouterr().out.splitlines()[-1] == f"{task} line"
    assert seen[0].task == task and seen[0].limit == 2


def test_help_imports_no_subcommand(monkeypatch):
    """`--help` answers at once: no task's module (torch, datasets) is imported for it."""
    imported = []
    monkeypatch.setattr(importlib, "import_module", lambda name: imported.append(name))
    with pytest.raises(SystemExit):
        evaluate.main(["--help"])
    assert imported == []
