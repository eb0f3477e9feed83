"""Held records as review items, the options a reviewer chooses from, and what an answer means.

Pure functions (no S3, no Airflow): :func:`review_items` turns the held rows of a run (the records
that broke a critical expectation) into :class:`ReviewItem`; :func:`options` gives one option per
releasable item plus :data:`KEEP_ALL`; :func:`body_markdown` lists every item (id, metric, count,
period, evidence, broken expectations) with every scraped string escaped for Markdown;
:func:`interpret_answer` reads the chosen options back into record ids to release and to keep.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from conflict_ingest.contract import REQUIRED_FIELDS
from conflict_ingest.errors import ConflictIngestError

logger = logging.getLogger(__name__)

#: The option that releases nothing: Airflow's HITL answer must choose at least one option.
KEEP_ALL = "Keep all held (release none)"
#: Evidence shown per item in the review's body (the quarantine zone keeps it whole).
BODY_EVIDENCE_CHARS = 400
#: Items listed in the body (and offered as options); the rest stay held for a later review.
MAX_ITEMS = 100
#: inline Markdown and HTML characters (values never start a line, so list and heading marks are inert)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()<>#!|~&])")


class ReviewAnswerError(ConflictIngestError, ValueError):
    """An answer that names an option the review did not offer."""


@dataclass(frozen=True)
class ReviewItem:
    """One held record as a reviewer sees it."""

    record_id: str
    source_id: str | None
    metric: str | None
    count: int | None
    period_start: str | None
    period_end: str | None
    evidence: str | None
    failed_expectations: tuple[str, ...]
    page: str | None
    #: False when a required field is null: such a record cannot land in curated (its Parquet
    #: declares those fields not-null), so it is listed but not offered for release
    releasable: bool = True
    option: str = field(default="", compare=False)

    @property
    def period(self) -> str:
        if self.period_start and self.period_end and self.period_start != self.period_end:
            return f"{self.period_start}..{self.period_end}"
        return self.period_start or self.period_end or "no period"

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "source_id": self.source_id,
            "metric": self.metric,
            "count": self.count,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "evidence": self.evidence,
            "failed_expectations": list(self.failed_expectations),
            "page": self.page,
            "releasable": self.releasable,
            "option": self.option,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReviewItem:
        return cls(
            record_id=str(data["record_id"]),
            source_id=data.get("source_id"),
            metric=data.get("metric"),
            count=data.get("count"),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            evidence=data.get("evidence"),
            failed_expectations=tuple(data.get("failed_expectations") or ()),
            page=data.get("page"),
            releasable=bool(data.get("releasable", True)),
            option=str(data.get("option") or ""),
        )


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def option_label(item: ReviewItem) -> str:
    """``Release 2,709 weapons_released, 2016-11-01..2016-11-30 [<record id>]``: what a reviewer
    ticks; unique through the record id, readable through the count, metric and period."""
    count = f"{item.count:,}" if isinstance(item.count, int) else "?"
    return f"Release {count} {item.metric or '?'}, {item.period} [{item.record_id}]"


def review_items(rows: Iterable[Mapping[str, Any]]) -> list[ReviewItem]:
    """Held rows as review items, one per ``record_id`` (the first row wins), in record id order."""
    seen: dict[str, ReviewItem] = {}
    for row in rows:
        record_id = row.get("record_id")
        if not record_id or str(record_id) in seen:
            continue
        count = row.get("count")
        item = ReviewItem(
            record_id=str(record_id),
            source_id=row.get("source_id"),
            metric=row.get("metric"),
            count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            period_start=_day(row.get("period_start")),
            period_end=_day(row.get("period_end")),
            evidence=row.get("evidence"),
            failed_expectations=tuple(row.get("failed_expectations") or ()),
            page=row.get("canonical_url") or row.get("source_url"),
            releasable=all(row.get(name) is not None for name in REQUIRED_FIELDS),
        )
        seen[item.record_id] = item
    items = [seen[k] for k in sorted(seen)]
    return [_with_option(item) for item in items]


def _with_option(item: ReviewItem) -> ReviewItem:
    if not item.releasable:
        return item
    return ReviewItem(**{**item.__dict__, "option": option_label(item)})


def options(items: Sequence[ReviewItem]) -> list[str]:
    """One option per releasable item, then :data:`KEEP_ALL` (an answer names at least one)."""
    return [item.option for item in items if item.releasable] + [KEEP_ALL]


def _md(value: Any, limit: int | None = None) -> str:
    """A scraped or variable string as inert Markdown text: every Markdown and HTML character escaped,
    on one line."""
    text = " ".join(str(value).split()) if value is not None else ""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text) or "\\-"


def body_markdown(items: Sequence[ReviewItem], *, day: dt.date, deadline: str | None = None) -> str:
    """The review's body: what is asked, then each held record (id, source, metric, count, period,
    evidence, page, broken expectations)."""
    lines = [
        f"{len(items)} record(s) of {day.isoformat()} broke a critical expectation and are held in "
        "quarantine. Tick the records to **release** to the curated zone (they land with "
        "`released_by_reviewer = true`, your name and your comment); every record not ticked stays "
        f"held, marked reviewed. Choose *{_md(KEEP_ALL)}* to release none.",
        "",
    ]
    if deadline:
        lines += [f"Without an answer by {_md(deadline)} every record stays held and the run fails.", ""]
    for n, item in enumerate(items, 1):
        count = f"{item.count:,}" if item.count is not None else "?"
        lines += [
            f"{n}. **{_md(count)} {_md(item.metric)}**, {_md(item.period)}: record `{item.record_id}`"
            f" (source {_md(item.source_id)})",
            f"    - evidence: {_md(item.evidence, BODY_EVIDENCE_CHARS)}",
            f"    - broke: {_md(', '.join(item.failed_expectations) or 'unknown')}",
            f"    - page: {_md(item.page)}",
        ]
        if not item.releasable:
            lines.append("    - cannot be released: a required field is null (fix the extractor and re-run)")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Answer:
    """What a reviewer decided: the record ids released and those kept, with who and why."""

    released: tuple[str, ...]
    kept: tuple[str, ...]
    reviewed_by: str
    reviewer_id: str | None
    comment: str | None
    decided_at: str


def interpret_answer(items: Sequence[ReviewItem], response: Mapping[str, Any]) -> Answer:
    """An HITL response (``chosen_options``, ``params_input``, ``responded_by_user``,
    ``responded_at``) as record ids to release and to keep.

    Every item whose option was chosen is released; every other item is kept (:data:`KEEP_ALL`
    alone releases none; chosen beside records it changes nothing: the chosen records are released).
    An option the review did not offer raises :class:`ReviewAnswerError`."""
    chosen = [str(c) for c in response.get("chosen_options") or []]
    by_option = {item.option: item for item in items if item.releasable}
    unknown = [c for c in chosen if c != KEEP_ALL and c not in by_option]
    if unknown:
        raise ReviewAnswerError(f"the answer chose options the review did not offer: {unknown}")
    if KEEP_ALL in chosen and len(chosen) > 1:
        logger.warning("the answer chose %r and records: the chosen records are released", KEEP_ALL)
    released = tuple(sorted(by_option[c].record_id for c in chosen if c != KEEP_ALL))
    kept = tuple(sorted(item.record_id for item in items if item.record_id not in released))
    user = response.get("responded_by_user") or {}
    comment = (response.get("params_input") or {}).get("comment")
    comment = " ".join(str(comment).split()) or None if comment is not None else None
    responded_at = response.get("responded_at")
    if isinstance(responded_at, dt.datetime):
        decided_at = responded_at.astimezone(dt.UTC).isoformat()
    else:
        decided_at = str(responded_at or dt.datetime.now(dt.UTC).isoformat())
    return Answer(
        released=released,
        kept=kept,
        reviewed_by=str(user.get("name") or user.get("id") or "unknown reviewer"),
        reviewer_id=str(user["id"]) if user.get("id") is not None else None,
        comment=comment,
        decided_at=decided_at,
    )
