"""The view's FastAPI app: thin routes that call ``conflict_ingest.ui`` and render escaped templates.

Every route requires an authenticated Airflow user who may read the nightly DAG's runs (the auth
manager's own dependency, as the REST API's routes use it: no token or cookie -> 401, a user without
that permission -> 403). Every route only reads. Templates are rendered with autoescape on, so every
string from a page (titles, evidence, actors, URLs) is text, never markup; the pages load no script
and nothing from another origin (a Content-Security-Policy says so to the browser).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from conflict_ingest.errors import ConflictIngestError
from strike_counts import bucket
from strike_counts.links import NIGHTLY_DAG_ID

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: No script, no frame of ours inside another site, nothing fetched from elsewhere; inline styles only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True
    )
    env.filters["num"] = lambda value: "–" if value is None else f"{int(value):,}"
    env.filters["counts"] = lambda mapping: ", ".join(f"{k} ({v})" for k, v in sorted(mapping.items()))
    return env


def ui_base() -> str:
    """The path of the Airflow UI's root (``[api] base_url``'s path), ending in ``/``."""
    from urllib.parse import urlsplit

    from airflow.configuration import conf

    return urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/") + "/"


def _requires_reader() -> Any:
    """The auth manager's check: the user may read the nightly DAG's runs (401 without a user)."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag

    return Depends(requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=NIGHTLY_DAG_ID))


def create_app() -> FastAPI:
    """The app the plugin mounts under ``/strike-counts``."""
    app = FastAPI(
        title="Strike counts",
        dependencies=[_requires_reader()],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    env = templates()

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("bucket", "")
        return HTMLResponse(env.get_template(name).render(**context), status_code=status_code)

    def refused(exc: ConflictIngestError) -> HTMLResponse:
        return page("error.html", status_code=400, message=str(exc))

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        """The monthly totals (chart and table, filtered), the last nights and the days with held records."""
        from conflict_ingest.storage.partitions import IncompletePartition
        from conflict_ingest.ui import TotalsQuery, charts_by_metric, last_nights, monthly_totals
        from conflict_ingest.ui.data import held_days

        try:
            query = TotalsQuery.from_params(dict(request.query_params))
        except ConflictIngestError as exc:
            return refused(exc)
        store = bucket.store()
        try:
            totals = monthly_totals(store, query)
            problem = None
        except IncompletePartition as exc:
            totals, problem = None, str(exc)
        return page(
            "index.html",
            bucket=store.bucket,
            query=query,
            totals=totals,
            problem=problem,
            charts=charts_by_metric(totals.series, width=600, height=260) if totals else [],
            nights=last_nights(store),
            held_days=held_days(store)[:31],
        )

    @app.get("/held", response_class=HTMLResponse)
    def held(day: str | None = None) -> HTMLResponse:
        """The records held back on a day, with their evidence, page and broken expectations, the
        reviews of them that wait for an answer (a link to Airflow's form) and the decisions made."""
        from conflict_ingest.inputs import parse_day
        from conflict_ingest.ui import held_records, open_reviews, review_form_path
        from conflict_ingest.ui.data import held_days

        store = bucket.store()
        days = held_days(store)
        try:
            chosen = parse_day(day) if day else (days[0] if days else None)
        except ConflictIngestError as exc:
            return refused(exc)
        reviews = open_reviews(store, chosen) if chosen else []
        return page(
            "held.html",
            bucket=store.bucket,
            days=days[:62],
            held=held_records(store, chosen) if chosen else None,
            reviews=[(r, ui_base() + review_form_path(r.run_id)) for r in reviews],
            awaiting={record_id for r in reviews for record_id in r.record_ids},
        )

    @app.get("/report")
    def report(day: str, run_id: str) -> Response:
        """One run's validation report, as it was written (its strings were escaped then)."""
        from conflict_ingest.inputs import parse_day
        from conflict_ingest.ui import run_report

        try:
            when: dt.date = parse_day(day)
        except ConflictIngestError as exc:
            return refused(exc)
        html = run_report(bucket.store(), when, run_id[:250])
        if html is None:
            return page(
                "error.html", status_code=404, message=f"no validation report for run {run_id!r} of {when}"
            )
        return Response(content=html, media_type="text/html; charset=utf-8")

    return app
