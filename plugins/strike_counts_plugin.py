"""The "Strike counts" plugin: a view of the bucket in the Airflow UI, for the people who use the pipeline.

- a FastAPI app mounted on the API server under ``/strike-counts`` (``strike_counts.app``): the
  monthly curated totals (chart and table, with filters), the last nights, the held records of a
  day and each run's validation report; every endpoint requires an authenticated Airflow user
  allowed to read the nightly DAG's runs, and only reads;
- a navigation entry on the UI's navigation bar (an external view: the app's page shown inside the UI,
  in an iframe, at ``/plugin/strike-counts``);
- the extra link "Validation report" on the nightly DAG's ``validate`` task instances.

The app is built on first use (``fastapi_apps`` is read by the API server only), so the scheduler,
DAG processor and workers, which load plugins too, import nothing of FastAPI's or the auth manager's.
"""

from __future__ import annotations

import functools
from typing import Any

from airflow.plugins_manager import AirflowPlugin
from strike_counts.links import ValidationReportLink

URL_PREFIX = "/strike-counts"


@functools.cache
def _apps() -> list[dict[str, Any]]:
    from strike_counts.app import create_app

    return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Strike counts"}]


class StrikeCountsPlugin(AirflowPlugin):
    name = "strike_counts"
    external_views = [
        {
            "name": "Strike counts",
            "href": URL_PREFIX.lstrip("/") + "/",  # relative to the UI's base URL
            "url_route": "strike-counts",
            "destination": "nav",
            "nav_top_level": True,  # on the navigation bar itself, not in a "Plugins" menu
        }
    ]
    global_operator_extra_links = [ValidationReportLink()]

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return _apps()
