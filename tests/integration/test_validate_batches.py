"""Validation batch by batch and landing in row groups, on moto's S3 server: memory bounded by a batch,
the same records, summary and report as validating the night at once."""

from __future__ import annotations

import datetime as dt
import gc
import io
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest
import requests
from tests.conftest import make_store
from tests.helpers import strike_rows

from conflict_ingest.dev.stack import LOCALHOST, free_port
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.land import land_stage
from conflict_ingest.pipeline.validate import validate_stage
from conflict_ingest.storage import keys, partitions
from conflict_ingest.storage.keys import MANIFEST_NAME, curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition, write_partition
from conflict_ingest.storage.store import ObjectStore
from conflict_ingest.validate.config import ValidationConfig

DAY = dt.date(2016, 12, 1)


def page_rows(source: str, page: str, counts: list[int]) -> list[dict[str, Any]]:
    """Records of one page of ``source`` (at ``https://<source>.example/<page>``)."""
    rows = strike_rows(source, counts, DAY)
    for row in rows:
        row["source_url"] = row["canonical_url"] = f"https://{source}.example/{page}"
        row["actor"] = "US-led coalition"
    # the record id hashes the page URL and the statement: rebuild it for this page
    for row in rows:
        row["record_id"] = f"{source}-{page}-{row['count']}-{row['period_start']}"
    return rows


def stage_night(store: ObjectStore, run: RunContext, batches: dict[str, list[list[dict[str, Any]]]]) -> None:
    """What discover and extract leave for validate: per source, its batches of extracted records."""
    for source, source_batches in batches.items():
        batch_keys = [keys.batch_key(run.work, source, i) for i in range(len(source_batches))]
        store.put_json(keys.discovered_key(run.work, source), {"source_id": source, "batches": batch_keys})
        for batch, rows in zip(batch_keys, source_batches, strict=True):
            store.put_jsonl_gz(keys.extracted_key(keys.cleaned_key(keys.fetched_key(batch))), rows)


def generated_batch(source: str, index: int, pages: int) -> list[dict[str, Any]]:
    """One record per page, its evidence a long paragraph (so the records, not the fixed costs, weigh)."""
    rows = [row for page in range(pages) for row in page_rows(source, f"b{index}-p{page}", [10 + page % 7])]
    for row in rows:
        row["evidence"] += " The coalition said the raids went on through the night." * 60
    return rows


def zone_rows(store: ObjectStore, prefix: str) -> list[dict[str, Any]]:
    rows = read_partition(store, prefix)
    for row in rows:
        row.pop("fetched_at", None)
    return sorted(rows, key=lambda r: (r["record_id"], r["source_id"]))


def peaks_mb(store: ObjectStore, run: RunContext, batches: int) -> tuple[float, float]:
    """tracemalloc peaks (MB) of validating, then landing, a night of ``batches`` generated batches."""
    stage_night(store, run, {"gen": [generated_batch("gen", i, MEMORY_PAGES) for i in range(batches)]})
    peaks = []
    for stage in ("validate", "land"):
        gc.collect()
        tracemalloc.start()
        try:
            if stage == "validate":
                out = validate_stage(
                    store, run, ["gen"], config=ValidationConfig(), unit_records=MEMORY_PAGES
                )
                assert out["total"] == batches * MEMORY_PAGES and out["failed"] == 0
            else:
                assert land_stage(store, run)["records"] == batches * MEMORY_PAGES
            peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        finally:
            tracemalloc.stop()
    return peaks[0], peaks[1]


#: pages (one record each) per batch in the memory test: enough that a whole-night validation of four
#: batches peaks at over twice the one-batch figure (measured: 2.4x before validation went per batch)
MEMORY_PAGES = 500


@pytest.fixture
def own_process_store() -> Iterator[ObjectStore]:
    """A bucket on a moto S3 server in a process of its own: tracemalloc then counts the stages' own
    allocations, not the in-process server's copies of what they read and write."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", LOCALHOST, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{LOCALHOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(url, timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.2)
        yield make_store(url, "memory-night")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_validate_memory_does_not_grow_with_the_night(own_process_store, monkeypatch) -> None:
    store = own_process_store
    import great_expectations  # noqa: F401  the import's fixed cost is not the night's

    monkeypatch.setattr(
        partitions, "ROW_GROUP_ROWS", 100
    )  # landing holds one row group: smaller than a batch
    peaks_mb(store, RunContext(day=DAY, run_id="warm-up"), 1)  # first-use caches (GX, pyarrow)
    store.delete(list(store.list_keys("")))
    validate_one, land_one = peaks_mb(store, RunContext(day=DAY, run_id="one"), 1)
    store.delete(list(store.list_keys("")))
    validate_four, land_four = peaks_mb(store, RunContext(day=DAY, run_id="four"), 4)
    assert validate_four / validate_one < 1.5, (validate_one, validate_four)
    assert land_four / land_one < 1.5, (land_one, land_four)


def test_a_record_id_in_two_batches_is_validated_and_landed_once_by_the_first_source(store) -> None:
    run = RunContext(day=DAY, run_id="dupes")
    shared = page_rows("wire-b", "shared", [12])[0]
    syndicated = {**shared, "source_id": "wire-a"}  # the same article through another source
    stage_night(
        store,
        run,
        {
            "wire-a": [page_rows("wire-a", "p1", [5]), [syndicated]],
            "wire-b": [[shared, *page_rows("wire-b", "p2", [7])]],
        },
    )
    summary = validate_stage(store, run, ["wire-a", "wire-b"], config=ValidationConfig(), unit_records=1)
    assert summary["total"] == 3 and summary["failed"] == 0
    assert summary["records_by_source"]["wire-a"]["total"] == 2
    assert summary["records_by_source"]["wire-b"]["total"] == 1
    land_stage(store, run)
    landed = read_partition(store, curated_partition(DAY))
    assert sorted(r["record_id"] for r in landed) == sorted(
        {"wire-a-p1-5-2016-12-01", shared["record_id"], "wire-b-p2-7-2016-12-01"}
    )
    assert [r["source_id"] for r in landed if r["record_id"] == shared["record_id"]] == ["wire-a"]


def test_a_conflict_within_a_page_is_caught_when_the_page_spans_batches(store) -> None:
    run = RunContext(day=DAY, run_id="spans")
    first, second = page_rows("wire", "mosul", [2709, 27800])
    second["evidence"] = "27800 strikes."
    stage_night(
        store, run, {"wire": [[first, *page_rows("wire", "a", [3])], [second, *page_rows("wire", "b", [4])]]}
    )
    # one batch per unit were it not for the page both batches hold
    summary = validate_stage(store, run, ["wire"], config=ValidationConfig(), unit_records=1)
    assert summary["failed_expectations"] == {"no_conflicting_counts": 2}
    held = read_partition(store, quarantine_partition(DAY))
    assert sorted(r["count"] for r in held) == [2709, 27800]
    assert all(r["failed_expectations"] == ["no_conflicting_counts"] for r in held)
    # each batch's records went to that batch's own passed and held objects
    assert {keys.batch_name(k) for k in store.list_keys(f"{run.work}validated/{keys.HELD}/")} == {
        "wire-00000",
        "wire-00001",
    }


def test_the_spike_check_reads_the_trailing_window_as_a_small_table(store) -> None:
    run = RunContext(day=DAY, run_id="spike")
    for back in range(1, 6):
        past = DAY - dt.timedelta(days=back)
        rows = strike_rows("wire", [8, 10], past)
        for i, row in enumerate(rows):
            row["actor"] = "US-led coalition"
            row["record_id"] = f"past-{back}-{i}"
        write_partition(store, curated_partition(past), {"wire": rows}, day=past, run_id=f"past-{back}")
    tonight = [*page_rows("wire", "calm", [12]), *page_rows("wire", "spike", [95])]
    for row in tonight:
        row["actor"] = "us-led  Coalition"  # compared case- and space-insensitively
    stage_night(store, run, {"wire": [tonight[:1], tonight[1:]]})
    config = ValidationConfig(spike_factor=5.0, spike_min_history_days=3)
    summary = validate_stage(store, run, ["wire"], config=config, unit_records=1)
    assert summary["history_days_read"] == 5
    assert summary["flags"] == {"count_far_above_trailing_max": 1}
    examples = store.get_json(summary["summary_key"])["examples"]["count_far_above_trailing_max"]
    assert [e["count"] for e in examples] == [95]


def test_validating_unit_by_unit_gives_the_records_summary_and_report_of_one_validation(store) -> None:
    """Every check and example, batch by batch or all at once: the same records, summary and report."""
    night: dict[str, list[list[dict[str, Any]]]] = {"wire-a": [], "wire-b": []}
    for source in night:
        for b in range(3):
            batch = [row for p in range(8) for row in page_rows(source, f"{b}-{p}", [20 + p])]
            batch += page_rows(source, f"{b}-conflict", [30 + b, 40 + b])  # two counts, two sentences
            batch[-1]["evidence"] = f"{40 + b} strikes."
            batch[0]["count"] = 0  # count_positive, and the evidence no longer states it
            batch[1]["actor"] = None  # actor_missing_for_strikes: a warning
            night[source].append(batch)
    outputs = []
    for label, unit_records in (("whole", 10**6), ("units", 1)):
        store.delete(list(store.list_keys("")))
        run = RunContext(day=DAY, run_id="same-run")
        stage_night(store, run, night)
        summary = validate_stage(
            store, run, ["wire-a", "wire-b"], config=ValidationConfig(), unit_records=unit_records
        )
        land_stage(store, run)
        saved = store.get_json(summary["summary_key"])
        report = store.get_bytes(summary["report_key"]).decode()
        report = report[report.index("</table>") :]  # after the facts (GX's run time)
        outputs.append(
            (
                saved,
                report,
                zone_rows(store, curated_partition(DAY)),
                zone_rows(store, quarantine_partition(DAY)),
            )
        )
    (whole, whole_report, whole_curated, whole_held), (units, units_report, units_curated, units_held) = (
        outputs
    )
    assert (
        whole["failed"] == 6 * 3 and whole["flagged"] == 6
    )  # per batch: a zero count and a conflicting pair
    assert whole.pop("validated_at") <= units.pop("validated_at")  # when each ran; the rest is the same
    assert whole == units
    assert whole_report == units_report
    assert whole_curated == units_curated and whole_held == units_held


class RecordingStore(ObjectStore):
    """The real store, noting the keys written, in order."""

    def __init__(self, base: ObjectStore) -> None:
        super().__init__(base.client, base.bucket, encryption=base.encryption)
        self.written: list[str] = []

    def put_bytes(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> str:
        self.written.append(key)
        return super().put_bytes(key, data, content_type=content_type)

    def put_json_if(self, key: str, obj: Any, *, etag: str | None) -> str:
        self.written.append(key)
        return super().put_json_if(key, obj, etag=etag)


def test_land_writes_parts_in_row_groups_manifest_last_and_stays_idempotent(store, monkeypatch) -> None:
    monkeypatch.setattr(partitions, "ROW_GROUP_ROWS", 4)
    monkeypatch.setattr(partitions, "MAX_ROWS_PER_PART", 10)
    run = RunContext(day=DAY, run_id="groups")
    stage_night(
        store,
        run,
        {
            "wire": [
                [row for p in range(7) for row in page_rows("wire", f"{b}-{p}", [10 + p])] for b in range(3)
            ]
        },
    )
    validate_stage(store, run, ["wire"], config=ValidationConfig(), unit_records=7)
    recording = RecordingStore(store)
    first = land_stage(recording, run)
    prefix = curated_partition(DAY)
    manifest = store.get_json(prefix + MANIFEST_NAME)
    parts = [p["key"] for p in manifest["parts"]]
    # 21 rows: parts of at most 10 rows, each written 4 rows (one row group) at a time; manifest last
    assert [p["rows"] for p in manifest["parts"]] == [10, 10, 1]
    groups = [
        [
            pq.ParquetFile(io.BytesIO(store.get_bytes(k))).metadata.row_group(i).num_rows
            for i in range(pq.ParquetFile(io.BytesIO(store.get_bytes(k))).metadata.num_row_groups)
        ]
        for k in parts
    ]
    assert groups == [[4, 4, 2], [4, 4, 2], [1]]
    assert [k for k in recording.written if k.startswith(prefix)] == [*parts, prefix + MANIFEST_NAME]
    again = land_stage(store, run)
    assert first["records"] == again["records"] == 21 == len(read_partition(store, prefix))
    assert len({r["record_id"] for r in read_partition(store, prefix)}) == 21
    listed = {p["key"] for p in store.get_json(prefix + MANIFEST_NAME)["parts"]}
    assert set(store.list_keys(prefix)) == listed | {prefix + MANIFEST_NAME}
