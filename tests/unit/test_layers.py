"""The layering of the code, read from its import statements (those inside functions too):
pages -> app -> tasks, analysis -> transformer, hf, tf, datasets -> core; training beside,
imported by what serves only where a page trains in the browser (Watch: training.toy,
Fine-tune: training.upload), never by app/ and never as a command line; and no import cycle
anywhere. The rule as model/__init__.py states it.

Inside app/: its entry points (main, serve) -> views, rooms -> kit -> serving. A view (a
module of app/views, or its one package, architecture) never imports another view; the kit
imports nothing above it (docs/code-layout.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lower ranks are imported by higher ones, never the other way; packages of one rank do not
# import each other (a module may always import its own package's modules).
RANKS = {
    "model.core": 0,
    "model.transformer": 1,
    "model.hf": 1,
    "model.tf": 1,
    "model.datasets": 1,
    "model.tasks": 2,
    "model.analysis": 2,
    "model.training": 3,
    "model.train": 4,
    "model.evaluate": 4,
    "model.evaluation": 3,  # the evaluation commands' parts, beside training
    "model.translate": 4,
    "model.atlas": 4,
    "app.serving": 5,  # models loaded once, caches, slots, jobs, the page list
    "app.kit": 6,  # what every page uses: widgets, theme, figures, tokens, state
    "app.views": 7,  # one page's or feature's views (never each other: below)
    "app.rooms": 7,  # present to a room
    "app": 8,  # the entry points: main (Streamlit's script), serve (make run)
    "pages": 9,
}
# app/ holds its entry points and these folders, nothing else.
APP_ENTRY_POINTS = {"app.main", "app.serve"}
TRAINING = ("model.training", "model.train", "model.evaluate", "model.evaluation")
# The pages that train in the browser, and the one training module each may use: the only
# imports of training by what serves.
TRAINING_PAGES = {"pages.finetune": "model.training.upload", "pages.watch": "model.training.toy"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for folder in ("model", "app", "pages")
    for path in sorted((ROOT / folder).rglob("*.py"))
}


def imports(name: str) -> set[str]:
    """First-party modules that `name` imports, anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and target not in ("model", "pages"):
                found.add(target)
    # `from model.core import capture` names a module; `from model.core.capture import x`
    # also lists the package model.core, which says nothing: keep the deepest module only.
    return {t for t in found if not any(o.startswith(t + ".") for o in found)}


GRAPH = {name: imports(name) for name in MODULES}


def rank_of(name: str) -> tuple[str, int]:
    for package, rank in sorted(RANKS.items(), key=lambda item: -len(item[0])):
        if name == package or name.startswith(package + "."):
            return package, rank
    raise AssertionError(f"{name} belongs to no layer; add its package to RANKS")


def reachable(name: str) -> set[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        for target in GRAPH[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def test_the_stated_rule_is_the_rule_tested():
    """model/__init__.py names the pages that may import training; so does this test."""
    stated = (ROOT / "model" / "__init__.py").read_text()
    for module in TRAINING_PAGES.values():
        assert module.removeprefix("model.") in stated, module
    importing = {n for n in GRAPH if any(t.startswith(TRAINING) for t in GRAPH[n])}
    assert {n for n in importing if not n.startswith(TRAINING)} == set(TRAINING_PAGES)


def test_the_graph_is_read():
    assert "model.core.capture" in GRAPH["model.tasks.ner"]
    assert "model.training.upload" in GRAPH["pages.finetune"]
    assert len(MODULES) > 40


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "model"))
def test_imports_point_down_the_layers(name):
    package, rank = rank_of(name)
    for target in GRAPH[name]:
        other, other_rank = rank_of(target)
        assert other == package or other_rank < rank, (
            f"{name} ({package}, layer {rank}) imports {target} ({other}, layer {other_rank})"
        )


def view_of(name: str) -> str | None:
    """The view a module belongs to: its module or package directly under app/views."""
    parts = name.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["app", "views"] and len(parts) > 2 else None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if view_of(n)))
def test_a_view_never_imports_another_view(name):
    for target in GRAPH[name]:
        assert view_of(target) in (None, view_of(name)), f"{name} imports {target}"


def test_app_holds_its_entry_points_and_its_role_folders():
    top = {n for n in MODULES if n.count(".") == 1 and n.startswith("app.")}
    assert top - {p for p in RANKS if p.startswith("app.")} == APP_ENTRY_POINTS
    for package in (p for p in RANKS if p.startswith("app.")):
        init = ROOT / package.replace(".", "/") / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} says what it holds"


def test_the_rules_are_held_somewhere():
    """Each rule above has a case it would catch in the code as it is (else it says nothing):
    views that are packages, kit modules that use serving, serving used by views."""
    assert any(view_of(t) == "app.views.architecture" for t in GRAPH["pages.architecture"])
    assert any(t.startswith("app.serving") for t in GRAPH["app.kit.widgets"])
    assert any(t.startswith("app.kit") for t in GRAPH["app.views.lens_views"])


def test_no_import_cycle():
    cycles = [name for name in GRAPH if name in reachable(name)]
    assert not cycles, f"modules on an import cycle: {cycles}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_what_serves_never_imports_training(name):
    if name.startswith(TRAINING):
        return
    allowed = TRAINING_PAGES.get(name)
    for target in GRAPH[name]:
        if target.startswith(TRAINING):
            assert target == allowed, f"{name} imports training code: {target}"
    if allowed:  # a training page runs its one training module, never a command line
        assert not reachable(name) & {"model.train", "model.evaluate"}


COMMANDS = {"model.train", "model.evaluate", "model.translate", "model.atlas"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(("app", "pages"))))
def test_what_serves_never_imports_a_command_line(name):
    assert not reachable(name) & COMMANDS, f"{name} reaches {reachable(name) & COMMANDS}"


def test_every_command_line_is_known():
    assert {n for n in MODULES if n != "model" and rank_of(n)[1] == 4} == COMMANDS
