"""The review of held records (conflict_ingest.review), against moto's S3 server over HTTP: decisions
stored under the bucket, applied to curated and quarantine, applied again when the day is re-run,
safe when reviews of one day overlap; no answer keeps everything held; parts landed before reviews
existed still read."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from tests.helpers import rewrite_as_older_release, strike_rows

from conflict_ingest.alerts import build_alert, needs_alert
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.gate import ValidationGateError, gate
from conflict_ingest.pipeline.land import land_stage
from conflict_ingest.pipeline.validate import validate_stage
from conflict_ingest.review.decisions import load_decisions, load_review_log, record_review
from conflict_ingest.review.items import (
    KEEP_ALL,
    Answer,
    ReviewAnswerError,
    body_markdown,
    interpret_answer,
    options,
    review_items,
)
from conflict_ingest.review.stage import apply_review, plan_review, review_for_alert, review_status
from conflict_ingest.storage.keys import (
    curated_partition,
    quarantine_partition,
    review_decisions_key,
    review_request_key,
)
from conflict_ingest.storage.partitions import read_partition, write_partition
from conflict_ingest.storage.store import ObjectStore

DAY = dt.date(2016, 12, 1)
PAIR = (2709, 27800)


def _night(store: ObjectStore, run_id: str) -> tuple[RunContext, dict[str, Any]]:
    """One source, one page stating a clean count on its own and, on another page, two different
    counts of the same thing for the same day (the pair ``no_conflicting_counts`` holds back);
    validated and landed as the nightly DAG does."""
    run = RunContext(day=DAY, run_id=run_id)
    (clean,) = strike_rows("src", [5], DAY)
    clean["source_url"] = clean["canonical_url"] = "https://src.example/clean"
    pair = strike_rows("src", list(PAIR), DAY)
    batch = f"{run.work}batches/src-00000.json"
    store.put_json(f"{run.work}discovered/src.json", {"source_id": "src", "batches": [batch]})
    store.put_jsonl_gz(f"{run.work}extracted/src-00000.jsonl.gz", [clean, *pair])
    summary = validate_stage(store, run, ["src"])
    land_stage(store, run)
    return run, summary


def _by_count(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["count"]: r for r in rows}


def _answer(request: dict[str, Any], release: list[int], comment: str = "checked the page") -> dict[str, Any]:
    """An HITL response as the HITL task returns it: the options chosen, the form's input, who, when."""
    chosen = [o for o in request["options"] if any(f"Release {n:,} " in o for n in release)] or [KEEP_ALL]
    return {
        "chosen_options": chosen,
        "params_input": {"comment": comment},
        "responded_by_user": {"id": "alice", "name": "Alice Analyst"},
        "responded_at": dt.datetime(2016, 12, 2, 9, 30, tzinfo=dt.UTC),
    }


# --- items, options, answers (pure) --------------------------------------------------------------


def test_held_records_become_review_items_with_one_option_each_and_an_inert_body() -> None:
    rows = strike_rows("src", list(PAIR), DAY)
    rows[0]["evidence"] = "2,709 strikes <script>alert(1)</script> | [link](javascript:x)"
    rows[0]["failed_expectations"] = ["no_conflicting_counts"]
    rows[1]["failed_expectations"] = ["no_conflicting_counts"]
    items = review_items([*rows, rows[0]])  # a record listed twice is one item
    assert sorted(i.count for i in items) == sorted(PAIR)
    offered = options(items)
    assert offered[-1] == KEEP_ALL and len(offered) == 3
    assert any(o.startswith("Release 2,709 strikes, 2016-12-01 [") for o in offered)
    body = body_markdown(items, day=DAY, deadline="2016-12-03T00:00:00+00:00")
    for item in items:
        assert item.record_id in body
    assert "no\\_conflicting\\_counts" in body
    assert "<script>" not in body and "\\<script\\>" in body
    assert "](javascript" not in body and " | " not in body


def test_a_record_with_a_null_required_field_is_listed_but_cannot_be_released() -> None:
    (row,) = strike_rows("src", [7], DAY)
    row["title"] = None
    (item,) = review_items([row])
    assert not item.releasable
    assert options([item]) == [KEEP_ALL]
    assert "cannot be released" in body_markdown([item], day=DAY)


def test_an_answer_releases_the_chosen_records_and_keeps_the_rest() -> None:
    items = review_items(strike_rows("src", list(PAIR), DAY))
    small = next(i for i in items if i.count == 2709)
    answer = interpret_answer(
        items,
        {
            "chosen_options": [small.option],
            "params_input": {"comment": "  the November figure\n"},
            "responded_by_user": {"id": "7", "name": "Alice"},
            "responded_at": dt.datetime(2016, 12, 2, 9, tzinfo=dt.UTC),
        },
    )
    assert answer.released == (small.record_id,)
    assert answer.kept == tuple(i.record_id for i in items if i is not small)
    assert (answer.reviewed_by, answer.reviewer_id, answer.comment) == ("Alice", "7", "the November figure")
    assert answer.decided_at == "2016-12-02T09:00:00+00:00"
    none = interpret_answer(
        items, {"chosen_options": [KEEP_ALL], "responded_by_user": {"id": "b", "name": "B"}}
    )
    assert none.released == () and len(none.kept) == 2 and none.comment is None
    with pytest.raises(ReviewAnswerError, match="did not offer"):
        interpret_answer(items, {"chosen_options": ["Release everything"]})


# --- decisions stored and applied (moto) ------------------------------------------------------------


def test_a_review_releases_one_record_to_curated_and_keeps_the_other_marked_in_quarantine(store) -> None:
    run, summary = _night(store, "scheduled__first")
    assert summary["failed"] == 2 and "reviewed" not in summary  # nobody has reviewed the day yet
    planned = plan_review(store, run, timeout_hours=24, now=dt.datetime(2016, 12, 2, tzinfo=dt.UTC))
    (hitl,) = planned["hitl"]
    assert hitl["subject"] == "Review 2 held strike-count record(s) of 2016-12-01"
    assert "2016-12-03T00:00:00+00:00" in hitl["body"]
    request = store.get_json(review_request_key(DAY, run.run_id))
    assert request["options"] == hitl["options"]
    # the gate fails while the review is open
    with pytest.raises(ValidationGateError, match="no reviewer decided on 2 of 2"):
        gate(summary, review_status(store, run))

    applied = apply_review(store, run, _answer(request, [2709]))
    assert (applied["released"], applied["kept"]) == (1, 1)

    curated = _by_count(read_partition(store, curated_partition(DAY)))
    assert sorted(curated) == [5, 2709]
    assert curated[2709]["released_by_reviewer"] is True
    assert (curated[2709]["reviewed_by"], curated[2709]["review_comment"]) == (
        "Alice Analyst",
        "checked the page",
    )
    assert curated[5]["released_by_reviewer"] is False and curated[5]["reviewed_by"] is None
    held = _by_count(read_partition(store, quarantine_partition(DAY)))
    assert sorted(held) == [27800]
    assert held[27800]["reviewed_by"] == "Alice Analyst" and held[27800]["released_by_reviewer"] is False
    assert held[27800]["failed_expectations"] == ["no_conflicting_counts"]
    # the decisions are data under the bucket
    decisions = store.get_json(review_decisions_key(DAY))["decisions"]
    assert {d["decision"] for d in decisions.values()} == {"released", "kept"}
    assert decisions[curated[2709]["record_id"]]["failed_expectations"] == ["no_conflicting_counts"]
    status = review_status(store, run)
    assert status["undecided"] == [] and status["released"] == [curated[2709]["record_id"]]
    assert gate(summary, status) is summary  # a reviewed night passes


def test_re_running_a_reviewed_day_applies_the_stored_decisions_again(store) -> None:
    first, _ = _night(store, "scheduled__first")
    request = (
        store.get_json(review_request_key(DAY, first.run_id))
        if plan_review(store, first, timeout_hours=24)["hitl"]
        else {}
    )
    apply_review(store, first, _answer(request, [2709], comment="restated"))
    released_id = _by_count(read_partition(store, curated_partition(DAY)))[2709]["record_id"]

    again, summary = _night(store, "backfill__again")  # validate and land the day again
    curated = _by_count(read_partition(store, curated_partition(DAY)))
    assert sorted(curated) == [5, 2709]
    assert curated[2709]["record_id"] == released_id  # the same statement, the same id
    assert curated[2709]["released_by_reviewer"] is True and curated[2709]["review_comment"] == "restated"
    held = _by_count(read_partition(store, quarantine_partition(DAY)))
    assert sorted(held) == [27800] and held[27800]["reviewed_by"] == "Alice Analyst"
    # nothing left to review: no review is opened, and the gate passes on the stored decisions
    assert plan_review(store, again, timeout_hours=24)["hitl"] == []
    assert not store.exists(review_request_key(DAY, again.run_id))
    assert gate(summary, review_status(store, again)) is summary
    # the summary says which held records were decided: the alert says so, and is not sent for them alone
    assert summary["failed"] == 2
    assert summary["reviewed"] == {"released": 1, "kept": 1, "reviewers": ["Alice Analyst"]}
    alert = build_alert(summary, dag_id="d", run_id=again.run_id, day=DAY, bucket="b")
    assert "2 records held back, all decided by a reviewer" in alert.subject and "FAILED" not in alert.subject
    # its only other news is a warning on every record (these rows name no actor): without it, no alert
    assert needs_alert(summary) and not needs_alert({**summary, "flags": {}})
    stored = store.get_json(summary["summary_key"])
    assert stored["reviewed"] == summary["reviewed"]


def test_no_answer_keeps_everything_held_and_the_run_fails(store) -> None:
    run, summary = _night(store, "scheduled__unanswered")
    assert plan_review(store, run, timeout_hours=0.01)["hitl"]
    assert apply_review(store, run, None)["status"] == "no_answer"
    assert sorted(_by_count(read_partition(store, curated_partition(DAY)))) == [5]
    held = read_partition(store, quarantine_partition(DAY))
    assert sorted(r["count"] for r in held) == sorted(PAIR)
    assert all(r["reviewed_by"] is None for r in held)
    assert load_decisions(store, DAY) == {}
    (entry,) = load_review_log(store, DAY)
    assert entry["outcome"] == "no_answer" and entry["run_id"] == run.run_id
    with pytest.raises(ValidationGateError, match="the review got no answer in time on 2 of 2"):
        gate(summary, review_status(store, run))


def test_reviews_off_open_no_review_and_the_gate_fails_as_before(store) -> None:
    run, summary = _night(store, "scheduled__off")
    planned = plan_review(store, run, timeout_hours=0)
    assert planned["hitl"] == [] and planned["items"] == 2 and planned["reviews_off"]
    assert review_for_alert(store, run, "http://x") is None
    with pytest.raises(ValidationGateError, match="2 record\\(s\\) held in quarantine"):
        gate(summary, review_status(store, run))


def test_the_alert_names_and_links_the_open_review(store) -> None:
    run, _ = _night(store, "scheduled__alert")
    plan_review(store, run, timeout_hours=24)
    review = review_for_alert(store, run, "http://airflow.example/dags/d/runs/r/tasks/t/required_actions")
    assert review is not None and review["items"] == 2 and review["url"].endswith("required_actions")
    assert review["subject"].startswith("Review 2 held")


def test_overlapping_reviews_of_one_day_lose_no_decision(store) -> None:
    items = review_items(strike_rows("src", list(range(1, 9)), DAY))
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def review(n: int) -> None:
        item = items[n]
        answer = Answer(
            released=(item.record_id,) if n % 2 else (),
            kept=() if n % 2 else (item.record_id,),
            reviewed_by=f"reviewer-{n}",
            reviewer_id=str(n),
            comment=None,
            decided_at=f"2016-12-02T09:00:0{n}+00:00",
        )
        barrier.wait()
        try:
            record_review(store, DAY, run_id=f"run-{n}", review_id=f"run-{n}:x", items=[item], answer=answer)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=review, args=(n,)) for n in range(len(items))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    decisions = load_decisions(store, DAY)
    assert set(decisions) == {i.record_id for i in items}
    for n, item in enumerate(items):
        assert decisions[item.record_id].released is bool(n % 2)
        assert decisions[item.record_id].reviewed_by == f"reviewer-{n}"
    assert len(load_review_log(store, DAY)) == len(items)
    # the same review committed twice counts once
    record_review(store, DAY, run_id="run-0", review_id="run-0:x", items=[items[0]], answer=None)
    assert len(load_review_log(store, DAY)) == len(items)


def test_a_later_decision_on_a_record_replaces_an_earlier_one(store) -> None:
    (item,) = review_items(strike_rows("src", [9], DAY))

    def decide(released: bool, at: str, review_id: str) -> None:
        answer = Answer(
            released=(item.record_id,) if released else (),
            kept=() if released else (item.record_id,),
            reviewed_by=review_id,
            reviewer_id=None,
            comment=None,
            decided_at=at,
        )
        record_review(store, DAY, run_id=review_id, review_id=review_id, items=[item], answer=answer)

    decide(True, "2016-12-02T10:00:00+00:00", "later")
    decide(False, "2016-12-02T09:00:00+00:00", "earlier-but-committed-last")
    assert load_decisions(store, DAY)[item.record_id].reviewed_by == "later"
    decide(False, "2016-12-03T09:00:00+00:00", "next-day")
    assert load_decisions(store, DAY)[item.record_id].released is False


def test_parts_landed_before_reviews_existed_read_as_not_released(store) -> None:
    prefix = curated_partition(DAY)
    (row,) = strike_rows("src", [5], DAY)
    manifest = write_partition(store, prefix, {"src": [row]}, day=DAY, run_id="manual__old")
    rewrite_as_older_release(
        store, prefix, manifest, ["released_by_reviewer", "reviewed_by", "review_comment"]
    )

    (read,) = read_partition(store, prefix)
    assert read["released_by_reviewer"] is False
    assert read["reviewed_by"] is None and read["review_comment"] is None
    assert read["record_id"] == row["record_id"] and read["count"] == 5


def test_the_alert_mail_names_the_review_its_link_and_deadline() -> None:
    from conflict_ingest.alerts import build_alert

    summary = {"failed": 2, "failed_expectations": {"no_conflicting_counts": 2}, "records_by_source": {}}
    url = "http://127.0.0.1:8080/dags/d/runs/r/tasks/review_held_records/mapped/0/required_actions"
    review = {
        "items": 2,
        "subject": "Review 2 held strike-count record(s) of 2016-12-01",
        "url": url,
        "deadline": "2016-12-03T00:00:00+00:00",
    }
    body = build_alert(summary, dag_id="d", run_id="r", day=DAY, bucket="b", review=review).body
    assert "Review 2 held strike-count record(s) of 2016-12-01" in body and url in body
    assert "no answer by 2016-12-03T00:00:00+00:00 keeps them all held" in body
    without = build_alert(summary, dag_id="d", run_id="r", day=DAY, bucket="b").body
    assert "Review" not in without and "required_actions" not in without
