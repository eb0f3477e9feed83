"""Per-row checks, computed before GX into the ``problem_*`` columns that GX then validates."""

from __future__ import annotations

import datetime as dt
import logging
import numbers
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conflict_ingest.records import RECORD_FIELDS

if TYPE_CHECKING:
    import pandas as pd

from conflict_ingest.contract import Qualifier
from conflict_ingest.validate.columns import (
    PROBLEM_CONFLICT,
    PROBLEM_EVIDENCE,
    PROBLEM_FIELDS,
    PROBLEM_SPIKE,
    PROBLEM_SUM,
    PROBLEM_TYPES,
)
from conflict_ingest.validate.config import (
    BOOL_FIELDS,
    DATE_FIELDS,
    DATETIME_FIELDS,
    FRAME_COUNT_CAP,
    INT_FIELDS,
    INTEGER_FRAME_COLUMNS,
    MAX_SUM_STEPS,
    MAX_SUM_TILINGS,
    PAGE_URL_FIELDS,
    STATEMENT_KEY_FIELDS,
    STR_FIELDS,
    STR_LIST_FIELDS,
    SUM_KEY_FIELDS,
    TrailingHistory,
    ValidationConfig,
    _actor_key,
)
from conflict_ingest.validate.written import (
    evidence_states_count,
    evidence_states_persons,
    evidence_states_vague_count,
)

VAGUE = Qualifier.VAGUE.value

logger = logging.getLogger(__name__)


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
    for name in BOOL_FIELDS:
        check(name, isinstance(row.get(name), bool))
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
    for name in BOOL_FIELDS:
        value = row.get(name)
        out[name] = value if isinstance(value, bool) else None
    published = out["published_at"]
    out["published_day"] = published.date() if published is not None else None
    start, end = out["period_start"], out["period_end"]
    out["period_days"] = (end - start).days + 1 if start is not None and end is not None else None
    return out


def _evidence_problem(clean: dict[str, Any]) -> str | None:
    """Does the evidence state the count? A number written in it; for a ``vague`` count, its words written
    in it with their documented lower bound; for a small count of people named one by one ("killed the
    commander"), as many one-person phrases and small numbers."""
    evidence, count = clean["evidence"], clean["count"]
    if evidence is None or count is None:
        return None
    if clean.get("qualifier") == VAGUE:
        if evidence_states_vague_count(evidence, clean.get("count_text"), count):
            return None
        return f"vague count {count} is not the lower bound of words ({clean.get('count_text')!r}) in the evidence"
    if evidence_states_count(evidence, count) or evidence_states_persons(evidence, count):
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
