"""The contract's required fields in the zones (moto's S3 server over HTTP): the curated zone's
Parquet declares them not-null, and the quarantine zone still keeps the records that broke them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from tests.helpers import rewrite_as_older_release, strike_rows

from conflict_ingest import contract
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.land import land_stage
from conflict_ingest.pipeline.validate import validate_stage
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_committed, read_partition

pytestmark = pytest.mark.integration

DAY = dt.date(2016, 12, 1)


def test_quarantine_keeps_records_with_nulls_in_required_fields_and_curated_declares_them_not_null(
    store,
) -> None:
    run = RunContext(day=DAY, run_id="manual__contract")
    good, no_metric, no_title = strike_rows("src", [5, 6, 7], DAY)
    for i, row in enumerate((good, no_metric, no_title)):  # three pages: no conflicting counts
        row["source_url"] = row["canonical_url"] = f"https://src.example/{i}"
    no_metric["metric"] = None
    no_title["title"] = None
    batch = f"{run.work}batches/src-00000.json"
    store.put_json(f"{run.work}discovered/src.json", {"source_id": "src", "batches": [batch]})
    store.put_jsonl_gz(f"{run.work}extracted/src-00000.jsonl.gz", [good, no_metric, no_title])

    summary = validate_stage(store, run, ["src"])
    assert (summary["passed"], summary["failed"]) == (1, 2)

    held = {r["record_id"]: r for r in read_partition(store, quarantine_partition(DAY))}
    assert set(held) == {no_metric["record_id"], no_title["record_id"]}
    assert held[no_metric["record_id"]]["metric"] is None
    assert "metric_not_null" in held[no_metric["record_id"]]["failed_expectations"]
    assert held[no_title["record_id"]]["title"] is None
    assert "title_not_null" in held[no_title["record_id"]]["failed_expectations"]

    land_stage(store, run)
    manifest, rows = read_committed(store, curated_partition(DAY))
    assert [r["record_id"] for r in rows] == [good["record_id"]]
    import pyarrow.parquet as pq

    schema = pq.read_schema(io.BytesIO(store.get_bytes_or_none(manifest["parts"][0]["key"]) or b""))
    assert {name for name in schema.names if not schema.field(name).nullable} == set(contract.REQUIRED_FIELDS)


def test_a_part_written_before_a_field_existed_reads_that_field_as_null(store) -> None:
    from conflict_ingest.storage.partitions import write_partition

    prefix = curated_partition(DAY)
    (row,) = strike_rows("src", [5], DAY)
    manifest = write_partition(store, prefix, {"src": [row]}, day=DAY, run_id="manual__old")
    added = ["count_text", "admin1", "country", "language"]
    rewrite_as_older_release(store, prefix, manifest, added)

    (read,) = read_partition(store, prefix)
    assert set(read) >= set(contract.FIELD_NAMES)
    assert all(read[name] is None for name in added)
    assert read["record_id"] == row["record_id"] and read["count"] == 5
