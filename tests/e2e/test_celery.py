"""Scale-out proof: the nightly DAG on CeleryExecutor with two workers lands what ``dag.test()`` lands.

The deployment (tests/e2e/distributed.py) is the distributed one: PostgreSQL metadata database,
Redis broker, API server, scheduler, dag-processor and two ``airflow celery worker`` processes,
each a process of its own. One nightly run for 2016-12-01 is triggered through the REST API; its
task instances must have run on both workers, through Celery, and its curated and quarantined
records must equal, field by field, those of a ``dag.test()`` run of the same day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.distributed import CeleryAirflow, celery_airflow
from tests.helpers import run_nightly, wait_for_dag

from conflict_ingest.dev.stack import MailServer, smtp_connection
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition
from conflict_ingest.storage.store import ObjectStore

DAG_ID = "conflict_news_nightly"
DAY = dt.date(2016, 12, 1)
WORKERS = ("worker-a", "worker-b")
RUN_TIMEOUT_S = 900
#: Fields that differ between two runs by design: when the page was fetched.
RUN_SPECIFIC = frozenset({"fetched_at"})
CELERY_LOG_LINE = "Executing workload in Celery"
POOLS = json.loads((Path(__file__).resolve().parents[2] / "include" / "pools.json").read_text())


@dataclass
class CeleryRun:
    airflow: CeleryAirflow
    run: dict[str, Any]
    task_instances: list[dict[str, Any]]
    worker_logs: dict[str, str]
    store: ObjectStore


def _trigger(airflow: CeleryAirflow) -> str:
    after = DAY + dt.timedelta(days=1)
    body = {"logical_date": f"{after.isoformat()}T00:00:00Z", "conf": {"day": DAY.isoformat()}}
    resp = airflow.api("POST", f"/dags/{DAG_ID}/dagRuns", json=body)
    assert resp.status_code in (200, 201), resp.text
    run_id: str = resp.json()["dag_run_id"]
    return run_id


def _wait_for_run(airflow: CeleryAirflow, run_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}").json()
        return run if run["state"] in ("success", "failed") else None

    return airflow.wait_until(finished, f"run {run_id}", RUN_TIMEOUT_S)


def _task_instances(airflow: CeleryAirflow, run_id: str) -> list[dict[str, Any]]:
    resp = airflow.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 500})
    resp.raise_for_status()
    tis: list[dict[str, Any]] = resp.json()["task_instances"]
    return tis


@pytest.fixture(scope="module")
def celery_run(e2e_postgres, s3_server, sample_site) -> Iterator[CeleryRun]:
    from tests.conftest import make_store

    mail = MailServer().start()
    try:
        extra = {"AIRFLOW__CORE__PARALLELISM": "8", "AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(mail.port)}
        with celery_airflow(
            e2e_postgres, s3_server.url, sample_site.url, name="e2e-celery", workers=WORKERS, extra_env=extra
        ) as af:
            wait_for_dag(af, DAG_ID)
            run_id = _trigger(af)
            run = _wait_for_run(af, run_id)
            tis = _task_instances(af, run_id)
            logs = {w: af.logs[w].read_text(errors="replace") for w in WORKERS}
            yield CeleryRun(af, run, tis, logs, make_store(s3_server.url, af.bucket))
    finally:
        mail.stop()


def _ti_name(ti: dict[str, Any]) -> str:
    return ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]"


def test_every_task_but_the_gate_succeeds_on_celery(celery_run: CeleryRun) -> None:
    tis = celery_run.task_instances
    tail = celery_run.airflow.log_tail()
    # the seed page's conflicting pair is quarantined, so the gate fails the run, as with dag.test()
    assert celery_run.run["state"] == "failed", tail
    assert {ti["state"] for ti in tis if ti["task_id"] == "gate"} == {"failed"}
    others = {_ti_name(ti): ti["state"] for ti in tis if ti["task_id"] != "gate"}
    assert {name for name, state in others.items() if state not in ("success", "skipped")} == set(), (
        f"{others}\n{tail}"
    )
    # stages may be grouped (``<family>.fetch``); a group with nothing to do is skipped
    for suffix in ("discover", "fetch", "clean", "extract"):
        stage = [ti for ti in tis if ti["task_id"].rsplit(".", 1)[-1] == suffix]
        assert any(ti["state"] == "success" for ti in stage), f"no {suffix} task ran: {stage}"
    fetched = [ti for ti in tis if ti["task_id"].rsplit(".", 1)[-1] == "fetch" and ti["state"] == "success"]
    # fetches ran in the pools imported from include/pools.json (a missing pool never schedules)
    assert {ti["pool"] for ti in fetched} <= set(POOLS), {ti["pool"] for ti in fetched}


def test_task_instances_ran_on_both_celery_workers(celery_run: CeleryRun) -> None:
    airflow = celery_run.airflow
    # the scheduler loaded the Celery executor, and each worker consumed the test's Redis
    scheduler_log = airflow.logs["scheduler"].read_text(errors="replace")
    assert re.search(r"Loaded executor: :?CeleryExecutor", scheduler_log), airflow.log_tail()
    for worker, log in celery_run.worker_logs.items():
        assert f"Connected to redis://:**@127.0.0.1:{airflow.broker.port}/0" in log, f"{worker}: no broker"
        assert f"{worker}@127.0.0.1 ready." in log
    ran = [ti for ti in celery_run.task_instances if ti["state"] in ("success", "failed")]
    assert ran
    # each worker names itself (Airflow's hostname_callable), so the TI's hostname is its worker
    by_worker = {w: [_ti_name(ti) for ti in ran if ti["hostname"] == w] for w in WORKERS}
    assert all(by_worker.values()), f"a worker ran nothing: {by_worker}"
    assert {ti["hostname"] for ti in ran} == set(WORKERS)
    for ti in ran:
        # the Celery worker whose hostname the TI carries received the workload from the broker
        # and ran it; the other worker never saw it
        pattern = re.compile(rf"{CELERY_LOG_LINE}:.*{re.escape(str(ti['id']))}")
        seen = {w for w, log in celery_run.worker_logs.items() if pattern.search(log)}
        assert seen == {ti["hostname"]}, f"{_ti_name(ti)} ({ti['id']}) in the logs of {seen}"
        assert ti["queue"] == "default"
        assert ti["executor"] in (None, "CeleryExecutor")


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_id = {r["record_id"]: r for r in rows}
    assert len(by_id) == len(rows), "duplicate record ids"
    return by_id


def _assert_same_rows(got: list[dict[str, Any]], want: list[dict[str, Any]], zone: str) -> None:
    got_by_id, want_by_id = _by_id(got), _by_id(want)
    assert set(got_by_id) == set(want_by_id), f"{zone}: record ids differ"
    for record_id, want_row in want_by_id.items():
        got_row = got_by_id[record_id]
        assert set(got_row) == set(want_row), f"{zone} {record_id}: fields differ"
        for name in sorted(set(want_row) - RUN_SPECIFIC):
            assert got_row[name] == want_row[name], (
                f"{zone} {record_id}: {name} {got_row[name]!r} != {want_row[name]!r}"
            )
        assert got_row["fetched_at"] is not None


def test_celery_run_lands_the_same_records_as_dag_test(
    celery_run: CeleryRun, airflow_env: dict[str, str], store: ObjectStore
) -> None:
    distributed_curated = read_partition(celery_run.store, curated_partition(DAY))
    distributed_held = read_partition(celery_run.store, quarantine_partition(DAY))

    run_nightly(DAY)  # the same day, in this process, into the session's test bucket
    local_curated = read_partition(store, curated_partition(DAY))
    local_held = read_partition(store, quarantine_partition(DAY))

    assert local_curated and local_held, "the dag.test() run landed nothing to compare with"
    _assert_same_rows(distributed_curated, local_curated, "curated")
    _assert_same_rows(distributed_held, local_held, "quarantine")
