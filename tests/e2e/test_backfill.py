"""A three-day backfill created the way the UI creates it, through a real scheduler and API server."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from tests.helpers import wait_for_dag

from conflict_ingest.land import read_partition
from conflict_ingest.storage import curated_partition

pytestmark = pytest.mark.e2e

DAG_ID = "conflict_news_nightly"
DAYS = [dt.date(2016, 11, 30), dt.date(2016, 12, 1), dt.date(2016, 12, 2)]
BACKFILL_TIMEOUT_S = 420


def _backfill(server) -> list[dict]:
    body = {
        "dag_id": DAG_ID,
        "from_date": f"{DAYS[0].isoformat()}T00:00:00Z",
        "to_date": f"{DAYS[-1].isoformat()}T00:00:00Z",
        "max_active_runs": 3,
        "reprocess_behavior": "completed",
    }
    _wait_quiet(server)
    # SQLite may still answer 503 "database is locked" while the scheduler writes; ask again.
    for _ in range(30):
        resp = server.api("POST", "/backfills", json=body)
        if resp.status_code != 503:
            break
        time.sleep(2)
    assert resp.status_code in (200, 201), resp.text
    backfill_id = resp.json()["id"]
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    while time.monotonic() < deadline:
        runs = server.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100}).json()["dag_runs"]
        mine = [
            r for r in runs if r.get("run_type") == "backfill" and r.get("backfill_id") in (backfill_id, None)
        ]
        mine = [r for r in mine if r["data_interval_start"][:10] in {d.isoformat() for d in DAYS}]
        done = [r for r in mine if r["state"] in ("success", "failed")]
        if len(mine) >= len(DAYS) and len(done) == len(mine) and _backfill_completed(server, backfill_id):
            return mine
        time.sleep(5)
    raise TimeoutError(f"backfill {backfill_id} did not finish:\n{server.log_tail()}")


def _wait_quiet(server, timeout_s: float = 120) -> None:
    """Wait until no run of the nightly DAG is queued or running (fewer writers on SQLite)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        resp = server.api(
            "GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100, "state": ["queued", "running"]}
        )
        if resp.status_code == 200 and not resp.json()["dag_runs"]:
            return
        time.sleep(3)


def _backfill_completed(server, backfill_id: int) -> bool:
    resp = server.api("GET", f"/backfills/{backfill_id}")
    return resp.status_code == 200 and resp.json().get("completed_at") is not None


def test_backfill_of_three_days_lands_three_partitions_and_rerun_keeps_record_ids(
    airflow_server, s3_server
) -> None:
    from tests.conftest import make_store

    server = airflow_server
    wait_for_dag(server, DAG_ID)
    # Deployed with paused-at-creation on, the DAG still comes up active (is_paused_upon_creation=False):
    # backfill runs of a paused DAG would stay queued forever.
    assert server.api("GET", f"/dags/{DAG_ID}").json()["is_paused"] is False
    runs = _backfill(server)
    assert sorted(r["data_interval_start"][:10] for r in runs) == [d.isoformat() for d in DAYS]

    store = make_store(s3_server.url, server.bucket)
    first = {day: read_partition(store, curated_partition(day)) for day in DAYS}
    for day, rows in first.items():
        assert rows, f"no curated records for {day}"
        assert all(r["record_id"] for r in rows)
    # each day's partition holds that day's pages only
    assert (
        len({r["canonical_url"] for r in first[DAYS[0]]} & {r["canonical_url"] for r in first[DAYS[2]]}) == 0
    )

    # Each landing emits the curated Asset; the rollups DAG is scheduled on it.
    deadline = time.monotonic() + 180
    while not store.exists("rollups/strike_counts/monthly_totals/_manifest.json"):
        assert time.monotonic() < deadline, f"rollups never built:\n{server.log_tail()}"
        time.sleep(5)
    runs = server.api("GET", "/dags/conflict_news_rollups/dagRuns").json()["dag_runs"]
    assert any(r["run_type"] == "asset_triggered" for r in runs)

    _backfill(server)
    second = {day: read_partition(store, curated_partition(day)) for day in DAYS}
    for day in DAYS:
        ids = [r["record_id"] for r in second[day]]
        assert len(ids) == len(set(ids)), f"duplicates in {day}"
        assert sorted(ids) == sorted(r["record_id"] for r in first[day])
