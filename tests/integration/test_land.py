"""Landing partitions in a real S3 endpoint (moto's server over HTTP): replace, never append."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.helpers import strike_rows

from conflict_ingest.land import IncompletePartition, read_partition, write_partition
from conflict_ingest.storage import MANIFEST_NAME, curated_partition

pytestmark = pytest.mark.integration

DAY = dt.date(2016, 12, 1)
PREFIX = curated_partition(DAY)


def test_landing_twice_replaces_the_partition_without_duplicates(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1, 2, 3], DAY)}, day=DAY, run_id="r1")
    write_partition(store, PREFIX, {"a": strike_rows("a", [1, 2, 3], DAY)}, day=DAY, run_id="r2")
    rows = read_partition(store, PREFIX)
    assert sorted(r["count"] for r in rows) == [1, 2, 3]
    assert store.get_json(PREFIX + MANIFEST_NAME)["run_id"] == "r2"


def test_rows_round_trip_with_types(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [7], DAY)}, day=DAY, run_id="r1")
    (row,) = read_partition(store, PREFIX)
    assert row["period_start"] == DAY and isinstance(row["period_start"], dt.date)
    assert row["published_at"] == dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC)
    assert row["flags"] == [] and row["count"] == 7


def test_a_source_missing_from_a_rerun_keeps_its_parts_and_stale_parts_go(store) -> None:
    write_partition(
        store,
        PREFIX,
        {"a": strike_rows("a", [1], DAY), "b": strike_rows("b", [2, 3], DAY)},
        day=DAY,
        run_id="r1",
    )
    # b failed tonight: only a is re-landed, with fewer rows; b's parts stay listed
    write_partition(store, PREFIX, {"a": []}, day=DAY, run_id="r2")
    rows = read_partition(store, PREFIX)
    assert sorted((r["source_id"], r["count"]) for r in rows) == [("b", 2), ("b", 3)]
    manifest = store.get_json(PREFIX + MANIFEST_NAME)
    assert set(store.list_keys(PREFIX)) == {p["key"] for p in manifest["parts"]} | {PREFIX + MANIFEST_NAME}


def test_a_partition_without_manifest_is_never_read_as_complete(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1], DAY)}, day=DAY, run_id="r1")
    store.delete([PREFIX + MANIFEST_NAME])
    with pytest.raises(IncompletePartition):
        read_partition(store, PREFIX)


def test_a_record_landed_by_another_source_is_not_landed_twice(store) -> None:
    manual = strike_rows("a", [1, 2], DAY)
    write_partition(store, PREFIX, {"manual-x": manual}, day=DAY, run_id="r1")
    # the nightly run reads the same page through a configured source: same record ids
    nightly = [{**r, "source_id": "rss"} for r in [*manual, *strike_rows("a", [3], DAY)]]
    write_partition(store, PREFIX, {"rss": nightly}, day=DAY, run_id="r2")
    rows = read_partition(store, PREFIX)
    ids = [r["record_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 3
    assert sorted((r["source_id"], r["count"]) for r in rows) == [("a", 1), ("a", 2), ("rss", 3)]
