"""Errors whose message is meant for the person who caused them."""

from __future__ import annotations


class InputError(ValueError):
    """Input a person typed that cannot be run; the message is shown to them as it is."""
