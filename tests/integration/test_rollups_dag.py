"""The rollups DAG, run by Airflow against moto's S3 server, over landed curated partitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conflict_ingest.records import Extraction, PageMeta, Record
from conflict_ingest.rollups import build_rollups, read_rollup
from conflict_ingest.storage.keys import MANIFEST_NAME, ROLLUPS_PREFIX, curated_partition
from conflict_ingest.storage.partitions import write_partition


def _rows(source: str, count: int, day: dt.date) -> list[dict]:
    meta = PageMeta(
        source_id=source,
        source_url=f"https://{source}.example/{day}",
        canonical_url=f"https://{source}.example/{day}",
        title="t",
        published_at=None,
        fetched_at=dt.datetime(2016, 12, 3, tzinfo=dt.UTC),
        raw_key="raw/x",
        content_sha256="0" * 64,
    )
    ex = Extraction(
        metric="strikes",
        count=count,
        qualifier="exact",
        evidence=f"{count} strikes.",
        actor="US-led coalition",
        period_start=dt.date(2016, 11, 1),
        period_end=dt.date(2016, 11, 30),
    )
    return [Record.build(meta, ex).to_row()]


def test_rollups_dag_rebuilds_tables_from_committed_partitions(airflow_env, store) -> None:
    from airflow.dag_processing.dagbag import DagBag

    day1, day2 = dt.date(2016, 12, 1), dt.date(2016, 12, 2)
    write_partition(store, curated_partition(day1), {"a": _rows("a", 120, day1)}, day=day1, run_id="r1")
    write_partition(store, curated_partition(day2), {"c": _rows("c", 125, day2)}, day=day2, run_id="r2")
    # an uncommitted partition (no manifest) must be ignored
    store.put_bytes(curated_partition(dt.date(2016, 12, 3)) + "part-x-00000.parquet", b"not parquet")
    # and so must a damaged one (its manifest names a part that is gone), without failing the run
    day4 = dt.date(2016, 12, 4)
    write_partition(store, curated_partition(day4), {"d": _rows("d", 999, day4)}, day=day4, run_id="r4")
    store.delete([p["key"] for p in store.get_json(curated_partition(day4) + MANIFEST_NAME)["parts"]])

    bag = DagBag(dag_folder=str(Path(__file__).parents[2] / "dags"))
    dag_run = bag.dags["conflict_news_rollups"].test()
    assert dag_run.state == "success"

    table = read_rollup(store, "cross_source")
    assert len(table) == 1 and table[0]["agree"] is False and table[0]["sources"] == ["a", "c"]
    monthly = read_rollup(store, "monthly_totals")
    assert [(r["month"], r["stated_month_total"], r["sources"]) for r in monthly] == [("2016-11", 125, 2)]


def test_rebuilding_rollups_replaces_each_table_without_an_uncommitted_moment(store) -> None:
    """Each rebuild writes a new part, then the manifest, then drops the old part: a reader between
    two steps finds the old table or the new one, whole, and no part is left behind."""
    day = dt.date(2016, 12, 1)
    write_partition(store, curated_partition(day), {"a": _rows("a", 120, day)}, day=day, run_id="r1")
    build_rollups(store)
    first = store.get_json(f"{ROLLUPS_PREFIX}/monthly_totals/{MANIFEST_NAME}")
    write_partition(store, curated_partition(day), {"a": _rows("a", 130, day)}, day=day, run_id="r2")

    class Watching(type(store)):  # reads the table after every write of the rebuild
        seen: list[list[int]] = []

        def put_bytes(self, key, data, **kw):
            out = super().put_bytes(key, data, **kw)
            Watching.seen.append([r["max_count"] for r in read_rollup(self, "monthly_totals")])
            return out

    build_rollups(Watching(store.client, store.bucket))
    assert Watching.seen and all(s in ([120], [130]) for s in Watching.seen)
    assert [r["max_count"] for r in read_rollup(store, "monthly_totals")] == [130]
    parts = [k for k in store.list_keys(f"{ROLLUPS_PREFIX}/monthly_totals/") if k.endswith(".parquet")]
    second = store.get_json(f"{ROLLUPS_PREFIX}/monthly_totals/{MANIFEST_NAME}")
    assert parts == [second["parts"][0]["key"]] and first["parts"][0]["key"] not in parts
