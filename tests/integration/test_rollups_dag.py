"""The rollups DAG, run by Airflow against moto's S3 server, over landed curated partitions."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conflict_ingest.land import write_partition
from conflict_ingest.records import Extraction, PageMeta, Record
from conflict_ingest.storage import MANIFEST_NAME, curated_partition

pytestmark = pytest.mark.integration


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

    table = pq.read_table(
        io.BytesIO(store.get_bytes("rollups/strike_counts/cross_source/part-00000.parquet"))
    ).to_pylist()
    assert len(table) == 1 and table[0]["agree"] is False and table[0]["sources"] == ["a", "c"]
    monthly = pq.read_table(
        io.BytesIO(store.get_bytes("rollups/strike_counts/monthly_totals/part-00000.parquet"))
    ).to_pylist()
    assert [(r["month"], r["stated_month_total"], r["sources"]) for r in monthly] == [("2016-11", 125, 2)]
