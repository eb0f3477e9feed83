"""The run's summary (XCom, summary.json, alerts) names the URLs that could not be fetched."""

from __future__ import annotations

import datetime as dt

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.validate import MAX_FETCH_FAILURES_IN_SUMMARY, validate_stage


def test_fetch_failures_reach_the_run_summary_with_their_reasons(store) -> None:
    run = RunContext(day=dt.date(2016, 12, 1), run_id="manual__summary")
    batch = f"{run.work}batches/src-00000.json"
    store.put_json(f"{run.work}discovered/src.json", {"source_id": "src", "batches": [batch]})
    errors = [
        {
            "url": f"http://news.example/{i}",
            "status": 503,
            "error": "HTTP 503 after 4 attempts",
            "attempts": 4,
        }
        for i in range(MAX_FETCH_FAILURES_IN_SUMMARY + 5)
    ]
    store.put_json(
        f"{run.work}fetched/src-00000.json",
        {"source_id": "src", "day": "2016-12-01", "pages": [], "errors": errors},
    )
    store.put_jsonl_gz(f"{run.work}extracted/src-00000.jsonl.gz", [])

    summary = validate_stage(store, run, ["src"])

    assert summary["fetch_failed"] == len(errors)
    assert len(summary["fetch_failures"]) == MAX_FETCH_FAILURES_IN_SUMMARY
    assert summary["fetch_failures"][0] == {"source_id": "src", **errors[0]}
    assert store.get_json(summary["summary_key"])["fetch_failures"] == summary["fetch_failures"]
    assert summary["sources_complete"] == ["src"]
