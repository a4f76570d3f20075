"""Fixtures the app tests share."""

from __future__ import annotations

import pytest

from tests.app.helpers import open_page


@pytest.fixture(autouse=True)
def inline_analyses(monkeypatch):
    """Analyses run in the page, as on a fast machine: whether one becomes a job depends on
    how long this machine's forward pass took (a loaded CI machine made the explorer's
    explanation a job once). The tests of jobs set ATLAS_JOB_AFTER_S themselves."""
    from app.serving import jobs

    monkeypatch.setenv(jobs.AFTER_ENV, "1e9")


@pytest.fixture
def explorer(models_file, monkeypatch):
    """The explorer with the tests' models file (tests/conftest.py) listed."""
    from app.serving import loaders

    monkeypatch.setenv("ATLAS_MODELS", str(models_file))
    loaders.listed.clear()
    at = open_page("explorer.py")
    yield at
    monkeypatch.delenv("ATLAS_MODELS")
    open_page("explorer.py")  # the menu forgets them again
