"""The cleaning CPU budget: a page that takes too long is abandoned, not left to run."""

from __future__ import annotations

import contextvars
import logging
import time

from conflict_ingest.clean.constants import BUDGET_CHECK_EVERY, NOTE_NAMES
from conflict_ingest.errors import ConflictIngestError

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# CPU budget.
# --------------------------------------------------------------------------------------------------


class CleaningAbandoned(ConflictIngestError, RuntimeError):
    """A page whose cleaning was given up (its CPU budget ran out); ``reason`` says where."""

    def __init__(self, reason: str, notes: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.notes = notes


class _Budget:
    """CPU time left for one page, measured on the cleaning thread (``time.thread_time``), checked
    cooperatively by the loops (:func:`_tick`), never by a signal: cleaning may run in a thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds
        self.count = 0
        self.notes: list[str] = []

    def check(self, stage: str) -> None:
        if time.thread_time() > self.deadline:
            raise CleaningAbandoned(
                f"cleaning exceeded its CPU budget of {self.seconds:g} s (in {stage})", tuple(self.notes)
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("clean_budget", default=None)


def _tick(stage: str) -> None:
    """Called once per iteration of the loops over elements and blocks: every BUDGET_CHECK_EVERY
    calls, abandon the page when its budget has run out."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.count += 1
        if budget.count % BUDGET_CHECK_EVERY == 0:
            budget.check(stage)


def _check(stage: str) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.check(stage)


def _note(name: str, detail: str) -> None:
    """Record a fallback on the page being cleaned."""
    assert name in NOTE_NAMES, name
    budget = _BUDGET.get()
    logger.info("clean fallback %s: %s", name, detail)
    if budget is not None:
        budget.notes.append(f"{name}: {detail}")
