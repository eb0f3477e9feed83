"""The "Validation report" extra link of the nightly DAG's ``validate`` task instances.

A global operator extra link (the ``validate`` task is a ``@task`` function, whose operator class is
shared by every task): it answers with a URL only for ``validate`` of ``conflict_news_nightly`` and
with nothing for every other task, which the UI shows as no link. The API server evaluates it when
the task instance page asks for its links; the run's day comes from the DagRun as the tasks resolve
it (``conflict_ingest.pipeline.context.resolve_day``), so the link opens exactly the report that
``validate`` wrote under ``reports/validation/dt=DAY/RUN/``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    import datetime as dt

    from airflow.sdk.types import TaskInstanceKey

logger = logging.getLogger(__name__)

NIGHTLY_DAG_ID = "conflict_news_nightly"
VALIDATE_TASK_ID = "validate"
REPORT_PATH = "/strike-counts/report"


def report_url(day: dt.date, run_id: str, base_url: str = "") -> str:
    """The app's page of one run's report, as a path under the API server's base URL's path."""
    base = urlsplit(base_url).path.rstrip("/")
    return f"{base}{REPORT_PATH}?{urlencode({'day': day.isoformat(), 'run_id': run_id})}"


def run_day(dag_id: str, run_id: str) -> dt.date | None:
    """The day of news a run of the nightly DAG covers (None when the run is gone or its day is bad)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from conflict_ingest.errors import ConflictIngestError
    from conflict_ingest.pipeline.context import resolve_day

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if run is None:
            return None
        try:
            return resolve_day(
                requested=(run.conf or {}).get("day"),
                data_interval_start=run.data_interval_start,
                data_interval_end=run.data_interval_end,
                run_after=run.run_after,
            )
        except ConflictIngestError as exc:
            logger.warning("no report link for %s: %s", run_id, exc)
            return None


class ValidationReportLink(BaseOperatorLink):
    name = "Validation report"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        if ti_key.dag_id != NIGHTLY_DAG_ID or ti_key.task_id != VALIDATE_TASK_ID:
            return ""
        from airflow.configuration import conf

        day = run_day(ti_key.dag_id, ti_key.run_id)
        if day is None:
            return ""
        return report_url(day, ti_key.run_id, conf.get("api", "base_url", fallback=""))
