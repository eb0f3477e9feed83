"""Batches reach their family's fetch lane (and so its Airflow pool), on moto's S3 server."""

from __future__ import annotations

import datetime as dt

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.discover import discovered_batches
from conflict_ingest.pipeline.plan import plan_sources
from conflict_ingest.sources.registry import Source


def test_batches_are_grouped_by_family_and_an_unknown_family_goes_to_default(store) -> None:
    run = RunContext(day=dt.date(2016, 12, 1), run_id="manual__families")
    configured = [
        Source(id="wire-a", kind="rss", url="https://a.example/feed", family="wires"),
        Source(id="wire-b", kind="rss", url="https://b.example/feed", family="wires"),
        Source(id="ministry", kind="rss", url="https://m.example/feed", family="gov"),
        Source(id="blog", kind="rss", url="https://blog.example/feed"),
    ]
    ids = plan_sources(
        store, run, configured, source_ids=[s.id for s in configured], urls=["https://x.example/1"]
    )
    manual_id = next(i for i in ids if i.startswith("manual-"))
    for sid in ids:
        if sid == "wire-b":
            continue  # its discovery failed: no batches, nothing to fetch
        store.put_json(
            f"{run.work}discovered/{sid}.json", {"batches": [f"{run.work}batches/{sid}-00000.json"]}
        )

    # The DAG was parsed before "gov" was added to sources.yaml: that family has no lane yet.
    lanes = discovered_batches(store, run, ids, ["default", "manual", "wires"])

    assert lanes == {
        "default": [f"{run.work}batches/blog-00000.json", f"{run.work}batches/ministry-00000.json"],
        "manual": [f"{run.work}batches/{manual_id}-00000.json"],
        "wires": [f"{run.work}batches/wire-a-00000.json"],
    }
