"""The nightly DAG's review of held records, run in-process by ``dag.test()`` against moto's S3 server
and the sample site.

``dag.test()`` parks a human-in-the-loop task in ``awaiting_input`` and waits for an answer from an
API server sharing its database (it runs no scheduler, so no timeout ends the wait): answering a
review is tested against a real Airflow (tests/e2e/test_review_flow.py). In-process, with reviews on, we
check the rest of the wiring: a night whose held records all carry a stored decision opens no review,
lands the released record flagged, keeps the other marked, and ends green.
"""

from __future__ import annotations

import datetime as dt

import pytest
from tests.helpers import run_nightly, task_states

from conflict_ingest.dev.stack import smtp_connection
from conflict_ingest.review.decisions import record_review
from conflict_ingest.review.items import Answer, review_items
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition
from conflict_ingest.storage.store import ObjectStore

pytestmark = pytest.mark.integration

DAY = dt.date(2016, 12, 1)
PAIR = {2709, 27800}


def _seed(rows: list[dict]) -> dict[int, dict]:
    return {r["count"]: r for r in rows if r["count"] in PAIR and "record-level" in r["source_url"]}


def test_a_reviewed_day_re_run_with_reviews_on_opens_no_review_and_ends_green(
    airflow_env: dict[str, str], store: ObjectStore, mail_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(mail_server.port))
    monkeypatch.setenv("CONFLICT_INGEST_ALERT_TO", "analysts@example.test")
    # reviews off (the tests' default): the pair is held and the gate fails, as before reviews
    first = run_nightly(DAY)
    states = task_states(first)
    assert first.state == "failed" and states["gate"] == {"failed"}
    assert states["plan_review"] == {"success"} and states["review_held_records"] == {"skipped"}
    held = _seed(read_partition(store, quarantine_partition(DAY)))
    assert set(held) == PAIR

    # a reviewer's decisions, stored as the apply_review task stores them
    items = review_items(held.values())
    released = next(i.record_id for i in items if i.count == 2709)
    answer = Answer(
        released=(released,),
        kept=tuple(i.record_id for i in items if i.record_id != released),
        reviewed_by="Alice Analyst",
        reviewer_id="alice",
        comment="the November figure",
        decided_at="2016-12-02T09:00:00+00:00",
    )
    record_review(store, DAY, run_id=first.run_id, review_id="by-hand", items=items, answer=answer)

    # reviews on: the re-run meets the stored decisions, asks nothing, and ends green
    monkeypatch.setenv("CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS", "24")
    second = run_nightly(DAY)
    states = task_states(second)
    assert second.state == "success", states
    assert states["review_held_records"] == {"skipped"}
    assert states["apply_review"] == {"skipped"} and states["gate"] == {"success"}
    assert states["alert"] == {"success"}  # records were held (and decided): the alert still says so
    curated = _seed(read_partition(store, curated_partition(DAY)))
    assert set(curated) == {2709} and curated[2709]["record_id"] == released
    assert curated[2709]["released_by_reviewer"] is True
    assert (curated[2709]["reviewed_by"], curated[2709]["review_comment"]) == (
        "Alice Analyst",
        "the November figure",
    )
    held = _seed(read_partition(store, quarantine_partition(DAY)))
    assert set(held) == {27800} and held[27800]["reviewed_by"] == "Alice Analyst"
