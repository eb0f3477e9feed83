"""
### Conflict news rollups

Runs whenever the nightly DAG (or a backfill, or a manual run) lands curated records: the
`curated_strike_counts` Asset event schedules it. Rebuilds, from every committed curated
partition, the tables analysts read first:

- `rollups/strike_counts/monthly_totals/`: per month, actor, metric and location;
- `rollups/strike_counts/cross_source/`: statements several sources report, and whether they agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

from conflict_ingest.settings import dag_settings
from conflict_ingest.timeouts import DEFAULT_TASK_TIMEOUT, ROLLUPS_TIMEOUT

PARSED = dag_settings()
BUCKET = PARSED.bucket
CURATED_ASSET = Asset(name="curated_strike_counts", uri=f"s3://{BUCKET}/curated/strike_counts/")
ROLLUPS_ASSET = Asset(name="strike_count_rollups", uri=f"s3://{BUCKET}/rollups/strike_counts/")
RETRY_DELAY_S = PARSED.retry_delay_s


@dag(
    dag_id="conflict_news_rollups",
    schedule=[CURATED_ASSET],
    start_date=pendulum.datetime(2014, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    default_args={
        "owner": "conflict-ingest",
        "retries": 2,
        "retry_delay": dt.timedelta(seconds=RETRY_DELAY_S),
        "execution_timeout": DEFAULT_TASK_TIMEOUT,
    },
    tags=["conflict-ingest", "rollups", "asset-driven"],
    doc_md=__doc__,
)
def conflict_news_rollups() -> None:
    @task(outlets=[ROLLUPS_ASSET], execution_timeout=ROLLUPS_TIMEOUT)
    def build() -> dict[str, Any]:
        """Rebuild the monthly totals and the cross-source table from the curated zone."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        from conflict_ingest.rollups import build_rollups
        from conflict_ingest.settings import Settings
        from conflict_ingest.storage import ObjectStore

        settings = Settings.from_env()
        store = ObjectStore(S3Hook(aws_conn_id=settings.aws_conn_id).get_conn(), settings.bucket)
        store.ensure_bucket()
        return build_rollups(store)

    build()


conflict_news_rollups()
