"""The nightly DAG, run by Airflow (``dag.test()``) against moto's S3 server and the sample site.

This is the foundation's end-to-end check: pages come over HTTP from 127.0.0.1, land raw in S3,
are cleaned, extracted, validated by Great Expectations and landed as Parquet; the seed page's
conflicting pair is held in quarantine and the run shows the failure.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from tests.helpers import run_nightly, task_states

from conflict_ingest.records import RECORD_FIELDS
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition
from conflict_ingest.storage.store import ObjectStore

DAY = dt.date(2016, 12, 1)
SEED_GOLD = json.loads((Path(__file__).parents[1] / "fixtures" / "seed_gold.json").read_text())
SEED_PATH = "/articles/us-coalition-airstrikes-isis-mosul-record-level.html"
CONFLICTING = {2709, 27800}
COMPARED = ("metric", "count", "qualifier", "victim", "actor", "target", "location", "evidence")


def _seed_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["source_url"].endswith(SEED_PATH)]


def _gold_key(rec: dict) -> tuple:
    return rec["metric"], rec["count"]


def _check_against_gold(row: dict, gold: dict) -> None:
    for name in COMPARED:
        assert row[name] == gold[name], f"{gold['count']}: {name} {row[name]!r} != gold {gold[name]!r}"
    periods = [(gold["period_start"], gold["period_end"]), *map(tuple, gold.get("also_accept_periods", []))]
    got = (row["period_start"].isoformat(), row["period_end"].isoformat())
    assert got in periods, f"{gold['count']}: period {got} not in {periods}"


@pytest.fixture
def nightly_run(airflow_env: dict[str, str], store: ObjectStore):
    dag_run = run_nightly(DAY)
    return dag_run, store


def test_nightly_run_lands_seed_records_and_quarantines_the_conflict(nightly_run, airflow_env) -> None:
    dag_run, store = nightly_run
    states = task_states(dag_run)
    # The gate fails the run because records were held back; everything before it succeeded.
    assert dag_run.state == "failed"
    assert states["gate"] == {"failed"}
    for task_id in ("list_sources", "sample.collect_batches", "validate", "land"):
        assert states[task_id] == {"success"}, f"{task_id}: {states[task_id]}"
    for task_id in ("discover", "sample.fetch", "sample.clean", "sample.extract"):
        assert states[task_id] == {"success"}, f"{task_id}: {states[task_id]}"
    # The families with no batches tonight have nothing to fetch: their lanes are skipped.
    for task_id in ("default.fetch", "manual.fetch"):
        assert states[task_id] <= {"skipped"}, f"{task_id}: {states[task_id]}"

    curated = read_partition(store, curated_partition(DAY))
    quarantined = read_partition(store, quarantine_partition(DAY))
    gold = {_gold_key(g): g for g in SEED_GOLD["records"]}

    # Every contract field is present, and record ids are unique.
    for row in curated + quarantined:
        assert set(RECORD_FIELDS) <= set(row)
    ids = [r["record_id"] for r in curated + quarantined]
    assert len(ids) == len(set(ids))

    # The seed page: six records landed, the conflicting pair held back, nothing else.
    seed_curated = {_gold_key(r): r for r in _seed_rows(curated)}
    seed_held = {_gold_key(r): r for r in _seed_rows(quarantined)}
    assert {k[1] for k in seed_held} == CONFLICTING
    assert set(seed_curated) == {k for k in gold if k[1] not in CONFLICTING}
    for key, row in {**seed_curated, **seed_held}.items():
        _check_against_gold(row, gold[key])
        assert row["source_id"] and row["raw_key"].startswith("raw/source=")
        assert row["title"] == SEED_GOLD["title"]
        # the page declares its canonical on another site (the sample site stands in for several
        # outlets on one host): refused, so the record keeps the URL it was fetched from
        assert row["canonical_url"] != SEED_GOLD["url"]
        assert row["canonical_url"] == row["source_url"] == airflow_env["SAMPLE_SITE_URL"] + SEED_PATH
        assert row["fetched_at"] is not None and len(row["content_sha256"]) == 64
    for row in seed_held.values():
        assert "no_conflicting_counts" in row["failed_expectations"]
    for row in seed_curated.values():
        assert row["flags"] == [] or all(isinstance(f, str) for f in row["flags"])

    # The raw page was stored unchanged before parsing, with its sidecar.
    raw_key = next(iter(seed_curated.values()))["raw_key"]
    raw = gzip.decompress(store.get_bytes(raw_key))
    site_file = Path(__file__).parents[2] / "include" / "sample_site" / SEED_PATH.lstrip("/")
    assert raw == site_file.read_bytes()
    sidecar = store.get_json(raw_key.removesuffix(".html.gz") + ".json")
    assert sidecar["status"] == 200 and any(u.endswith(SEED_PATH) for u in sidecar["seen_urls"])

    # The validation report landed for this run, GX JSON and a page a person can read.
    reports = list(store.list_keys(f"reports/validation/dt={DAY.isoformat()}/"))
    assert any(k.endswith("gx_result.json") for k in reports)
    assert any(k.endswith("report.html") for k in reports)


def test_rerunning_a_day_replaces_the_partition_without_duplicates(nightly_run) -> None:
    first_run, store = nightly_run
    first = read_partition(store, curated_partition(DAY))
    first_manifest = store.get_json(curated_partition(DAY) + "_manifest.json")
    second_run = run_nightly(DAY)
    second = read_partition(store, curated_partition(DAY))
    assert first and sorted(r["record_id"] for r in first) == sorted(r["record_id"] for r in second)
    second_manifest = store.get_json(curated_partition(DAY) + "_manifest.json")
    assert second_manifest["run_id"] == second_run.run_id
    # parts are named per landing attempt (never overwritten); a re-run writes the same content
    same = sorted((p["group"], p["rows"], p["sha256"]) for p in second_manifest["parts"])
    assert same == sorted((p["group"], p["rows"], p["sha256"]) for p in first_manifest["parts"])
    listed = {p["key"] for p in second_manifest["parts"]} | {curated_partition(DAY) + "_manifest.json"}
    assert set(store.list_keys(curated_partition(DAY))) == listed


def test_a_broken_source_fails_alone_and_the_others_still_land(
    airflow_env: dict[str, str],
    store: ObjectStore,
    sample_site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: sample-rss\n    kind: rss\n    allow_private: true\n    rate_limit_per_s: 50\n"
        f"    url: {sample_site.url}/feed.xml\n"
        "  - id: broken-feed\n    kind: rss\n    allow_private: true\n"
        f"    url: {sample_site.url}/no-such-feed.xml\n"
    )
    monkeypatch.setenv("CONFLICT_INGEST_SOURCES", str(sources))
    dag_run = run_nightly(DAY)
    states = task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["discover"] == {"success", "failed"}
    assert states["land"] == {"success"}
    curated = read_partition(store, curated_partition(DAY))
    assert curated, "the healthy source's records did not land"
    assert {r["source_id"] for r in curated} == {"sample-rss"}
    manifest = store.get_json(curated_partition(DAY) + "_manifest.json")
    assert manifest["sources_incomplete"] == ["broken-feed"]
    summary_keys = [k for k in store.list_keys(f"reports/validation/dt={DAY}/") if k.endswith("summary.json")]
    assert store.get_json(summary_keys[0])["sources_incomplete"] == ["broken-feed"]
