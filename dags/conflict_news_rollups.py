"""
### Conflict news rollups

Runs whenever the nightly DAG (or a backfill, or a manual run) lands curated records: the
`curated_strike_counts` Asset event schedules it. Rebuilds, from every committed curated
partition, the tables analysts read first:

- `rollups/strike_counts/monthly_totals/`: per month, actor, metric and location;
- `rollups/strike_counts/cross_source/`: statements several sources report, and whether they agree;
- `rollups/strike_counts/source_health/`: per night and source, URLs discovered, pages fetched and
  failed, pages read for counts, records extracted, landed and held (from the nights' run summaries
  and manifests; one run per source and night).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import dag, task

from common import adapters as af
from conflict_ingest.timeouts import ROLLUPS_TIMEOUT

#: The settings this file reads when parsed.
PARSED = af.parsed()
CURATED_ASSET = af.curated_asset(PARSED.bucket)
ROLLUPS_ASSET = af.rollups_asset(PARSED.bucket)


@dag(
    dag_id="conflict_news_rollups",
    schedule=[CURATED_ASSET],
    start_date=pendulum.datetime(2014, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    default_args=af.default_args(PARSED),
    tags=["conflict-ingest", "rollups", "asset-driven"],
    doc_md=__doc__,
)
def conflict_news_rollups() -> None:
    @task(outlets=[ROLLUPS_ASSET], execution_timeout=ROLLUPS_TIMEOUT)
    def build() -> dict[str, Any]:
        """Rebuild the monthly totals, the cross-source table and the per-source health."""
        from conflict_ingest.rollups import build_rollups

        return build_rollups(af.store(ensure_bucket=True))

    build()


conflict_news_rollups()
