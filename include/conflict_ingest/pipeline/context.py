"""The run a task belongs to: its day of news and its id (the work and report keys derive from them)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from conflict_ingest.storage.keys import (
    work_prefix,
)

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RunContext:
    """Which day's news a run covers, and the run's id (for work and report keys)."""

    day: dt.date
    run_id: str

    @property
    def work(self) -> str:
        return work_prefix(self.day, self.run_id)


def resolve_day(
    *,
    requested: str | None,
    data_interval_start: dt.datetime | None,
    data_interval_end: dt.datetime | None,
    run_after: dt.datetime | None,
) -> dt.date:
    """The day of news a run covers.

    A ``day`` parameter wins (manual runs); it must lie between 1990-01-01 and tomorrow, UTC
    (:func:`conflict_ingest.inputs.parse_day`; else ``InputError`` naming the bound). Otherwise the data interval's start day (the
    nightly timetable has one-day intervals, so the run after midnight reads the day that just
    ended; backfills get each day of their range). A run with no interval (an API trigger with
    no logical date) reads the day before it was triggered: the last complete day.
    """
    if requested:
        from conflict_ingest.inputs import parse_day

        return parse_day(str(requested)[:10])
    if (
        data_interval_start is not None
        and data_interval_end is not None
        and data_interval_end > data_interval_start
    ):
        return data_interval_start.date()
    if data_interval_start is not None:
        return data_interval_start.date() - dt.timedelta(days=1)
    when = run_after or dt.datetime.now(dt.UTC)
    return when.date() - dt.timedelta(days=1)
