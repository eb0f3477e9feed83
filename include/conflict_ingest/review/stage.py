"""The review of a run's held records, as the nightly DAG's tasks call it (no Airflow here).

- :func:`plan_review` (after ``land``): the run's held records that no stored decision covers, as
  review items; writes the review request (``reviews/strike_counts/dt=DAY/requests/RUN.json``) and
  returns what the human-in-the-loop task needs (subject, body, options), or nothing when no record
  awaits a decision (or reviews are off: timeout 0).
- :func:`apply_review` (after the review, whatever happened to it): commits the answer as decisions
  (:mod:`conflict_ingest.review.decisions`), then lands the day again (curated: the released records,
  flagged; quarantine: the others, marked reviewed). No answer commits no decision: everything stays
  held, and the log records that the review went unanswered.
- :func:`review_status` (``gate``): which of the run's held records have a stored decision.

Stored decisions are also applied whenever ``validate`` and ``land`` run for the day (a re-run, a
backfill): ``validate`` leaves released records out of quarantine and marks kept ones, ``land`` lands
released ones (:func:`held_keys`, :func:`conflict_ingest.review.decisions.released_rows`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.review.decisions import (
    NO_ANSWER,
    load_decisions,
    load_review_log,
    record_review,
)
from conflict_ingest.review.items import (
    MAX_ITEMS,
    ReviewItem,
    body_markdown,
    interpret_answer,
    options,
    review_items,
)
from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: The comment field of the review form (``params_input["comment"]``).
COMMENT_PARAM = "comment"


def held_keys(store: ObjectStore, run: RunContext) -> dict[str, list[str]]:
    """The run's ``validated/held/`` objects by source, in key order."""
    out: dict[str, list[str]] = {}
    for key in sorted(store.list_keys(keys.validated_prefix(run.work, keys.HELD))):
        out.setdefault(keys.batch_source_id(key), []).append(key)
    return out


def held_rows(store: ObjectStore, run: RunContext) -> Iterator[dict[str, Any]]:
    """The run's held records (each batch's ``validated/held/`` object), one object at a time."""
    for object_keys in held_keys(store, run).values():
        for key in object_keys:
            yield from store.get_jsonl_gz(key)


def subject(day: dt.date, n: int) -> str:
    return f"Review {n} held strike-count record(s) of {day.isoformat()}"


def plan_review(
    store: ObjectStore, run: RunContext, *, timeout_hours: float, now: dt.datetime | None = None
) -> dict[str, Any]:
    """What to ask a reviewer tonight: ``{"items": n, "request_key", "hitl": [kwargs]}``, where
    ``hitl`` is ``[]`` (nothing to review: no held record lacks a decision, or ``timeout_hours`` is
    0, reviews off) or one mapping of ``subject``, ``body`` and ``options`` for the HITL task."""
    decisions = load_decisions(store, run.day)
    pending = [item for item in review_items(held_rows(store, run)) if item.record_id not in decisions]
    request_key = keys.review_request_key(run.day, run.run_id)
    if not pending or timeout_hours <= 0:
        logger.info(
            "%s: %d held record(s) await a decision; %s",
            run.day,
            len(pending),
            "reviews are off (timeout 0)" if pending else "nothing to review",
        )
        if store.exists(request_key):  # a retry of this run after its records were decided
            store.delete([request_key])
        return {"items": len(pending), "request_key": None, "hitl": [], "reviews_off": timeout_hours <= 0}
    offered = pending[:MAX_ITEMS]
    if len(pending) > MAX_ITEMS:
        logger.warning(
            "%d held records: the first %d are reviewed tonight, the rest stay held", len(pending), MAX_ITEMS
        )
    started = now or dt.datetime.now(dt.UTC)
    deadline = (started + dt.timedelta(hours=timeout_hours)).replace(microsecond=0)
    request = {
        "dt": run.day.isoformat(),
        "run_id": run.run_id,
        "created_at": started.isoformat(),
        "timeout_hours": timeout_hours,
        "deadline": deadline.isoformat(),
        "items": [item.to_json() for item in offered],
        "options": options(offered),
    }
    store.put_json(request_key, request)
    kwargs = {
        "subject": subject(run.day, len(offered)),
        "body": body_markdown(offered, day=run.day, deadline=deadline.isoformat()),
        "options": request["options"],
    }
    return {
        "items": len(offered),
        "request_key": request_key,
        "hitl": [kwargs],
        "deadline": request["deadline"],
    }


def review_request(store: ObjectStore, run: RunContext) -> dict[str, Any] | None:
    """The review this run asked for (what :func:`plan_review` wrote), or None."""
    key = keys.review_request_key(run.day, run.run_id)
    return store.get_json(key) if store.exists(key) else None


def apply_review(
    store: ObjectStore, run: RunContext, response: Mapping[str, Any] | None, *, review_id: str | None = None
) -> dict[str, Any]:
    """Commit the reviewer's answer (``response``: the HITL task's result; None when the review got
    no answer) and land the day again with the decisions. Returns counts for XCom."""
    request = review_request(store, run)
    if request is None:
        return {"status": "not_needed", "released": 0, "kept": 0}
    items = [ReviewItem.from_json(d) for d in request["items"]]
    answer = interpret_answer(items, response) if response else None
    record_review(
        store,
        run.day,
        run_id=run.run_id,
        review_id=review_id or f"{run.run_id}:{request.get('created_at')}",
        items=items,
        answer=answer,
    )
    if answer is None:
        logger.warning("%s: the review got no answer; %d record(s) stay held", run.day, len(items))
        return {"status": NO_ANSWER, "released": 0, "kept": 0, "held": len(items)}
    land_with_decisions(store, run)
    return {
        "status": "answered",
        "released": len(answer.released),
        "kept": len(answer.kept),
        "reviewed_by": answer.reviewed_by,
    }


def land_with_decisions(store: ObjectStore, run: RunContext) -> None:
    """Land the run's records again with the day's stored decisions: curated first (released records
    join it), then quarantine (released ones leave it, kept ones are marked): a record is never in
    neither."""
    from conflict_ingest.pipeline.land import land_stage
    from conflict_ingest.pipeline.validate import write_quarantine

    land_stage(store, run)
    sources = store.get_json(keys.validated_sources_key(run.work))
    write_quarantine(store, run, quarantine_groups(store, run, sources["complete"]))


def quarantine_groups(store: ObjectStore, run: RunContext, complete: list[str]) -> dict[str, Any]:
    """The quarantine partition's groups (one per completed source) with the day's decisions applied."""
    from conflict_ingest.review.decisions import quarantine_rows

    decisions = load_decisions(store, run.day)
    by_source = held_keys(store, run)

    def rows_of(object_keys: list[str]) -> Any:
        def rows() -> Iterator[dict[str, Any]]:
            for key in object_keys:
                yield from quarantine_rows(store.get_jsonl_gz(key), decisions)

        return rows

    return {sid: rows_of(by_source.get(sid, [])) for sid in complete}


def review_status(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """The run's held records against the day's stored decisions: ``held``, ``released``, ``kept``,
    ``undecided`` (record ids) and ``unanswered`` (this run's review got no answer)."""
    decisions = load_decisions(store, run.day)
    held = sorted({str(row["record_id"]) for row in held_rows(store, run) if row.get("record_id")})
    released = [rid for rid in held if rid in decisions and decisions[rid].released]
    kept = [rid for rid in held if rid in decisions and not decisions[rid].released]
    undecided = [rid for rid in held if rid not in decisions]
    unanswered = any(
        entry.get("run_id") == run.run_id and entry.get("outcome") == NO_ANSWER
        for entry in load_review_log(store, run.day)
    )
    return {
        "held": len(held),
        "released": released,
        "kept": kept,
        "undecided": undecided,
        "unanswered": unanswered,
        "decisions_key": keys.review_decisions_key(run.day),
    }


def review_for_alert(store: ObjectStore, run: RunContext, url: str | None) -> dict[str, Any] | None:
    """The review this run opened, as the alert names it (``items``, ``subject``, ``url``,
    ``deadline``), or None when it opened none."""
    request = review_request(store, run)
    if not request or not request.get("items"):
        return None
    n = len(request["items"])
    return {"items": n, "subject": subject(run.day, n), "url": url, "deadline": request.get("deadline")}
