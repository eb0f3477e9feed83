"""The record contract: what one extracted strike count looks like, and how it is identified.

``Extraction`` is what the extractor finds in a page's text; ``Record`` adds provenance
(source, URLs, raw object, fetch time) and a deterministic ``record_id``. The fields, their
types and enums are written once, in :mod:`conflict_ingest.contract`; ``Record`` spells them out
for the type checker, and ``tests/unit/test_contract.py`` checks it against the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from conflict_ingest.contract import (
    CASUALTY_METRICS,
    ENUM_VALUES,
    FIELD_NAMES,
    Metric,
    Qualifier,
    Victim,
    plain,
    values,
)

EXTRACTOR_VERSION = "0.1.0"

# The enums' values as plain strings (what records hold).
METRICS: tuple[str, ...] = values(Metric)
QUALIFIERS: tuple[str, ...] = values(Qualifier)
VICTIMS: tuple[str, ...] = values(Victim)
TOLL_METRICS: tuple[str, ...] = values(CASUALTY_METRICS)


@dataclass(frozen=True)
class Extraction:
    """One count stated on a page, as the extractor read it."""

    metric: str
    count: int
    qualifier: str
    evidence: str
    victim: str | None = None
    actor: str | None = None
    target: str | None = None
    location: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    count_text: str | None = None
    admin1: str | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        # The extractor passes contract enums; records hold their plain strings (same JSON, same
        # Parquet, same repr as ever).
        for name in ENUM_VALUES:
            object.__setattr__(self, name, plain(getattr(self, name)))

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["period_start"] = self.period_start.isoformat() if self.period_start else None
        out["period_end"] = self.period_end.isoformat() if self.period_end else None
        return out


@dataclass(frozen=True)
class PageMeta:
    """Where a page came from: everything a record carries besides the extraction."""

    source_id: str
    source_url: str
    canonical_url: str
    title: str
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    raw_key: str
    content_sha256: str
    language: str | None = None


RECORD_FIELDS: tuple[str, ...] = FIELD_NAMES


def make_record_id(page_url: str, ex: Extraction) -> str:
    """Same page, same statement -> same id, across re-runs and re-fetches."""
    key = json.dumps(
        [
            page_url,
            ex.metric,
            ex.count,
            ex.qualifier,
            ex.victim,
            ex.location,
            ex.period_start.isoformat() if ex.period_start else None,
            ex.period_end.isoformat() if ex.period_end else None,
            " ".join(ex.evidence.split()),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass
class Record:
    """One row of the curated zone: the fields of :data:`conflict_ingest.contract.FIELDS`, in order."""

    record_id: str
    source_id: str
    source_url: str
    canonical_url: str
    title: str
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    raw_key: str
    content_sha256: str
    extractor_version: str
    metric: str
    count: int
    qualifier: str
    count_text: str | None
    victim: str | None
    actor: str | None
    target: str | None
    location: str | None
    admin1: str | None
    country: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    evidence: str
    language: str | None
    flags: list[str] = field(default_factory=list)
    released_by_reviewer: bool = False
    reviewed_by: str | None = None
    review_comment: str | None = None

    def __post_init__(self) -> None:
        for name in ENUM_VALUES:
            setattr(self, name, plain(getattr(self, name)))

    @classmethod
    def build(cls, meta: PageMeta, ex: Extraction) -> Record:
        page_url = meta.canonical_url or meta.source_url
        return cls(
            record_id=make_record_id(page_url, ex),
            source_id=meta.source_id,
            source_url=meta.source_url,
            canonical_url=meta.canonical_url,
            title=meta.title,
            published_at=meta.published_at,
            fetched_at=meta.fetched_at,
            raw_key=meta.raw_key,
            content_sha256=meta.content_sha256,
            extractor_version=EXTRACTOR_VERSION,
            metric=ex.metric,
            count=ex.count,
            qualifier=ex.qualifier,
            count_text=ex.count_text,
            victim=ex.victim,
            actor=ex.actor,
            target=ex.target,
            location=ex.location,
            admin1=ex.admin1,
            country=ex.country,
            period_start=ex.period_start,
            period_end=ex.period_end,
            evidence=ex.evidence,
            language=meta.language,
            flags=[],
            released_by_reviewer=False,
            reviewed_by=None,
            review_comment=None,
        )

    def to_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RECORD_FIELDS}
