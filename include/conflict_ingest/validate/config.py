"""The gate's tunables, its configuration from settings, and the trailing history spike checks compare with."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conflict_ingest import contract
from conflict_ingest.settings import (
    DEFAULT_MAX_COUNT_PER_METRIC as DEFAULT_MAX_COUNT_PER_METRIC,  # re-exported
)
from conflict_ingest.settings import ValidationSettings
from conflict_ingest.validate.columns import WARNING

logger = logging.getLogger(__name__)


# --- tunables -------------------------------------------------------------------------------

# The largest plausible count per metric: ``settings.DEFAULT_MAX_COUNT_PER_METRIC`` (why those
# bounds: there), overridden by ``CONFLICT_INGEST_MAX_COUNT`` or per call with ``max_count_per_metric``.
# A period longer than this (days, both ends included) is flagged: a leap year is 366 days.
MAX_PERIOD_DAYS = 366
# Metrics whose records should say who carried them out (warning when the actor is null).
ACTOR_EXPECTED_METRICS: tuple[str, ...] = contract.values((contract.Metric.STRIKES,))
# The contract's fields by what validation checks (all derived from conflict_ingest.contract):
# never null, and the Python type each kind of field must have.
REQUIRED_FIELDS: tuple[str, ...] = contract.REQUIRED_FIELDS
STR_FIELDS: tuple[str, ...] = contract.fields_of(contract.ARROW_STRING)
INT_FIELDS: tuple[str, ...] = contract.fields_of(contract.ARROW_INT64)
DATE_FIELDS: tuple[str, ...] = contract.fields_of(contract.ARROW_DATE)
DATETIME_FIELDS: tuple[str, ...] = contract.fields_of(contract.ARROW_TIMESTAMP)
STR_LIST_FIELDS: tuple[str, ...] = contract.fields_of(contract.ARROW_STRING_LIST)
BOOL_FIELDS: tuple[str, ...] = contract.fields_of(contract.ARROW_BOOL)
# field -> the values it may take (``<field>_in_set`` expectations)
IN_SET_FIELDS: dict[str, tuple[str, ...]] = contract.ENUM_VALUES
# Two records are from the same page when they share one of these URLs.
PAGE_URL_FIELDS: tuple[str, ...] = ("canonical_url", "source_url")
# What makes two records statements of the same thing (besides the page); compared null-safely.
STATEMENT_KEY_FIELDS: tuple[str, ...] = (
    "actor",
    "metric",
    "qualifier",
    "victim",
    "location",
    "period_start",
    "period_end",
)
# What a sum and its parts must share (the period is what differs).
SUM_KEY_FIELDS: tuple[str, ...] = ("actor", "metric", "qualifier", "victim", "location")
# At most this many ways of tiling a period with its parts are summed, and this many partial
# tilings explored, per record (a live blog may state many overlapping running totals).
MAX_SUM_TILINGS = 64
MAX_SUM_STEPS = 10_000
# Counts beyond this are clamped for the GX frame (pandas Int64); they fail the bound check anyway.
FRAME_COUNT_CAP = 2**62
INTEGER_FRAME_COLUMNS: tuple[str, ...] = ("count", "period_days", "row_number")

# The warning names of the trailing-history checks: one per row, one per source.
SPIKE = "count_far_above_trailing_max"
SOURCE_SILENT = "source_yielded_no_records"
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["record_id", "row_number"],
}


# --- configuration and trailing history --------------------------------------------------------


#: The suite's tunables: one class with :class:`conflict_ingest.settings.ValidationSettings` (fields,
#: defaults and what each means written there once); ``from_env()`` reads the ``CONFLICT_INGEST_*``
#: variables, ``from_settings()`` copies a ``Settings.validation``.
ValidationConfig = ValidationSettings


def _actor_key(actor: Any) -> str | None:
    if not isinstance(actor, str) or not actor.strip():
        return None
    return " ".join(actor.split()).casefold()


#: the columns of a curated partition :meth:`TrailingHistory.add_day` reads
HISTORY_COLUMNS: tuple[str, ...] = ("source_id", "actor", "metric", "count")


@dataclass
class TrailingHistory:
    """What the committed curated partitions of the trailing window say, in summary form: a small
    table per (actor, metric) and per source, whatever the size of the nights it summarises.

    Built day by day with :meth:`add_day` (the pipeline reads the partitions from S3); it keeps
    per (actor, metric) the largest count and the days it was seen, and per source the records
    landed on each day it was read.
    """

    days: list[dt.date] = field(default_factory=list)
    max_count: dict[tuple[str, str], int] = field(default_factory=dict)
    active_days: dict[tuple[str, str], set[dt.date]] = field(default_factory=lambda: defaultdict(set))
    source_records: dict[str, dict[dt.date, int]] = field(default_factory=lambda: defaultdict(dict))
    incomplete: dict[dt.date, set[str]] = field(default_factory=dict)

    def add_day(
        self, day: dt.date, rows: Iterable[Mapping[str, Any]], sources_incomplete: Iterable[str] = ()
    ) -> None:
        """Add one committed partition: its rows and the sources that did not complete that day."""
        self.days.append(day)
        self.incomplete[day] = set(sources_incomplete)
        for row in rows:
            source = row.get("source_id")
            if isinstance(source, str):
                per_day = self.source_records[source]
                per_day[day] = per_day.get(day, 0) + 1
            actor, metric, value = _actor_key(row.get("actor")), row.get("metric"), row.get("count")
            if actor is None or not isinstance(metric, str) or not isinstance(value, int):
                continue
            if isinstance(value, bool) or value < 1:
                continue
            key, count = (actor, metric), value
            self.max_count[key] = max(self.max_count.get(key, count), count)
            self.active_days[key].add(day)

    def merge(self, other: TrailingHistory) -> None:
        """Add the days another history summarised (days it read, none of this one's)."""
        self.days.extend(other.days)
        self.incomplete.update(other.incomplete)
        for source, per_day in other.source_records.items():
            self.source_records[source].update(per_day)
        for key, count in other.max_count.items():
            self.max_count[key] = max(self.max_count.get(key, count), count)
            self.active_days[key] |= other.active_days[key]

    def trailing_max(self, actor: Any, metric: Any) -> tuple[int, int] | None:
        """(largest count, days with records) of the actor and metric, or None when never seen."""
        key = (_actor_key(actor) or "", str(metric))
        if key not in self.max_count:
            return None
        return self.max_count[key], len(self.active_days[key])

    def source_days(self, source_id: str) -> tuple[int, int]:
        """(days the source was read and completed, days it landed records) in the window."""
        read = [d for d in self.days if source_id not in self.incomplete.get(d, set())]
        with_records = sum(1 for d in read if self.source_records.get(source_id, {}).get(d, 0) > 0)
        return len(read), with_records


def silent_sources(
    records_tonight: Mapping[str, int], history: TrailingHistory | None, config: ValidationConfig
) -> list[dict[str, Any]]:
    """Sources that completed tonight with no records although they usually yield some.

    ``records_tonight`` maps every source that completed tonight to its number of records
    (before validation: a source whose records were all held back did yield some).
    """
    if history is None:
        return []
    found: list[dict[str, Any]] = []
    for source_id in sorted(records_tonight):
        if records_tonight[source_id]:
            continue
        read, with_records = history.source_days(source_id)
        if not read or with_records < config.silent_source_min_days:
            continue
        if with_records / read < config.silent_source_min_share:
            continue
        counts = sorted(history.source_records.get(source_id, {}).values())
        found.append(
            {
                "name": SOURCE_SILENT,
                "level": WARNING,
                "source_id": source_id,
                "history_days": read,
                "days_with_records": with_records,
                "median_records": counts[len(counts) // 2] if counts else 0,
                "detail": (
                    f"no records tonight; it landed records on {with_records} of the {read} days "
                    f"it was read in the trailing window"
                ),
            }
        )
    return found
