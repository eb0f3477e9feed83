"""Landing partitions in a real S3 endpoint (moto's server over HTTP): replace, never append."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.helpers import strike_rows

from conflict_ingest.storage.keys import MANIFEST_NAME, curated_partition
from conflict_ingest.storage.partitions import (
    IncompletePartition,
    collect_orphans,
    read_partition,
    to_parquet_bytes,
    write_partition,
)
from conflict_ingest.storage.store import ConcurrentUpdate, ObjectStore

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


# --- commits under concurrency, verified reads ------------------------------------------------------


def _listed(store) -> set[str]:
    return {p["key"] for p in store.get_json(PREFIX + MANIFEST_NAME)["parts"]}


def test_read_partition_refuses_a_manifest_naming_a_missing_part(store) -> None:
    write_partition(
        store,
        PREFIX,
        {"a": strike_rows("a", [1], DAY), "b": strike_rows("b", [2], DAY)},
        day=DAY,
        run_id="r1",
    )
    missing = sorted(_listed(store))[0]
    store.delete([missing])
    with pytest.raises(IncompletePartition, match="missing"):
        read_partition(store, PREFIX)


def test_read_partition_refuses_a_part_that_differs_from_the_manifest(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1, 2], DAY)}, day=DAY, run_id="r1")
    (key,) = _listed(store)
    # valid Parquet with the same number of rows, other content: only the checksum tells
    store.put_bytes(key, to_parquet_bytes(strike_rows("a", [8, 9], DAY)))
    with pytest.raises(IncompletePartition, match="sha256"):
        read_partition(store, PREFIX)


class _LandsBeforeFirstPartRead(ObjectStore):
    """A reader's store: a newer landing commits (and cleans up) between its manifest and part reads."""

    def __init__(self, base: ObjectStore) -> None:
        super().__init__(base.client, base.bucket, encryption=base.encryption)
        self.base = base
        self.done = False

    def get_bytes_or_none(self, key: str) -> bytes | None:
        if not self.done and key.endswith(".parquet"):
            self.done = True
            write_partition(self.base, PREFIX, {"a": strike_rows("a", [5, 6], DAY)}, day=DAY, run_id="r2")
        return super().get_bytes_or_none(key)


def test_read_partition_rereads_a_manifest_replaced_between_its_reads(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1], DAY)}, day=DAY, run_id="r1")
    rows = read_partition(_LandsBeforeFirstPartRead(store), PREFIX)
    assert sorted(r["count"] for r in rows) == [5, 6]


def test_a_landing_never_deletes_parts_no_manifest_lists_yet(store) -> None:
    """Another run's parts, written but not yet committed, survive a landing beside them."""
    write_partition(store, PREFIX, {"a": strike_rows("a", [1], DAY)}, day=DAY, run_id="r1")
    pending = PREFIX + "part-b-0123456789abcdef-00000.parquet"
    store.put_bytes(pending, to_parquet_bytes(strike_rows("b", [2], DAY)))
    write_partition(store, PREFIX, {"a": strike_rows("a", [3], DAY)}, day=DAY, run_id="r2")
    assert store.exists(pending)
    assert sorted(r["count"] for r in read_partition(store, PREFIX)) == [3]
    # once old enough to belong to no live attempt, such an orphan is collected; listed parts never are
    assert collect_orphans(store, PREFIX) == []  # too young for the default age
    assert collect_orphans(store, PREFIX, min_age=dt.timedelta(0)) == [pending]
    assert set(store.list_keys(PREFIX)) == _listed(store) | {PREFIX + MANIFEST_NAME}


class _LandsBeforeCommit(ObjectStore):
    """A landing's store: another run commits group ``b`` just before this landing's first commit."""

    def __init__(self, base: ObjectStore) -> None:
        super().__init__(base.client, base.bucket, encryption=base.encryption)
        self.base = base
        self.commits = 0

    def put_json_if(self, key: str, obj: Any, *, etag: str | None) -> str:
        self.commits += 1
        if self.commits == 1:
            write_partition(self.base, PREFIX, {"b": strike_rows("b", [2, 3], DAY)}, day=DAY, run_id="rb")
        return super().put_json_if(key, obj, etag=etag)


def test_a_commit_that_loses_the_race_re_merges_the_latest_manifest(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1], DAY)}, day=DAY, run_id="r1")
    racing = _LandsBeforeCommit(store)
    manifest = write_partition(racing, PREFIX, {"a": strike_rows("a", [4], DAY)}, day=DAY, run_id="ra")
    assert racing.commits == 2  # moto's server refused the first (If-Match on a stale ETag)
    assert sorted((r["source_id"], r["count"]) for r in read_partition(store, PREFIX)) == [
        ("a", 4),
        ("b", 2),
        ("b", 3),
    ]
    assert manifest["records"] == 3 and [c["run_id"] for c in manifest["commits"]] == ["r1", "rb", "ra"]
    assert set(store.list_keys(PREFIX)) == _listed(store) | {PREFIX + MANIFEST_NAME}


class _AnswerLost(ObjectStore):
    """The commit goes through but its answer is lost; botocore's retry of it is refused (412)."""

    def __init__(self, base: ObjectStore) -> None:
        super().__init__(base.client, base.bucket, encryption=base.encryption)
        self.commits = 0

    def put_json_if(self, key: str, obj: Any, *, etag: str | None) -> str:
        self.commits += 1
        super().put_json_if(key, obj, etag=etag)
        if self.commits == 1:
            raise ConcurrentUpdate("412 on the retry of a request that committed")
        return ""


def test_a_commit_whose_answer_is_lost_is_not_committed_twice(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1], DAY)}, day=DAY, run_id="r1")
    lost = _AnswerLost(store)
    write_partition(lost, PREFIX, {"a": strike_rows("a", [2], DAY)}, day=DAY, run_id="r2")
    assert lost.commits == 1
    manifest = store.get_json(PREFIX + MANIFEST_NAME)
    assert [c["run_id"] for c in manifest["commits"]] == ["r1", "r2"]
    assert [r["count"] for r in read_partition(store, PREFIX)] == [2]


def test_a_landing_that_fails_leaves_the_committed_partition_and_no_parts(store) -> None:
    write_partition(store, PREFIX, {"a": strike_rows("a", [1], DAY)}, day=DAY, run_id="r1")
    before = set(store.list_keys(PREFIX))
    bad = [{**strike_rows("b", [2], DAY)[0], "count": "two"}]  # not an int64: Arrow refuses it
    with pytest.raises((TypeError, ValueError)):
        write_partition(store, PREFIX, {"a": strike_rows("a", [5], DAY), "b": bad}, day=DAY, run_id="r2")
    assert set(store.list_keys(PREFIX)) == before
    assert [r["count"] for r in read_partition(store, PREFIX)] == [1]


def test_conditional_writes_are_honoured_by_the_s3_server(store) -> None:
    """moto's server (as S3) refuses If-None-Match: * on an existing key and If-Match on a stale ETag."""
    key = "t/_manifest.json"
    assert store.get_json_with_etag(key) == (None, None)
    first = store.put_json_if(key, {"v": 1}, etag=None)
    with pytest.raises(ConcurrentUpdate):
        store.put_json_if(key, {"v": 2}, etag=None)
    second = store.put_json_if(key, {"v": 2}, etag=first)
    with pytest.raises(ConcurrentUpdate):
        store.put_json_if(key, {"v": 3}, etag=first)
    assert store.get_json_with_etag(key) == ({"v": 2}, second)
    store.delete([key])
    with pytest.raises(ConcurrentUpdate):  # If-Match on a key deleted since
        store.put_json_if(key, {"v": 4}, etag=second)


def test_history_rollups_and_show_survive_a_damaged_partition(store, capsys) -> None:
    from conflict_ingest.cli import main
    from conflict_ingest.pipeline.validate import read_trailing_history
    from conflict_ingest.rollups import build_rollups

    good, broken = DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)
    write_partition(store, curated_partition(good), {"a": strike_rows("a", [1], good)}, day=good, run_id="r")
    write_partition(
        store, curated_partition(broken), {"a": strike_rows("a", [2], broken)}, day=broken, run_id="r"
    )
    (part,) = store.get_json(curated_partition(broken) + MANIFEST_NAME)["parts"]
    store.delete([part["key"]])

    history = read_trailing_history(store, DAY, 3)
    assert history.days == [good]
    summary = build_rollups(store)
    assert summary["curated_records"] == 1
    assert main(["show", "--day", broken.isoformat(), "--bucket", store.bucket]) == 1
    out = capsys.readouterr().out
    assert "curated: DAMAGED" in out and part["key"] in out and "Traceback" not in out
    assert main(["show", "--day", good.isoformat(), "--bucket", store.bucket]) == 0
    assert "curated: 1 record(s)" in capsys.readouterr().out
