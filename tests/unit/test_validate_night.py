"""The night's plan (record owners, units) and outcome fold, alone: no S3, no GX."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conflict_ingest.validate.config import TrailingHistory
from conflict_ingest.validate.night import NightOutcome, NightPlan


def row(record_id: str, source: str = "wire", url: str = "https://wire.example/a") -> dict[str, Any]:
    return {"record_id": record_id, "source_id": source, "canonical_url": url, "source_url": url}


def test_the_first_batch_in_order_owns_a_record_id_and_later_copies_are_counted_once() -> None:
    plan = NightPlan()
    assert plan.add_batch("a-0", [row("r1", "a", "https://x/1"), row("r1", "a", "https://x/1")]) == 1
    assert plan.add_batch("b-0", [row("r1", "b", "https://y/1"), row("r2", "b", "https://y/2")]) == 1
    assert plan.owner == {"r1": 0, "r2": 1}
    assert plan.records_by_source == {"a": 1, "b": 1}
    assert plan.duplicates == 2
    assert [r["record_id"] for r in plan.owned(0, [row("r1", "a"), row("r1", "a")])] == ["r1"]
    assert plan.owned(1, [row("r1", "b")]) == []


def test_batches_sharing_a_page_url_are_one_unit_and_others_are_joined_up_to_the_cap() -> None:
    plan = NightPlan()
    plan.add_batch("w-0", [row("a", url="https://w/page-1"), row("b", url="https://w/page-2")])
    plan.add_batch("w-1", [row("c", url="https://w/page-3")])
    plan.add_batch("w-2", [{**row("d", url="https://w/page-4"), "source_url": "https://w/page-1"}])
    plan.add_batch("w-3", [row("e", url="https://w/page-5")])
    # w-2 shares page-1 with w-0 (by its source URL): together whatever the cap
    assert plan.pages_across_batches == 1
    assert plan.units(1) == [[0, 2], [1], [3]]
    plan_again = NightPlan()
    for i in range(4):
        plan_again.add_batch(f"v-{i}", [row(f"{i}-{n}", url=f"https://v/{i}/{n}") for n in range(2)])
    assert plan_again.units(4) == [[0, 1], [2, 3]]


def test_trailing_histories_merged_day_by_day_equal_one_built_from_every_day() -> None:
    days = [dt.date(2016, 11, d) for d in (27, 28, 29)]
    day_rows = {
        day: [
            {"source_id": "wire", "actor": "US-led coalition", "metric": "strikes", "count": 10 * (i + 1)},
            {"source_id": "desk", "actor": None, "metric": "killed", "count": 3},
        ]
        for i, day in enumerate(days)
    }
    whole = TrailingHistory()
    merged = TrailingHistory()
    for day in days:
        whole.add_day(day, day_rows[day], ["late"] if day == days[0] else [])
        one = TrailingHistory()
        one.add_day(day, day_rows[day], ["late"] if day == days[0] else [])
        merged.merge(one)
    assert merged.trailing_max("us-led  coalition", "strikes") == whole.trailing_max(
        "US-led coalition", "strikes"
    )
    assert merged.trailing_max("US-led coalition", "strikes") == (30, 3)
    assert merged.source_days("late") == whole.source_days("late") == (2, 0)
    assert merged.source_days("desk") == whole.source_days("desk") == (3, 3)


def outcome_of(rows: list[dict[str, Any]], failed_ids: set[str]) -> Any:
    from conflict_ingest.validate.outcome import ValidationOutcome

    failed = [
        {**r, "flags": [], "failed_expectations": ["count_positive"]}
        for r in rows
        if r["record_id"] in failed_ids
    ]
    passed = [{**r, "flags": []} for r in rows if r["record_id"] not in failed_ids]
    ids = sorted(failed_ids)
    return ValidationOutcome(
        passed=passed,
        failed=failed,
        expectation_results=[
            {
                "name": "count_positive",
                "level": "critical",
                "success": not ids,
                "unexpected_count": len(ids),
                "unexpected_record_ids": ids,
            }
        ],
        gx_result={"meta": {}, "statistics": {"evaluated_expectations": 1}, "success": not ids},
    )


def test_the_fold_keeps_counts_whole_and_examples_first_in_night_order() -> None:
    night = NightOutcome(report_rows=2, ids_per_expectation=3, examples_per_expectation=1)
    later = [row(f"z{i}", "b") for i in range(3)]
    earlier = [row(f"y{i}", "a") for i in range(3)]
    night.add(outcome_of(later, {"z0", "z1"}), {"z0": ["count_positive: count=0"]})
    night.add(outcome_of(earlier, {"y2"}), {"y2": ["count_positive: count=-1"]})
    summary = night.summary()
    assert (summary["total"], summary["failed"], summary["passed"]) == (6, 3, 3)
    assert summary["failed_expectations"] == {"count_positive": 3}
    assert summary["records_by_source"]["a"] == {"total": 3, "passed": 2, "failed": 1, "flagged": 0}
    # source a sorts first: its record leads every capped list, as in one validation of the night
    assert [r["record_id"] for _, r in night.failed_rows] == ["y2", "z0"]
    assert night.expectation_results()[0]["unexpected_record_ids"] == ["y2", "z0", "z1"]
    (example,) = night.examples_by_expectation()["count_positive"]
    assert (example["record_id"], example["why"]) == ("y2", "count=-1")
    assert set(night.notes) == {"y2", "z0"}  # notes of the rows shown only
