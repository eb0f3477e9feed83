"""The e2e deployment's ``CONFLICT_INGEST_NIGHTLY_END_DATE``: no scheduled run for today, 2016 still runs.

Checked on the DAG as the scheduler sees it (serialized): its next scheduled run, the runs a
backfill of the tests' days makes, and which tasks a run gets (a run whose logical date is after
a task's end date gets no instance of it; a run without a logical date gets them all).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.e2e.deployment import NIGHTLY_END_DATE
from tests.helpers import DAGS_DIR

END_VAR = "CONFLICT_INGEST_NIGHTLY_END_DATE"
#: The logical dates the e2e suites use: backfill days, the Celery run for 2016-12-01 (at 12-02).
TEST_DAYS = [dt.datetime(2016, 11, 30, tzinfo=dt.UTC), dt.datetime(2016, 12, 2, tzinfo=dt.UTC)]


def _scheduled_nightly(monkeypatch: pytest.MonkeyPatch, end: str | None) -> Any:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    if end is None:
        monkeypatch.delenv(END_VAR, raising=False)
    else:
        monkeypatch.setenv(END_VAR, end)
    bag = DagBag(dag_folder=str(DAGS_DIR / "conflict_news_nightly.py"))
    assert bag.import_errors == {}
    return DagSerialization.from_dict(DagSerialization.to_dict(bag.dags["conflict_news_nightly"]))


def test_with_the_e2e_end_date_the_nightly_dag_schedules_no_run_for_today(monkeypatch) -> None:
    assert TEST_DAYS[-1].date() < NIGHTLY_END_DATE < dt.date.today() - dt.timedelta(days=1)
    dag = _scheduled_nightly(monkeypatch, NIGHTLY_END_DATE.isoformat())
    assert dag.end_date == dt.datetime.combine(NIGHTLY_END_DATE, dt.time(), dt.UTC)
    assert dag.next_dagrun_info(last_automated_run_info=None) is None
    # a backfill of the tests' days still makes its runs, and their tasks are not cut off
    infos = list(dag.iter_dagrun_infos_between(TEST_DAYS[0], TEST_DAYS[-1]))
    assert [i.logical_date.date() for i in infos] == [
        dt.date(2016, 11, 30),
        dt.date(2016, 12, 1),
        dt.date(2016, 12, 2),
    ]
    assert all(t.end_date is not None and t.end_date >= TEST_DAYS[-1] for t in dag.tasks)


def test_without_the_setting_the_nightly_dag_schedules_the_day_that_just_ended(monkeypatch) -> None:
    dag = _scheduled_nightly(monkeypatch, None)
    assert dag.end_date is None
    info = dag.next_dagrun_info(last_automated_run_info=None)
    today = dt.datetime.now(dt.UTC).date()
    assert info is not None
    assert info.data_interval.start.date() in {today - dt.timedelta(days=1), today}
    assert all(t.end_date is None for t in dag.tasks)
