"""A three-day backfill created the way the UI creates it, through a real scheduler and API server."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from tests.e2e.deployment import ComponentDied
from tests.helpers import wait_for_dag

from conflict_ingest.storage.keys import curated_partition
from conflict_ingest.storage.partitions import read_partition

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
    resp = server.api("POST", "/backfills", json=body)
    assert resp.status_code in (200, 201), resp.text
    backfill_id = resp.json()["id"]

    def finished() -> list[dict] | None:
        runs = server.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100}).json()["dag_runs"]
        mine = [
            r for r in runs if r.get("run_type") == "backfill" and r.get("backfill_id") in (backfill_id, None)
        ]
        mine = [r for r in mine if r["data_interval_start"][:10] in {d.isoformat() for d in DAYS}]
        done = [r for r in mine if r["state"] in ("success", "failed")]
        if len(mine) >= len(DAYS) and len(done) == len(mine) and _backfill_completed(server, backfill_id):
            return mine
        return None

    return server.wait_until(finished, f"backfill {backfill_id}", BACKFILL_TIMEOUT_S, 5)


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
    server.wait_until(
        lambda: store.exists("rollups/strike_counts/monthly_totals/_manifest.json"), "the rollups", 300, 5
    )
    runs = server.api("GET", "/dags/conflict_news_rollups/dagRuns").json()["dag_runs"]
    assert any(r["run_type"] == "asset_triggered" for r in runs)

    _backfill(server)
    second = {day: read_partition(store, curated_partition(day)) for day in DAYS}
    for day in DAYS:
        ids = [r["record_id"] for r in second[day]]
        assert len(ids) == len(set(ids)), f"duplicates in {day}"
        assert sorted(ids) == sorted(r["record_id"] for r in first[day])


def test_the_nightly_schedule_makes_no_run_of_its_own_during_the_tests(airflow_server) -> None:
    # The e2e deployment sets CONFLICT_INGEST_NIGHTLY_END_DATE: the DAG stays active (backfills and
    # triggered runs of 2016 ran above), but its timetable has no next run, so no run for "today"
    # takes the slots the tests' runs need.
    server = airflow_server
    assert server.env["CONFLICT_INGEST_NIGHTLY_END_DATE"] < dt.date.today().isoformat()
    dag = server.api("GET", f"/dags/{DAG_ID}").json()
    assert dag["is_paused"] is False
    assert dag["next_dagrun_run_after"] is None, dag
    runs = server.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100}).json()["dag_runs"]
    assert runs, "the backfills made no runs"
    assert [r["dag_run_id"] for r in runs if r["run_type"] == "scheduled"] == []


def test_a_dead_scheduler_fails_the_wait_at_once_with_its_log(airflow_server) -> None:
    # Last in this module: it kills the module's scheduler (and its LocalExecutor workers), as a
    # crash (StaleDataError, OOM) would. A test waiting for Airflow must fail at once with the
    # scheduler's log, not hang until its timeout.
    server = airflow_server
    proc, log = server.watchdog.procs["scheduler"]
    assert "scheduler" in log.read_text(errors="replace").lower()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with pytest.raises(ComponentDied) as died:
        server.wait_until(lambda: False, "something the scheduler would do", timeout_s=3600)
    message = str(died.value)
    assert message.startswith(f"scheduler (pid {proc.pid}) exited with -{int(signal.SIGKILL)}")
    assert f"--- scheduler: {log} ---" in message
    last_line = log.read_text(errors="replace").splitlines()[-1]
    assert last_line in message
    # every REST call of a test fails the same way
    with pytest.raises(ComponentDied, match="scheduler"):
        server.api("GET", f"/dags/{DAG_ID}")
