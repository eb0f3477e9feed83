"""The data behind the "Strike counts" view: plain dataclasses and dicts read from the bucket.

Everything is read through :class:`~conflict_ingest.storage.store.ObjectStore`, with the keys of
:mod:`conflict_ingest.storage.keys`: the ``monthly_totals`` rollup (:func:`monthly_totals`), each
run's ``summary.json`` and ``alert.json`` (:func:`last_nights`), a day's quarantine partition
(:func:`held_records`) and a run's ``report.html`` (:func:`run_report`). Nothing here writes.

Vague counts ("several", "dozens") stay apart, as the rollups keep them: a month's total is built
from stated counts only, and the vague records and their lower bound are shown beside it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conflict_ingest.contract import Metric
from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.rollups import read_rollup
from conflict_ingest.storage import keys
from conflict_ingest.storage.partitions import IncompletePartition, read_partition
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: How the view names a record or rollup row without an actor (and the filter value that selects them).
NO_ACTOR = "(actor not stated)"
#: Runs listed under "last nights" unless asked otherwise.
DEFAULT_NIGHTS = 14
#: At most this many runs are listed, whatever is asked.
MAX_NIGHTS = 200

_MONTH_RE = re.compile(r"\A(\d{4})-(\d{2})(?:-\d{2})?\Z")
_COUNTRY_RE = re.compile(r"\A[A-Za-z]{2}\Z")
_DAY_FOLDER_RE = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/\Z")

#: How a row's total was obtained, from the rollup's columns, best first.
BASIS_STATED = "stated for the month"
BASIS_DAILY = "sum of daily counts"
BASIS_LARGEST = "largest count (part of the month)"


class UiInputError(ConflictIngestError, ValueError):
    """A filter or parameter of the view that cannot be read (the message says which and why)."""


# --- monthly totals --------------------------------------------------------------------------------


def _month(raw: str | None, name: str) -> str | None:
    if raw is None or not raw.strip():
        return None
    match = _MONTH_RE.match(raw.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UiInputError(f"{name} must be a month YYYY-MM, got {raw.strip()[:40]!r}")
    return f"{match.group(1)}-{match.group(2)}"


@dataclass(frozen=True)
class TotalsQuery:
    """The filters of the monthly totals: a metric, an actor (as the rollup names it, or
    :data:`NO_ACTOR`), a country (ISO 3166-1 alpha-2) and a range of months, each optional."""

    metric: str | None = None
    actor: str | None = None
    country: str | None = None
    start: str | None = None  # first month, YYYY-MM
    end: str | None = None  # last month, YYYY-MM

    @classmethod
    def from_params(cls, params: Mapping[str, str | None]) -> TotalsQuery:
        """The filters from a query string's values (blank means "any"); :class:`UiInputError` otherwise."""

        def text(name: str) -> str | None:
            value = params.get(name)
            return value.strip() if value is not None and value.strip() else None

        metric = text("metric")
        if metric is not None and metric not in {m.value for m in Metric}:
            raise UiInputError(
                f"metric must be one of {', '.join(m.value for m in Metric)}, got {metric[:40]!r}"
            )
        country = text("country")
        if country is not None and not _COUNTRY_RE.match(country):
            raise UiInputError(f"country must be a two-letter ISO code, got {country[:40]!r}")
        start, end = _month(text("start"), "start"), _month(text("end"), "end")
        if start and end and start > end:
            raise UiInputError(f"start {start} is after end {end}")
        actor = text("actor")
        return cls(
            metric=metric,
            actor=actor[:200] if actor else None,
            country=country.upper() if country else None,
            start=start,
            end=end,
        )

    @property
    def filtered(self) -> bool:
        """Whether any filter is set."""
        return self != TotalsQuery()

    def keeps(self, row: Mapping[str, Any]) -> bool:
        month = str(row.get("month") or "")
        return (
            (self.metric is None or row.get("metric") == self.metric)
            and (self.actor is None or (row.get("actor") or NO_ACTOR) == self.actor)
            and (self.country is None or row.get("country") == self.country)
            and (self.start is None or month >= self.start)
            and (self.end is None or month <= self.end)
        )


def row_total(row: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """A rollup row's figure and how it was obtained: the month's own stated total when a page gave
    one, else the sum of the distinct daily counts, else the largest count of a part of the month;
    ``(None, None)`` when the row has vague counts only (never added to stated ones)."""
    if row.get("stated_month_total") is not None:
        return int(row["stated_month_total"]), BASIS_STATED
    if row.get("sum_daily_counts") is not None:
        return int(row["sum_daily_counts"]), BASIS_DAILY
    if row.get("max_count") is not None:
        return int(row["max_count"]), BASIS_LARGEST
    return None, None


@dataclass(frozen=True)
class TotalsView:
    """The monthly totals as the view shows them.

    ``rows``: the rollup's rows that pass the filters (month, actor, metric, location, country),
    each with its ``total`` and ``basis``; ``series``: per (month, actor, metric), the totals of those
    rows added up over locations (what the chart draws), with the vague records and their lower
    bound apart; ``metrics``, ``actors``, ``countries``: the values the filters can take;
    ``built_from_days``: the curated days the rollup was built from."""

    query: TotalsQuery
    rows: list[dict[str, Any]]
    series: list[dict[str, Any]]
    metrics: list[str]
    actors: list[str]
    countries: list[str]
    built_from_days: int


def monthly_totals(store: ObjectStore, query: TotalsQuery | None = None) -> TotalsView:
    """The ``monthly_totals`` rollup, filtered by ``query``, with each row's total and the totals per
    month, actor and metric. Raises :class:`~conflict_ingest.storage.partitions.IncompletePartition`
    when the rollup's part is missing or differs from its manifest."""
    query = query or TotalsQuery()
    all_rows = read_rollup(store, "monthly_totals")
    manifest = store.get_json_or_none(f"{keys.ROLLUPS_PREFIX}/monthly_totals/{keys.MANIFEST_NAME}") or {}
    rows = []
    for raw in sorted(
        (r for r in all_rows if query.keeps(r)),
        key=lambda r: (r["month"], r.get("actor") or "", r["metric"], r.get("location") or ""),
    ):
        total, basis = row_total(raw)
        rows.append({**raw, "actor": raw.get("actor") or NO_ACTOR, "total": total, "basis": basis})
    return TotalsView(
        query=query,
        rows=rows,
        series=_series(rows),
        metrics=sorted({str(r["metric"]) for r in all_rows}),
        actors=sorted({str(r.get("actor") or NO_ACTOR) for r in all_rows}),
        countries=sorted({str(r["country"]) for r in all_rows if r.get("country")}),
        built_from_days=len(manifest.get("built_from_days") or []),
    )


def _series(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["month"], row["actor"], row["metric"])].append(row)
    out = []
    for (month, actor, metric), members in sorted(groups.items()):
        stated = [m["total"] for m in members if m["total"] is not None]
        bounds = [m["vague_lower_bound"] for m in members if m.get("vague_lower_bound") is not None]
        out.append(
            {
                "month": month,
                "actor": actor,
                "metric": metric,
                "total": sum(stated) if stated else None,
                "locations": len(members),
                "records": sum(int(m.get("records") or 0) for m in members),
                "vague_records": sum(int(m.get("vague_records") or 0) for m in members),
                "vague_lower_bound": sum(bounds) if bounds else None,
            }
        )
    return out


# --- the last nights ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Night:
    """One run's validation, from its ``summary.json`` (and ``alert.json`` when it wrote one)."""

    day: dt.date
    run_id: str
    dag_id: str
    written_at: dt.datetime
    total: int
    landed: int
    held: int
    broken: dict[str, int]
    warnings: dict[str, int]
    silent_sources: list[str]
    sources_incomplete: list[str]
    fetch_failed: int
    alert_subject: str | None
    alert_status: str | None
    has_report: bool


def _day_folders(store: ObjectStore, prefix: str) -> list[dt.date]:
    days = []
    for folder in store.list_folders(prefix + "/"):
        match = _DAY_FOLDER_RE.search(folder)
        if match:
            days.append(dt.date.fromisoformat(match.group(1)))
    return sorted(days, reverse=True)


def last_nights(store: ObjectStore, limit: int = DEFAULT_NIGHTS) -> list[Night]:
    """The latest ``limit`` runs that validated a day, newest day first (runs of one day newest first).

    Lists the report folders day by day from the newest, so it reads only the days it shows."""
    limit = max(1, min(int(limit), MAX_NIGHTS))
    nights: list[Night] = []
    for day in _day_folders(store, keys.REPORTS_PREFIX):
        prefix = keys.reports_day_prefix(day)
        found = [
            (key, modified)
            for key, modified in store.list_objects(prefix)
            if key.endswith("/" + keys.SUMMARY_FILE) and key.count("/") == prefix.count("/") + 1
        ]
        for key, modified in sorted(found, key=lambda km: km[1], reverse=True):
            night = _night(store, day, key, modified)
            if night is not None:
                nights.append(night)
            if len(nights) >= limit:
                return nights
    return nights


def _night(store: ObjectStore, day: dt.date, summary_key: str, modified: dt.datetime) -> Night | None:
    summary = store.get_json_or_none(summary_key)
    if not isinstance(summary, dict):
        logger.warning("%s is not a run summary; skipped", summary_key)
        return None
    folder = summary_key.rsplit("/", 1)[0] + "/"
    alert = store.get_json_or_none(folder + keys.ALERT_FILE) or {}
    delivery = alert.get("delivery") or summary.get("alert_delivery") or {}
    return Night(
        day=day,
        run_id=str(summary.get("run_id") or folder.rstrip("/").rsplit("/", 1)[-1]),
        dag_id=str(summary.get("dag_id") or ""),
        written_at=modified,
        total=int(summary.get("total") or 0),
        landed=int(summary.get("passed") or 0),
        held=int(summary.get("failed") or 0),
        broken=dict(summary.get("failed_expectations") or {}),
        warnings=dict(summary.get("flags") or {}),
        silent_sources=[str(w.get("source_id")) for w in summary.get("source_warnings") or []],
        sources_incomplete=list(summary.get("sources_incomplete") or []),
        fetch_failed=int(summary.get("fetch_failed") or 0),
        alert_subject=alert.get("subject"),
        alert_status=delivery.get("status"),
        has_report=store.exists(folder + keys.REPORT_FILE),
    )


def run_report(store: ObjectStore, day: dt.date, run_id: str) -> bytes | None:
    """The HTML validation report of one run (escaped when it was written), or None when there is none."""
    return store.get_bytes_or_none(keys.report_prefix(day, run_id) + keys.REPORT_FILE)


# --- held records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldDay:
    """The quarantine partition of one day: its records (each with the expectations it broke), and
    ``committed`` False when the partition has no manifest yet (or a part is missing)."""

    day: dt.date
    committed: bool
    records: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    #: the day's curated records a reviewer released from quarantine (``released_by_reviewer``)
    released: list[dict[str, Any]] = field(default_factory=list)


def web_link(url: object) -> str | None:
    """``url`` when it is an http(s) URL with a host (safe to put in an ``href``), else None."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def held_days(store: ObjectStore) -> list[dt.date]:
    """Days that have a quarantine partition, newest first."""
    return _day_folders(store, keys.QUARANTINE_PREFIX)


def held_records(store: ObjectStore, day: dt.date) -> HeldDay:
    """The records held back on ``day``, in source then record order, each with its evidence sentence,
    page link, the expectations it broke, why (from the day's latest run summary, when it says) and,
    once a reviewer kept it, ``reviewed_by``/``review_comment``; plus the day's curated records a
    reviewer released (``released``)."""
    try:
        rows = read_partition(store, keys.quarantine_partition(day))
    except IncompletePartition as exc:
        return HeldDay(day=day, committed=False, note=str(exc), released=_released(store, day))
    why = _reasons(store, day)
    records = [
        {**_shown(row), "why": why.get(str(row.get("record_id")), [])}
        for row in sorted(rows, key=lambda r: (r.get("source_id") or "", r.get("record_id") or ""))
    ]
    return HeldDay(day=day, committed=True, records=records, released=_released(store, day))


def _shown(row: Mapping[str, Any]) -> dict[str, Any]:
    page = row.get("canonical_url") or row.get("source_url")
    return {
        **row,
        "actor": row.get("actor") or NO_ACTOR,
        "page": page,
        "page_link": web_link(page),
        "failed_expectations": list(row.get("failed_expectations") or []),
        "flags": list(row.get("flags") or []),
        "reviewed_by": row.get("reviewed_by"),
        "review_comment": row.get("review_comment"),
    }


def _released(store: ObjectStore, day: dt.date) -> list[dict[str, Any]]:
    """The day's curated records that a reviewer released (none when curated is not committed)."""
    try:
        rows = read_partition(store, keys.curated_partition(day))
    except IncompletePartition:
        return []
    chosen = [r for r in rows if r.get("released_by_reviewer")]
    return [
        _shown(r) for r in sorted(chosen, key=lambda r: (r.get("source_id") or "", r.get("record_id") or ""))
    ]


def _reasons(store: ObjectStore, day: dt.date) -> dict[str, list[str]]:
    """record_id -> "expectation: why" from the examples of the day's latest run summary."""
    latest = max(
        (
            (modified, key)
            for key, modified in store.list_objects(keys.reports_day_prefix(day))
            if key.endswith("/" + keys.SUMMARY_FILE)
        ),
        default=None,
    )
    if latest is None:
        return {}
    summary = store.get_json_or_none(latest[1]) or {}
    out: dict[str, list[str]] = defaultdict(list)
    for name, examples in (summary.get("examples") or {}).items():
        for example in examples or []:
            if example.get("record_id") and example.get("why"):
                out[str(example["record_id"])].append(f"{name}: {example['why']}")
    return dict(out)
