"""The reviews of a day's held records, as the "Strike counts" view shows them (no Airflow here).

The nightly DAG's ``plan_review`` writes one review request per run that asks a person
(``reviews/strike_counts/dt=DAY/requests/RUN.json``: the run id, the deadline and the records
offered), and ``apply_review`` logs each answered or unanswered review in the day's
``decisions.json`` (:mod:`conflict_ingest.review.decisions`). A review is *open* (waiting for a
person) when its request exists, the log has no entry of its run and its deadline has not passed.

:func:`open_reviews` lists them, newest first; :func:`review_form_path` is the path of Airflow's own
form for one of them (the one mapped instance, index 0, of the ``review_held_records`` task).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from conflict_ingest.review.decisions import load_review_log
from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: The nightly DAG and its human-in-the-loop task (``dags/conflict_news_nightly.py``).
NIGHTLY_DAG_ID = "conflict_news_nightly"
REVIEW_TASK_ID = "review_held_records"


@dataclass(frozen=True)
class OpenReview:
    """A review that waits for a person: the run that asked, when it gives up, the records offered."""

    day: dt.date
    run_id: str
    created_at: str | None
    deadline: str | None
    record_ids: tuple[str, ...]


def _when(raw: object) -> dt.datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def open_reviews(store: ObjectStore, day: dt.date, *, now: dt.datetime | None = None) -> list[OpenReview]:
    """The reviews of ``day``'s held records that still wait for an answer, newest first.

    A request the log has answered (or given up on), or whose deadline has passed, is not open; an
    unreadable request is skipped with a warning (it cannot be linked to a run)."""
    moment = now or dt.datetime.now(dt.UTC)
    closed = {str(entry.get("run_id")) for entry in load_review_log(store, day)}
    found: list[OpenReview] = []
    for key in sorted(store.list_keys(keys.review_requests_prefix(day))):
        request: Any = store.get_json_or_none(key)
        if not isinstance(request, dict) or not isinstance(request.get("run_id"), str):
            logger.warning("review request %s has no run id; not shown", key)
            continue
        run_id = request["run_id"]
        deadline = _when(request.get("deadline"))
        if run_id in closed or (deadline is not None and deadline <= moment):
            continue
        items = request.get("items") or []
        found.append(
            OpenReview(
                day=day,
                run_id=run_id,
                created_at=request.get("created_at"),
                deadline=request.get("deadline"),
                record_ids=tuple(str(i.get("record_id")) for i in items if isinstance(i, dict)),
            )
        )
    found.sort(key=lambda r: r.created_at or "", reverse=True)
    return found


def review_form_path(run_id: str, *, dag_id: str = NIGHTLY_DAG_ID, task_id: str = REVIEW_TASK_ID) -> str:
    """Airflow's form of one run's review, relative to the UI's base URL:
    ``dags/DAG/runs/RUN/tasks/TASK/mapped/0/required_actions`` (the path the 3.3 UI itself links a
    mapped task instance's required action to; ``HITLOperator.generate_link_to_ui``'s
    ``...?map_index=0`` finds no mapped instance there)."""
    return (
        f"dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe=':+@')}/tasks/"
        f"{quote(task_id, safe='')}/mapped/0/required_actions"
    )
