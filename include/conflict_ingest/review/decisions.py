"""Reviewers' decisions as data under the bucket, and how they mark records.

One object per day, ``reviews/strike_counts/dt=DAY/decisions.json``
(:func:`~conflict_ingest.storage.keys.review_decisions_key`):

```
{"dt": "2016-12-01",
 "decisions": {RECORD_ID: {"record_id", "decision": "released" | "kept", "reviewed_by", "reviewer_id",
                           "comment", "decided_at", "run_id", "source_id", "metric", "count",
                           "period_start", "period_end", "failed_expectations"}},
 "reviews": [{"review_id", "run_id", "outcome": "answered" | "no_answer", "at", "reviewed_by",
              "released": [...], "kept": [...]}],            (the last REVIEW_LOG_LENGTH)
 "updated_at": ...}
```

It is written like a partition's manifest (:mod:`conflict_ingest.storage.partitions`): read with its
ETag, merged, written with an S3 conditional PUT (``If-Match``, or ``If-None-Match: *`` for the first
review of a day), re-read and re-merged on ``412``/``409``, so two runs of one day answering at once
never lose a decision. Merging is per ``record_id``: the later ``decided_at`` wins (a later review
of the same record replaces the earlier); a review already in the log is not applied twice.

Decisions match records by ``record_id``, which is stable for the same statement on the same page
(:func:`conflict_ingest.records.make_record_id`), so a re-run or backfill of the day meets them again.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.review.items import Answer, ReviewItem
from conflict_ingest.storage.keys import review_decisions_key
from conflict_ingest.storage.store import ConcurrentUpdate, ObjectStore

logger = logging.getLogger(__name__)

RELEASED = "released"
KEPT = "kept"
ANSWERED = "answered"
NO_ANSWER = "no_answer"
#: reviews remembered in the day's log
REVIEW_LOG_LENGTH = 64
#: commit attempts of one review before it gives up (each re-reads and re-merges)
COMMIT_ATTEMPTS = 12
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 2.0
_JITTER = random.SystemRandom()


class ReviewConflict(ConflictIngestError, RuntimeError):
    """A review that could not be committed (the day's decisions kept changing)."""


class DamagedDecisions(ConflictIngestError, ValueError):
    """The day's decisions object is not what this module writes: refused, never overwritten."""


@dataclass(frozen=True)
class Decision:
    """One reviewer's decision on one held record."""

    record_id: str
    released: bool
    reviewed_by: str
    comment: str | None
    decided_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            record_id=str(data["record_id"]),
            released=data.get("decision") == RELEASED,
            reviewed_by=str(data.get("reviewed_by") or ""),
            comment=data.get("comment"),
            decided_at=str(data.get("decided_at") or ""),
        )


def _read(store: ObjectStore, key: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data, etag = store.get_json_with_etag(key)
    except ValueError as exc:
        raise DamagedDecisions(f"{key} is not valid JSON: refusing to read or replace it") from exc
    if data is not None and not (isinstance(data, dict) and isinstance(data.get("decisions"), dict)):
        raise DamagedDecisions(f"{key} holds no decisions map: refusing to read or replace it")
    return data, etag


def load_decisions(store: ObjectStore, day: dt.date) -> dict[str, Decision]:
    """The day's decisions by ``record_id`` (empty when no one reviewed the day)."""
    data, _ = _read(store, review_decisions_key(day))
    return {rid: Decision.from_json(d) for rid, d in ((data or {}).get("decisions") or {}).items()}


def decided(rows: Iterable[Mapping[str, Any]], decisions: Mapping[str, Decision]) -> dict[str, Any]:
    """How many of these held rows a reviewer already decided (a re-run or backfill of a reviewed day):
    ``released``, ``kept`` and the ``reviewers``' names."""
    released = kept = 0
    names: set[str] = set()
    for row in rows:
        decision = decisions.get(str(row.get("record_id")))
        if decision is None:
            continue
        released += decision.released
        kept += not decision.released
        names.add(decision.reviewed_by)
    return {"released": released, "kept": kept, "reviewers": sorted(names)}


def load_review_log(store: ObjectStore, day: dt.date) -> list[dict[str, Any]]:
    """The day's reviews, oldest first (answers and reviews that got no answer)."""
    data, _ = _read(store, review_decisions_key(day))
    return list((data or {}).get("reviews") or [])


def _decision_json(item: ReviewItem, released: bool, answer: Answer, run_id: str) -> dict[str, Any]:
    return {
        "record_id": item.record_id,
        "decision": RELEASED if released else KEPT,
        "reviewed_by": answer.reviewed_by,
        "reviewer_id": answer.reviewer_id,
        "comment": answer.comment,
        "decided_at": answer.decided_at,
        "run_id": run_id,
        "source_id": item.source_id,
        "metric": item.metric,
        "count": item.count,
        "period_start": item.period_start,
        "period_end": item.period_end,
        "failed_expectations": list(item.failed_expectations),
    }


def record_review(
    store: ObjectStore,
    day: dt.date,
    *,
    run_id: str,
    review_id: str,
    items: Iterable[ReviewItem],
    answer: Answer | None,
) -> dict[str, Any]:
    """Commit one review of the day's held records (``answer`` None: it got no answer, nothing is
    decided, the log says so). Safe beside concurrent reviews of the same day; idempotent per
    ``review_id``. Returns the committed object."""
    key = review_decisions_key(day)
    listed = list(items)
    for attempt in range(COMMIT_ATTEMPTS):
        data, etag = _read(store, key)
        current = dict(data or {"dt": day.isoformat(), "decisions": {}, "reviews": []})
        log = list(current.get("reviews") or [])
        if any(entry.get("review_id") == review_id for entry in log):
            logger.info("review %s of %s already committed", review_id, day)
            return current
        decisions = dict(current.get("decisions") or {})
        entry: dict[str, Any] = {
            "review_id": review_id,
            "run_id": run_id,
            "at": dt.datetime.now(dt.UTC).isoformat(),
            "outcome": NO_ANSWER if answer is None else ANSWERED,
            "records": [item.record_id for item in listed],
        }
        if answer is not None:
            released = set(answer.released)
            for item in listed:
                new = _decision_json(item, item.record_id in released, answer, run_id)
                old = decisions.get(item.record_id)
                if old is None or str(old.get("decided_at") or "") <= answer.decided_at:
                    decisions[item.record_id] = new
            entry.update(
                reviewed_by=answer.reviewed_by,
                released=sorted(released),
                kept=sorted(answer.kept),
                comment=answer.comment,
            )
        current.update(
            decisions=decisions,
            reviews=[*log, entry][-REVIEW_LOG_LENGTH:],
            updated_at=dt.datetime.now(dt.UTC).isoformat(),
        )
        try:
            store.put_json_if(key, current, etag=etag)
        except ConcurrentUpdate as exc:
            delay = _JITTER.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))
            logger.info("%s; re-merging the review (attempt %d, backoff %.3f s)", exc, attempt + 1, delay)
            time.sleep(delay)
            continue
        logger.info(
            "review %s of %s committed: %s",
            review_id,
            day,
            entry["outcome"]
            if answer is None
            else f"{len(answer.released)} released, {len(answer.kept)} kept by {answer.reviewed_by}",
        )
        return current
    raise ReviewConflict(f"{key}: still changing after {COMMIT_ATTEMPTS} commit attempts")


# --- marking records -------------------------------------------------------------------------------


def mark(row: Mapping[str, Any], decision: Decision) -> dict[str, Any]:
    """A held row with its reviewer's decision: ``released_by_reviewer``, ``reviewed_by``, ``review_comment``."""
    return {
        **row,
        "released_by_reviewer": decision.released,
        "reviewed_by": decision.reviewed_by,
        "review_comment": decision.comment,
    }


def released_rows(
    rows: Iterable[Mapping[str, Any]], decisions: Mapping[str, Decision]
) -> Iterator[dict[str, Any]]:
    """The held rows a reviewer released, marked, for the curated zone (``failed_expectations`` dropped:
    curated has no such column; the decision keeps them)."""
    for row in rows:
        decision = decisions.get(str(row.get("record_id")))
        if decision is not None and decision.released:
            marked = mark(row, decision)
            marked.pop("failed_expectations", None)
            yield marked


def quarantine_rows(
    rows: Iterable[Mapping[str, Any]], decisions: Mapping[str, Decision]
) -> Iterator[dict[str, Any]]:
    """The held rows that stay in quarantine: all but the released ones, those a reviewer kept marked
    reviewed (``reviewed_by`` set), the others as they were."""
    for row in rows:
        decision = decisions.get(str(row.get("record_id")))
        if decision is None:
            yield dict(row)
        elif not decision.released:
            yield mark(row, decision)
