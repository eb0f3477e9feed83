"""The reviews the "Strike counts" view shows (conflict_ingest.ui.reviews, held_records' decisions),
read from moto's S3 server over HTTP.

Review requests and the review log are written at the keys and in the shapes the review library
writes them (``plan_review``'s request, ``record_review``'s log); quarantine and curated partitions
with the pipeline's own partition writer, marked as ``validate`` and ``land`` mark reviewed rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.integration.test_ui_data import record, seed_record

from conflict_ingest.review.decisions import record_review
from conflict_ingest.review.items import review_items
from conflict_ingest.storage import keys
from conflict_ingest.storage.partitions import write_partition
from conflict_ingest.ui import held_records, open_reviews, review_form_path

DAY = dt.date(2016, 12, 1)
NOW = dt.datetime(2016, 12, 2, 3, 0, tzinfo=dt.UTC)


def pair() -> list[dict[str, Any]]:
    """The seed page's pair, held for breaking ``no_conflicting_counts``."""
    return [
        {**seed_record(n, text), "failed_expectations": ["no_conflicting_counts"]}
        for n, text in ((2709, "2,709 in November."), (27800, "In November, 27,800 weapons."))
    ]


def request(store, run_id: str, rows: list[dict[str, Any]], created: dt.datetime, hours: float = 24) -> None:
    items = review_items(rows)
    store.put_json(
        keys.review_request_key(DAY, run_id),
        {
            "dt": DAY.isoformat(),
            "run_id": run_id,
            "created_at": created.isoformat(),
            "timeout_hours": hours,
            "deadline": (created + dt.timedelta(hours=hours)).isoformat(),
            "items": [i.to_json() for i in items],
            "options": [i.option for i in items],
        },
    )


def test_open_reviews_are_the_requests_without_an_answer_before_their_deadline(store) -> None:
    rows = pair()
    request(store, "scheduled__old", rows, NOW - dt.timedelta(hours=30))  # deadline passed
    request(store, "manual__answered", rows, NOW - dt.timedelta(hours=2))
    request(store, "manual__waits:+1", rows, NOW - dt.timedelta(hours=1))
    request(store, "manual__newest", rows[:1], NOW - dt.timedelta(minutes=5))
    store.put_json(keys.review_requests_prefix(DAY) + "broken.json", {"no": "run id"})
    record_review(
        store, DAY, run_id="manual__answered", review_id="r1", items=review_items(rows), answer=None
    )

    found = open_reviews(store, DAY, now=NOW)

    assert [r.run_id for r in found] == ["manual__newest", "manual__waits:+1"]
    assert found[0].record_ids == (rows[0]["record_id"],)
    assert set(found[1].record_ids) == {r["record_id"] for r in rows}
    assert found[1].deadline == (NOW + dt.timedelta(hours=23)).isoformat()
    # the day after, every deadline has passed; another day has no reviews
    assert open_reviews(store, DAY, now=NOW + dt.timedelta(days=2)) == []
    assert open_reviews(store, DAY + dt.timedelta(days=1), now=NOW) == []


def test_the_form_path_is_the_mapped_review_tasks_required_actions() -> None:
    assert review_form_path("manual__2016-12-02T00:00:00+00:00") == (
        "dags/conflict_news_nightly/runs/manual__2016-12-02T00:00:00+00:00/tasks/"
        "review_held_records/mapped/0/required_actions"
    )
    # a run id is one path segment, whatever it holds
    assert "/runs/a%2Fb%3Fc%23d/" in review_form_path("a/b?c#d")


def test_held_records_show_who_kept_a_record_and_the_records_released_to_curated(store) -> None:
    small, large = pair()
    comment = "the monthly figure; 27,800 is year to date"
    kept = {**large, "reviewed_by": "alice", "review_comment": comment}
    write_partition(store, keys.quarantine_partition(DAY), {"rss": [kept]}, day=DAY, run_id="manual__t")
    other = record("rss", "https://a.example/2", day=DAY, metric="strikes", count=5)
    released = {
        **{k: v for k, v in small.items() if k != "failed_expectations"},
        "released_by_reviewer": True,
        "reviewed_by": "alice",
        "review_comment": comment,
    }
    write_partition(
        store, keys.curated_partition(DAY), {"rss": [other, released]}, day=DAY, run_id="manual__t"
    )

    held = held_records(store, DAY)

    assert [(r["count"], r["reviewed_by"], r["review_comment"]) for r in held.records] == [
        (27800, "alice", comment)
    ]
    assert [(r["count"], r["reviewed_by"], r["review_comment"]) for r in held.released] == [
        (2709, "alice", comment)
    ]
    assert held.released[0]["released_by_reviewer"] is True


def test_a_day_without_reviews_has_none_open_and_nothing_released(store) -> None:
    write_partition(store, keys.quarantine_partition(DAY), {"rss": pair()}, day=DAY, run_id="manual__t")
    assert open_reviews(store, DAY, now=NOW) == []
    held = held_records(store, DAY)
    assert len(held.records) == 2 and all(r["reviewed_by"] is None for r in held.records)
    assert held.released == []
