"""Fixtures the app tests share."""

from __future__ import annotations

import pytest

from tests.app.helpers import open_page


@pytest.fixture
def explorer(models_file, monkeypatch):
    """The explorer with the tests' models file (tests/conftest.py) listed."""
    from app import loaders

    monkeypatch.setenv("ATLAS_MODELS", str(models_file))
    loaders.listed.clear()
    at = open_page("explorer.py")
    yield at
    monkeypatch.delenv("ATLAS_MODELS")
    open_page("explorer.py")  # the menu forgets them again
