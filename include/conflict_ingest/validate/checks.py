"""The validation gate: a Great Expectations 1.x suite, defined in code, run on each batch of records.

Each expectation carries a stable snake_case name (``meta["name"]``) and a level: ``critical``
expectations hold a record back (it goes to quarantine with the names it broke), ``warning``
expectations only add their name to the record's ``flags``.

Checks that need more than one column or more than one row (the count stated in the evidence,
two different counts for the same statement on one page, a sum that disagrees with its parts)
are computed per row first into a ``problem_*`` column (null when the row is fine, a short text
saying what is wrong otherwise) and then validated with GX's ``expect_column_values_to_be_null``,
so the GX result itself says which record broke what, and why.

Great Expectations is imported inside :func:`validate_records` only: it is slow to import and
noisy, and parsing a DAG must not pay for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import numbers
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from conflict_ingest import contract
from conflict_ingest.records import RECORD_FIELDS, TOLL_METRICS
from conflict_ingest.settings import DEFAULT_MAX_COUNT_PER_METRIC, ValidationSettings
from conflict_ingest.settings import parse_max_counts as parse_max_counts  # re-exported

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CRITICAL",
    "DEFAULT_MAX_COUNT_PER_METRIC",
    "SOURCE_SILENT",
    "WARNING",
    "TrailingHistory",
    "ValidationConfig",
    "ValidationOutcome",
    "silent_sources",
    "evidence_states_count",
    "numbers_in_text",
    "validate_records",
]

logger = logging.getLogger(__name__)

CRITICAL = "critical"
WARNING = "warning"

# --- the problem columns -------------------------------------------------------------------
# Per-row checks write a sentence into these columns of the validated frame (null: the row is fine);
# the report reads them by this prefix (report imports these names from here, never the reverse).
PROBLEM_COLUMN_PREFIX = "problem_"
PROBLEM_FIELDS = PROBLEM_COLUMN_PREFIX + "fields"
PROBLEM_TYPES = PROBLEM_COLUMN_PREFIX + "types"
PROBLEM_EVIDENCE = PROBLEM_COLUMN_PREFIX + "evidence"
PROBLEM_CONFLICT = PROBLEM_COLUMN_PREFIX + "conflict"
PROBLEM_SUM = PROBLEM_COLUMN_PREFIX + "sum"
PROBLEM_SPIKE = PROBLEM_COLUMN_PREFIX + "spike"

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

# --- numbers as written ---------------------------------------------------------------------

NUMBER_WORD_UNITS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORD_HUNDRED = "hundred"
NUMBER_WORD_DOZEN = "dozen"
NUMBER_WORD_SCALES: dict[str, int] = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
# Words that may sit inside a spelled-out number ("one hundred and twenty") or before a scale
# ("a dozen", "a million") without ending it.
NUMBER_WORD_JOINERS = frozenset({"and"})
NUMBER_WORD_ARTICLES = frozenset({"a", "an"})
# Scale words and abbreviations after digits: "1.2 million", "3m", "2.5bn", "12k".
DIGIT_SCALES: dict[str, int] = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
}
# Thousands separators seen in the wild: comma, dot, space, no-break and thin spaces, apostrophes.
THOUSANDS_SEPARATORS = ",. \u00a0\u202f\u2009'\u2019"
GROUPED_DIGITS_RE = re.compile(
    r"(?<![\d.,])\d{1,3}(?:[" + re.escape(THOUSANDS_SEPARATORS) + r"]\d{3})+(?!\d)"
)
PLAIN_DIGITS_RE = re.compile(r"\d+")
SCALED_DIGITS_RE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(sorted(DIGIT_SCALES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
WORD_RE = re.compile(r"[a-z]+")


def numbers_in_text(text: str) -> set[int]:
    """Every whole number the text writes, in digits ("3,038", "3 038", "1.2 million") or words
    ("nine", "a dozen", "twenty-one", "two hundred and five")."""
    found: set[int] = set()
    for match in PLAIN_DIGITS_RE.finditer(text):
        found.add(int(match.group()))
    for match in GROUPED_DIGITS_RE.finditer(text):
        found.add(int(re.sub(r"\D", "", match.group())))
    for match in SCALED_DIGITS_RE.finditer(text):
        try:
            value = Decimal(match.group(1).replace(",", ".")) * DIGIT_SCALES[match.group(2).lower()]
        except InvalidOperation:
            continue
        if value == value.to_integral_value():
            found.add(int(value))
    found |= _word_numbers(text)
    return found


def _word_numbers(text: str) -> set[int]:
    found: set[int] = set()
    total = current = 0
    active = False  # inside a spelled-out number
    article = False  # the previous word was "a"/"an"
    for word in [*WORD_RE.findall(text.lower()), ""]:
        if word in NUMBER_WORD_UNITS:
            current += NUMBER_WORD_UNITS[word]
            found.add(NUMBER_WORD_UNITS[word])
            active, article = True, False
        elif word == NUMBER_WORD_HUNDRED and (active or article):
            current = (current or 1) * 100
            active, article = True, False
        elif word == NUMBER_WORD_DOZEN:
            current = (current or 1) * 12
            active, article = True, False
        elif word in NUMBER_WORD_SCALES and (active or article):
            total += (current or 1) * NUMBER_WORD_SCALES[word]
            current = 0
            active, article = True, False
        elif active and word in NUMBER_WORD_JOINERS:
            continue
        else:
            if active:
                found.add(total + current)
            total = current = 0
            active = False
            article = word in NUMBER_WORD_ARTICLES
    return found


def evidence_states_count(evidence: str, count: int) -> bool:
    """True when the evidence sentence writes ``count`` (in digits, with separators, or in words)."""
    return count in numbers_in_text(evidence)


# --- configuration and trailing history --------------------------------------------------------


@dataclass(frozen=True)
class ValidationConfig:
    """The suite's tunables.

    ``max_count_per_metric``: the plausible bound of ``count`` per metric (critical).
    ``history_days``: how many days of committed curated partitions before the run's day are read.
    ``spike_factor``: a count above this many times the trailing maximum of the same actor and
    metric is flagged ``count_far_above_trailing_max``, but only when that actor and metric have
    records on at least ``spike_min_history_days`` distinct days of the window.
    ``silent_source_min_days`` and ``silent_source_min_share``: a source that completed tonight
    with no records is reported ``source_yielded_no_records`` when, over the days of the window
    it was read, it had records on at least that many days and at least that share of them.
    """

    max_count_per_metric: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MAX_COUNT_PER_METRIC))
    history_days: int = ValidationSettings.history_days
    spike_factor: float = ValidationSettings.spike_factor
    spike_min_history_days: int = ValidationSettings.spike_min_history_days
    silent_source_min_days: int = ValidationSettings.silent_source_min_days
    silent_source_min_share: float = ValidationSettings.silent_source_min_share

    @classmethod
    def from_settings(cls, settings: ValidationSettings) -> ValidationConfig:
        return cls(
            max_count_per_metric=dict(settings.max_count_per_metric),
            history_days=settings.history_days,
            spike_factor=settings.spike_factor,
            spike_min_history_days=settings.spike_min_history_days,
            silent_source_min_days=settings.silent_source_min_days,
            silent_source_min_share=settings.silent_source_min_share,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ValidationConfig:
        """The ``CONFLICT_INGEST_*`` tunables (:class:`conflict_ingest.settings.ValidationSettings`)."""
        return cls.from_settings(ValidationSettings.from_env(environ))


def _actor_key(actor: Any) -> str | None:
    if not isinstance(actor, str) or not actor.strip():
        return None
    return " ".join(actor.split()).casefold()


@dataclass
class TrailingHistory:
    """What the committed curated partitions of the trailing window say, in summary form.

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


# --- the outcome ----------------------------------------------------------------------------


@dataclass
class ValidationOutcome:
    """What the gate decided for one batch."""

    passed: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    expectation_results: list[dict[str, Any]]
    gx_result: dict[str, Any]
    # Source-level warnings (a source with no row to flag), see :func:`silent_sources`.
    source_warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """No critical expectation failed."""
        return not any(r["level"] == CRITICAL and not r["success"] for r in self.expectation_results)

    def records_by_source(self) -> dict[str, dict[str, int]]:
        """Per source: records validated, passed (to land), failed (held back), flagged (landed)."""
        out: dict[str, dict[str, int]] = {}
        for rows, outcome in ((self.passed, "passed"), (self.failed, "failed")):
            for row in rows:
                counts = out.setdefault(
                    str(row.get("source_id")), {"total": 0, "passed": 0, "failed": 0, "flagged": 0}
                )
                counts["total"] += 1
                counts[outcome] += 1
                if outcome == "passed" and row.get("flags"):
                    counts["flagged"] += 1
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, Any]:
        """Counts and names only: small enough for XCom and alert messages."""
        row_level = [r for r in self.expectation_results if r.get("scope", "record") == "record"]
        return {
            "success": self.success,
            "total": len(self.passed) + len(self.failed),
            "passed": len(self.passed),
            "failed": len(self.failed),
            "flagged": sum(1 for row in self.passed if row.get("flags")),
            "failed_expectations": {
                r["name"]: r["unexpected_count"]
                for r in row_level
                if r["level"] == CRITICAL and not r["success"]
            },
            "flags": {
                r["name"]: r["unexpected_count"]
                for r in row_level
                if r["level"] == WARNING and not r["success"]
            },
            "source_warnings": [dict(w) for w in self.source_warnings],
            "records_by_source": self.records_by_source(),
        }


# --- per-row checks (computed before GX, validated by GX) -----------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _fields_problem(row: dict[str, Any]) -> str | None:
    keys = set(row)
    missing = [name for name in RECORD_FIELDS if name not in keys]
    extra = sorted(str(k) for k in keys - set(RECORD_FIELDS))
    parts = []
    if missing:
        parts.append("missing: " + ", ".join(missing))
    if extra:
        parts.append("unexpected: " + ", ".join(extra))
    return "; ".join(parts) or None


def _types_problem(row: dict[str, Any]) -> str | None:
    """Wrong types of present, non-null fields (nulls are the not-null expectations' business)."""
    wrong: list[str] = []

    def check(name: str, ok: bool) -> None:
        value = row.get(name)
        if value is not None and not ok:
            wrong.append(f"{name}: {type(value).__name__}")

    for name in STR_FIELDS:
        check(name, isinstance(row.get(name), str))
    for name in INT_FIELDS:
        check(name, _is_int(row.get(name)))
    for name in DATE_FIELDS:
        check(name, _is_date(row.get(name)))
    for name in DATETIME_FIELDS:
        check(name, isinstance(row.get(name), dt.datetime))
    for name in STR_LIST_FIELDS:
        value = row.get(name)
        check(name, isinstance(value, list) and all(isinstance(v, str) for v in value))
    return "; ".join(wrong) or None


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """The row's values as the GX frame holds them: right types or null, so no check can crash."""
    out: dict[str, Any] = {}
    for name in STR_FIELDS:
        value = row.get(name)
        out[name] = value if value is None or isinstance(value, str) else str(value)
    for name in INT_FIELDS:
        value = row.get(name)
        out[name] = None
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            out[name] = max(min(int(value), FRAME_COUNT_CAP), -FRAME_COUNT_CAP)
    for name in DATE_FIELDS:
        value = row.get(name)
        out[name] = value if _is_date(value) else None
    for name in DATETIME_FIELDS:
        value = row.get(name)
        out[name] = value if isinstance(value, dt.datetime) else None
    published = out["published_at"]
    out["published_day"] = published.date() if published is not None else None
    start, end = out["period_start"], out["period_end"]
    out["period_days"] = (end - start).days + 1 if start is not None and end is not None else None
    return out


def _evidence_problem(clean: dict[str, Any]) -> str | None:
    evidence, count = clean["evidence"], clean["count"]
    if evidence is None or count is None or evidence_states_count(evidence, count):
        return None
    return f"count {count} is not written in the evidence"


def _page_groups(cleans: Sequence[dict[str, Any]]) -> list[int]:
    """A page id per row: rows sharing any page URL (canonical or source) are one page."""
    parent = list(range(len(cleans)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_row_of_url: dict[str, int] = {}
    for i, clean in enumerate(cleans):
        for name in PAGE_URL_FIELDS:
            url = (clean[name] or "").strip()
            if not url:
                continue
            if url in first_row_of_url:
                parent[find(i)] = find(first_row_of_url[url])
            else:
                first_row_of_url[url] = i
    return [find(i) for i in range(len(cleans))]


def _conflict_problems(cleans: Sequence[dict[str, Any]], pages: Sequence[int]) -> list[str | None]:
    """Rows whose page gives another count for the same actor, metric, qualifier, victim, location
    and period (None equals None)."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, clean in enumerate(cleans):
        if clean["count"] is not None:
            groups[(pages[i], *(clean[name] for name in STATEMENT_KEY_FIELDS))].append(i)
    problems: list[str | None] = [None] * len(cleans)
    for members in groups.values():
        if len({cleans[i]["count"] for i in members}) < 2:
            continue
        for i in members:
            # Two counts in ONE sentence are a split or a subset ("36 ... the remaining 23",
            # "of the 154 raids, 110 ..."), not two claims about the same thing.
            others = sorted(
                {
                    cleans[j]["count"]
                    for j in members
                    if cleans[j]["count"] != cleans[i]["count"]
                    and cleans[j]["evidence"] != cleans[i]["evidence"]
                }
            )
            if others:
                problems[i] = (
                    "the same page gives " + ", ".join(str(c) for c in others) + " for this statement"
                )
    return problems


def _tiling_sums(
    start: dt.date, end: dt.date, parts: Sequence[tuple[dt.date, dt.date, int]], limit: int
) -> list[int]:
    """Sums of the ways of covering start..end exactly with >= 2 back-to-back parts."""
    by_start: dict[dt.date, list[tuple[dt.date, int]]] = defaultdict(list)
    for p_start, p_end, count in parts:
        by_start[p_start].append((p_end, count))
    sums: list[int] = []
    stack: list[tuple[dt.date, int, int]] = [(start, 0, 0)]
    steps = 0
    while stack and len(sums) < limit and steps < MAX_SUM_STEPS:
        steps += 1
        day, total, used = stack.pop()
        for p_end, count in by_start.get(day, []):
            if p_end == end:
                if used + 1 >= 2:
                    sums.append(total + count)
            elif p_end < end:
                stack.append((p_end + dt.timedelta(days=1), total + count, used + 1))
    return sums


def _sum_problems(cleans: Sequence[dict[str, Any]], pages: Sequence[int]) -> list[str | None]:
    """Rows whose period is exactly covered by other rows' periods on the same page (same actor,
    metric, qualifier, victim, location) when no such cover adds up to the row's count."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, clean in enumerate(cleans):
        if clean["count"] is not None and clean["period_days"] is not None and clean["period_days"] > 0:
            groups[(pages[i], *(clean[name] for name in SUM_KEY_FIELDS))].append(i)
    problems: list[str | None] = [None] * len(cleans)
    for members in groups.values():
        if len(members) < 3:
            continue
        for i in members:
            start, end = cleans[i]["period_start"], cleans[i]["period_end"]
            parts = [
                (cleans[j]["period_start"], cleans[j]["period_end"], cleans[j]["count"])
                for j in members
                if start <= cleans[j]["period_start"]
                and cleans[j]["period_end"] <= end
                and cleans[j]["period_days"] < cleans[i]["period_days"]
            ]
            sums = _tiling_sums(start, end, parts, MAX_SUM_TILINGS)
            if sums and cleans[i]["count"] not in sums:
                shown = ", ".join(str(s) for s in sorted(set(sums)))
                problems[i] = f"its parts on the page add up to {shown}"
    return problems


def _spike_problems(
    cleans: Sequence[dict[str, Any]], history: TrailingHistory | None, config: ValidationConfig
) -> list[str | None]:
    """Rows whose count is more than ``spike_factor`` times the largest count the same actor and
    metric reached in the trailing window (when that actor and metric have enough history)."""
    problems: list[str | None] = [None] * len(cleans)
    if history is None:
        return problems
    for i, clean in enumerate(cleans):
        count = clean["count"]
        if count is None or _actor_key(clean["actor"]) is None or clean["metric"] is None:
            continue
        seen = history.trailing_max(clean["actor"], clean["metric"])
        if seen is None:
            continue
        trailing_max, days = seen
        if days >= config.spike_min_history_days and count > config.spike_factor * trailing_max:
            problems[i] = (
                f"count {count} is over {config.spike_factor:g}x the trailing maximum {trailing_max} "
                f"of {clean['actor']} / {clean['metric']} ({days} days of history)"
            )
    return problems


def _frame(
    rows: Sequence[dict[str, Any]],
    history: TrailingHistory | None = None,
    config: ValidationConfig | None = None,
) -> pd.DataFrame:
    import pandas as pd

    cleans = [_clean(row) for row in rows]
    pages = _page_groups(cleans)
    columns: dict[str, list[Any]] = {name: [c[name] for c in cleans] for name in _clean({})}
    columns["row_number"] = list(range(len(rows)))
    columns[PROBLEM_FIELDS] = [_fields_problem(row) for row in rows]
    columns[PROBLEM_TYPES] = [_types_problem(row) for row in rows]
    columns[PROBLEM_EVIDENCE] = [_evidence_problem(c) for c in cleans]
    columns[PROBLEM_CONFLICT] = _conflict_problems(cleans, pages)
    columns[PROBLEM_SUM] = _sum_problems(cleans, pages)
    columns[PROBLEM_SPIKE] = _spike_problems(cleans, history, config or ValidationConfig())
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns.items()})
    for name in INTEGER_FRAME_COLUMNS:
        frame[name] = pd.array(columns[name], dtype="Int64")
    return frame


# --- the suite ------------------------------------------------------------------------------


def _build_expectations(max_count: dict[str, int]) -> list[Any]:
    """The suite, in order. Each expectation's meta carries its stable name and level."""
    from great_expectations import expectations as gxe
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.row_conditions import Column

    def named(expectation: Any, name: str, level: str = CRITICAL) -> Any:
        expectation.meta = {"name": name, "level": level}
        expectation.severity = FailureSeverity.CRITICAL if level == CRITICAL else FailureSeverity.WARNING
        return expectation

    suite: list[Any] = [
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_FIELDS), "record_fields_match_contract"),
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_TYPES), "field_types_match_contract"),
    ]
    suite += [
        named(gxe.ExpectColumnValuesToNotBeNull(column=name), f"{name}_not_null") for name in REQUIRED_FIELDS
    ]
    suite += [
        named(gxe.ExpectColumnValuesToBeUnique(column="record_id"), "record_id_unique"),
    ]
    suite += [
        named(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(allowed)), f"{name}_in_set")
        for name, allowed in IN_SET_FIELDS.items()
    ]
    suite += [
        named(
            gxe.ExpectColumnValuesToNotBeNull(
                column="victim", row_condition=Column("metric").is_in(list(TOLL_METRICS))
            ),
            "victim_matches_metric",
        ),
        named(
            gxe.ExpectColumnValuesToBeNull(
                column="victim", row_condition=Column("metric").is_not_in(list(TOLL_METRICS))
            ),
            "victim_matches_metric",
        ),
        named(gxe.ExpectColumnValuesToBeBetween(column="count", min_value=1), "count_positive"),
    ]
    suite += [
        named(
            gxe.ExpectColumnValuesToBeBetween(
                column="count", max_value=bound, row_condition=Column("metric") == metric
            ),
            "count_within_plausible_bound",
        )
        for metric, bound in max_count.items()
    ]
    suite += [
        named(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="period_end",
                column_B="period_start",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            "period_start_not_after_period_end",
        ),
        named(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="published_day",
                column_B="period_start",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            "period_start_not_after_publication",
        ),
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_EVIDENCE), "evidence_contains_count"),
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_CONFLICT), "no_conflicting_counts"),
        # warnings: the record lands, with the name in its flags
        named(
            gxe.ExpectColumnValuesToBeBetween(column="period_days", max_value=MAX_PERIOD_DAYS),
            "period_over_366_days",
            WARNING,
        ),
    ]
    suite += [
        named(
            gxe.ExpectColumnValuesToNotBeNull(column="actor", row_condition=Column("metric") == metric),
            f"actor_missing_for_{metric}",
            WARNING,
        )
        for metric in ACTOR_EXPECTED_METRICS
    ]
    suite.append(
        named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_SUM), "sum_disagrees_with_parts", WARNING)
    )
    suite.append(named(gxe.ExpectColumnValuesToBeNull(column=PROBLEM_SPIKE), SPIKE, WARNING))
    return suite


def _import_gx() -> Any:
    """Import GX quietly: its loggers at WARNING unless someone configured them already."""
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _run_gx(frame: pd.DataFrame, expectations: Iterable[Any]) -> Any:
    gx = _import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch_definition = (
        context.data_sources.add_pandas("strike_counts")
        .add_dataframe_asset("records")
        .add_batch_definition_whole_dataframe("batch")
    )
    suite = gx.ExpectationSuite(name="strike_counts")
    for expectation in expectations:
        suite.add_expectation(expectation)
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="strike_counts_gate", data=batch_definition, suite=suite)
    )
    return definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)


# --- the gate -------------------------------------------------------------------------------


def validate_records(
    rows: list[dict[str, Any]],
    *,
    max_count_per_metric: dict[str, int] | None = None,
    config: ValidationConfig | None = None,
    history: TrailingHistory | None = None,
    sources: Iterable[str] | None = None,
) -> ValidationOutcome:
    """Run the suite on a batch of record rows (the contract's fields) and split it.

    Rows that broke a critical expectation go to ``failed`` with ``failed_expectations``; the
    others to ``passed``. Both carry ``flags``: the warning-level expectations they broke. The
    input rows are not modified.

    ``history`` (the trailing curated partitions, summarised) enables the trailing-history
    warnings; ``sources`` (every source that completed tonight, with or without records) enables
    the source-level one. ``max_count_per_metric`` overrides the config's bounds. Pure: nothing
    is read or written here.
    """
    config = config or ValidationConfig()
    max_count = {
        **DEFAULT_MAX_COUNT_PER_METRIC,
        **config.max_count_per_metric,
        **(max_count_per_metric or {}),
    }
    frame = _frame(rows, history, config)
    expectations = _build_expectations(max_count)
    result = _run_gx(frame, expectations)
    gx_result = result.to_json_dict()

    broken: list[dict[str, list[str]]] = [{CRITICAL: [], WARNING: []} for _ in rows]
    by_name: dict[str, dict[str, Any]] = {}
    record_ids = frame["record_id"].tolist()
    for item in gx_result["results"]:
        expectation_config = item["expectation_config"]
        meta = expectation_config.get("meta") or {}
        name, level = meta["name"], meta["level"]
        entry = by_name.setdefault(
            name, {"name": name, "level": level, "success": True, "rows": [], "exceptions": []}
        )
        entry["success"] = entry["success"] and bool(item["success"])
        exception = item.get("exception_info") or {}
        if exception.get("raised_exception"):
            # An expectation that could not be evaluated vouches for no row.
            entry["exceptions"].append(exception.get("exception_message"))
            logger.error("expectation %s (%s) raised: %s", name, expectation_config["type"], exception)
            entry["rows"].extend(range(len(rows)))
            continue
        entry["rows"].extend(
            int(hit["row_number"]) for hit in item["result"].get("unexpected_index_list") or []
        )

    expectation_results: list[dict[str, Any]] = []
    for entry in by_name.values():
        row_numbers = sorted(set(entry["rows"]))
        for i in row_numbers:
            if entry["name"] not in broken[i][entry["level"]]:
                broken[i][entry["level"]].append(entry["name"])
        result_entry = {
            "name": entry["name"],
            "level": entry["level"],
            "success": entry["success"],
            "unexpected_count": len(row_numbers),
            "unexpected_record_ids": [record_ids[i] for i in row_numbers],
        }
        if entry["exceptions"]:
            result_entry["exceptions"] = entry["exceptions"]
        expectation_results.append(result_entry)

    passed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for row, hits in zip(rows, broken, strict=True):
        out = dict(row)
        out["flags"] = list(hits[WARNING])
        if hits[CRITICAL]:
            out["failed_expectations"] = list(hits[CRITICAL])
            failed.append(out)
        else:
            passed.append(out)

    source_warnings: list[dict[str, Any]] = []
    if sources is not None:
        tonight = {str(sid): 0 for sid in sources}
        for row in rows:
            if row.get("source_id") in tonight:
                tonight[row["source_id"]] += 1
        source_warnings = silent_sources(tonight, history, config)
        expectation_results.append(
            {
                "name": SOURCE_SILENT,
                "level": WARNING,
                "scope": "source",
                "success": not source_warnings,
                "unexpected_count": len(source_warnings),
                "unexpected_record_ids": [],
                "unexpected_sources": [w["source_id"] for w in source_warnings],
            }
        )

    outcome = ValidationOutcome(
        passed=passed,
        failed=failed,
        expectation_results=expectation_results,
        gx_result=gx_result,
        source_warnings=source_warnings,
    )
    summary = outcome.summary()
    logger.info(
        "validated %d records: %d passed, %d failed; failed expectations %s; flags %s; source warnings %s",
        summary["total"],
        summary["passed"],
        summary["failed"],
        summary["failed_expectations"],
        summary["flags"],
        [w["source_id"] for w in source_warnings],
    )
    return outcome
