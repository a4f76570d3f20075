"""Fine-tuned model copies, one per browser session, held within a budget.

A fine-tuned copy of MiniLM holds about 90 MB. It is not kept in the session's own state
(where a class of sessions would each hold one for as long as Streamlit keeps the session)
but in one process-wide `BudgetCache` (ATLAS_TUNED_MB, default 400 MB: four copies), under a
key only its session holds. A copy is released when its session ends (the session's ticket
is collected with its state), when it has been idle for ATLAS_TUNED_IDLE_MIN minutes
(default 20), or when newer copies need the room; the page says so.
"""

from __future__ import annotations

import os
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.serving.budget_cache import BudgetCache, budget_from_env, tensor_bytes

TICKET = "ft_ticket"  # session state: this session's claim on its tuned copy
IDLE_MINUTES = float(os.environ.get("ATLAS_TUNED_IDLE_MIN", "20"))


@dataclass(frozen=True)
class Tuned:
    task: str
    model: Any
    losses: list[float]
    note: str


def model_bytes(tuned: Tuned) -> int:
    return tensor_bytes([*tuned.model.parameters(), *tuned.model.buffers()])


TUNED: BudgetCache[Tuned] = BudgetCache(
    "fine-tuned models",
    budget_from_env("ATLAS_TUNED_MB", 400),
    size_of=model_bytes,
    max_idle_s=60 * IDLE_MINUTES,
)


class Ticket:
    """A session's claim on its copy; when the session's state is collected, so is the copy."""

    def __init__(self) -> None:
        self.key = uuid.uuid4().hex
        self.held = False  # whether a copy was ever kept for it
        weakref.finalize(self, TUNED.discard, self.key)


def keep(tuned: Tuned) -> bool:
    """Keep this session's tuned copy (replacing its previous one); False if it is larger
    than the whole budget."""
    ticket = st.session_state.get(TICKET)
    if ticket is None:
        ticket = st.session_state[TICKET] = Ticket()
    ticket.held = TUNED.put(ticket.key, tuned)
    return bool(ticket.held)


def mine() -> tuple[Tuned | None, bool]:
    """This session's tuned copy, and whether one was kept and has since been released."""
    ticket = st.session_state.get(TICKET)
    if ticket is None:
        return None, False
    tuned = TUNED.peek(ticket.key)
    return tuned, tuned is None and ticket.held
