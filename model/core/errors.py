"""Errors whose message is meant for the person who caused them."""

from __future__ import annotations


class InputError(ValueError):
    """Input a person typed that cannot be run; the message is shown to them as it is."""


class CheckpointError(RuntimeError):
    """A checkpoint that is missing or cannot be read; the message says which, and what to do."""

    def __init__(self, what: str, directory: object, reason: str, remedy: str) -> None:
        super().__init__(f"The {what} in {directory} cannot be loaded: {reason}. {remedy}")
