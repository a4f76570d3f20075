"""A fresh server imports every module its pages need before it takes a session, and its
pages wait for the model-loading thread: two threads importing one module at once can see it
half initialised ("partially initialized module 'pandas' has no attribute 'Series'")."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _imported_names() -> dict[str, str]:
    """Every absolute import in app/, model/ and pages/, at any depth, but in the modules left
    unloaded on purpose: module -> a file that imports it."""
    from app.serve import _skipped

    names: dict[str, str] = {}
    for folder in ("app", "model", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if _skipped(".".join(path.relative_to(ROOT).with_suffix("").parts)):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found = [node.module]
                else:
                    continue
                for name in found:
                    names.setdefault(name, str(path.relative_to(ROOT)))
    return names


def test_preload_imports_every_module_the_code_imports_but_those_left_on_purpose():
    script = (
        "import json, sys; from app.serve import preload; preload(); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    from app.serve import NOT_PRELOADED, _skipped

    missing = {
        name: where
        for name, where in _imported_names().items()
        if name not in loaded and not _skipped(name) and name != "__future__"
    }
    assert missing == {}, "add them to app/serve.LAZY (or to NOT_PRELOADED, saying why)"
    assert not any(name in loaded for name in NOT_PRELOADED)  # TensorFlow stays lazy


def test_what_is_left_to_first_use_is_imported_one_thread_at_a_time_and_nowhere_else():
    """The modules a server does not preload are imported through runtime.lazy (its lock),
    never by an import statement, and `lazy` names no other."""
    from model.core.runtime import ON_FIRST_USE, lazy

    imported = _imported_names()
    assert not set(imported) & set(ON_FIRST_USE), "import them with model.core.runtime.lazy"
    named = set()
    for folder in ("app", "model", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy":
                    argument = node.args[0]
                    named.add(argument.value if isinstance(argument, ast.Constant) else "?")
    assert named - {"?"} <= set(ON_FIRST_USE) and len(named) >= 6
    with pytest.raises(ValueError, match="with the rest"):
        lazy("pandas")


def test_the_loading_thread_lets_pages_run_even_when_it_fails(monkeypatch):
    from app import serve
    from app.serving import loaders

    def broken() -> None:
        raise RuntimeError("a disk error")

    monkeypatch.setattr(serve, "_load", broken)
    loaders.idle.clear()
    with pytest.raises(RuntimeError):
        serve.warm_up()
    assert loaders.idle.is_set()


def test_preload_never_runs_a_packages_command_line():
    """A package's `__main__` (`python -m model.datasets.sentences`) is a command line:
    imported by `preload`, it ran with the server's own arguments and ended the server."""
    from app.serve import _skipped

    mains = sorted(p for p in (ROOT / "model").rglob("__main__.py"))
    assert mains, "the test needs a package with a command line"
    for path in mains:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        assert _skipped(name), name
    assert not _skipped("model.datasets.sentences.pairs")


def test_every_path_a_module_names_in_the_project_exists():
    """Paths computed from a module's place (`Path(__file__).parents[n]`) break silently when
    the module moves (the shipped head atlases went missing so once): every module-level path
    inside the project that a served module names exists."""
    script = (
        "import json, sys, types; from pathlib import Path; from app.serve import preload; "
        "preload(); root = Path.cwd().resolve(); print(json.dumps(sorted("
        "f'{n}.{k} {v}' for n, m in list(sys.modules.items()) "
        "if n.startswith(('app', 'model')) and isinstance(m, types.ModuleType) "
        "for k, v in vars(m).items() if isinstance(v, Path) and v.is_absolute() "
        "and v.is_relative_to(root) and not v.exists())))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
