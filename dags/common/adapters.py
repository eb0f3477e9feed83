"""The Airflow side of the library, written once for the three DAG files.

Only cheap things happen at import (the DAG processor imports this with every DAG file): the parse-time
settings, the Assets, default arguments. Everything else (S3 and SMTP hooks, the library's stages) is
imported inside the functions, which run in tasks.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, get_current_context

from conflict_ingest.settings import DagSettings, dag_settings
from conflict_ingest.timeouts import DEFAULT_TASK_TIMEOUT

if TYPE_CHECKING:
    from conflict_ingest.fetch.client import Fetcher
    from conflict_ingest.pipeline.context import RunContext
    from conflict_ingest.settings import Settings
    from conflict_ingest.sources.registry import Source
    from conflict_ingest.storage.store import ObjectStore

OWNER = "conflict-ingest"


def parsed() -> DagSettings:
    """The settings a DAG file reads when parsed (cheap; task settings are read by the tasks). Each DAG
    file calls this as it is parsed, so a re-parse sees the environment of that moment."""
    return dag_settings()


def curated_asset(bucket: str) -> Asset:
    """Landed by the nightly DAG's ``land``; schedules the rollups DAG."""
    return Asset(name="curated_strike_counts", uri=f"s3://{bucket}/curated/strike_counts/")


def rollups_asset(bucket: str) -> Asset:
    """Written by the rollups DAG."""
    return Asset(name="strike_count_rollups", uri=f"s3://{bucket}/rollups/strike_counts/")


def default_args(settings: DagSettings, **extra: Any) -> dict[str, Any]:
    """Every DAG's default task arguments (owner, two retries, the default timeout), plus ``extra``."""
    return {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": dt.timedelta(seconds=settings.retry_delay_s),
        **extra,
        "execution_timeout": DEFAULT_TASK_TIMEOUT,  # each task sets its own (conflict_ingest.timeouts)
    }


def settings() -> Settings:
    """The task's settings, read from the environment."""
    from conflict_ingest.settings import Settings

    return Settings.from_env()


@functools.cache
def s3_client(conn_id: str, pid: int) -> Any:
    """One S3 client per connection and process: tasks that share a process (``dag.test()``) share
    it; ``pid`` keeps a forked process from using its parent's connections."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=conn_id).get_conn()


def store(*, ensure_bucket: bool = False) -> ObjectStore:
    """The run's bucket; the first task makes sure it exists, the others find it there."""
    from conflict_ingest.storage.store import ObjectStore

    current = settings()
    out = ObjectStore(s3_client(current.aws_conn_id, os.getpid()), current.bucket)
    if ensure_bucket:
        out.ensure_bucket()
    return out


def run_context() -> RunContext:
    """The running task's day of news and run id."""
    from conflict_ingest.pipeline.context import RunContext, resolve_day

    ctx = get_current_context()
    dag_run = ctx["dag_run"]
    day = resolve_day(
        requested=(ctx.get("params") or {}).get("day"),
        data_interval_start=ctx.get("data_interval_start"),
        data_interval_end=ctx.get("data_interval_end"),
        run_after=getattr(dag_run, "run_after", None),
    )
    return RunContext(day=day, run_id=ctx["run_id"])


def params() -> dict[str, Any]:
    """The run's parameters (the trigger form)."""
    return dict(get_current_context().get("params") or {})


def source(store: ObjectStore, run: RunContext, source_id: str) -> Source:
    """One of the run's sources, as `list_sources` planned them (configured ones and/or the form's URLs)."""
    from conflict_ingest.pipeline.plan import run_sources

    found: Source = run_sources(store, run)[source_id]
    return found


def alert_senders(current: Settings) -> dict[str, Any]:
    """The alert channels: mail through the SMTP connection, and the webhook when one is set."""
    from conflict_ingest.alerts import send_webhook

    senders: dict[str, Any] = {}
    if current.alert_to:

        def email(message: Any) -> None:
            from airflow.providers.smtp.hooks.smtp import SmtpHook

            with SmtpHook(smtp_conn_id=current.smtp_conn_id) as hook:
                hook.send_email_smtp(
                    to=list(current.alert_to), subject=message.subject, html_content=message.html_body()
                )

        senders["email"] = email
    if current.alert_webhook_url:
        senders["webhook"] = functools.partial(send_webhook, current.alert_webhook_url)
    return senders


def fetcher() -> Fetcher:
    """The fetcher a task uses, with the configured User-Agent and private-address policy."""
    from conflict_ingest.fetch.client import Fetcher

    current = settings()
    return Fetcher(user_agent=current.user_agent, allow_private=current.allow_private_urls)


#: The nightly DAG's human-in-the-loop task (the review of held records) and its form's comment field.
REVIEW_TASK_ID = "review_held_records"


def review_response(task_id: str = REVIEW_TASK_ID) -> dict[str, Any] | None:
    """The review's answer (the HITL task's result: ``chosen_options``, ``params_input``,
    ``responded_by_user``, ``responded_at``), or None when it got none (timed out, skipped, failed)."""
    ti = get_current_context()["ti"]
    found = ti.xcom_pull(task_ids=task_id, map_indexes=0, default=None)
    return dict(found) if isinstance(found, dict) else None


def review_url(dag_id: str, run_id: str, task_id: str = REVIEW_TASK_ID) -> str:
    """The review's form in the Airflow UI: ``[api] base_url`` +
    ``/dags/DAG/runs/RUN/tasks/TASK/mapped/0/required_actions``, the link the UI itself makes to a
    mapped task instance's required action (the review is the one mapped instance, index 0, of its
    task). ``HITLOperator.generate_link_to_ui`` builds ``.../tasks/TASK/required_actions?map_index=0``,
    but the 3.3 UI reads no ``map_index`` parameter, so that page would not find a mapped review."""
    from urllib.parse import quote

    from airflow.sdk.configuration import conf

    base = (conf.get("api", "base_url", fallback=None) or "http://localhost:8080").rstrip("/")
    return (
        f"{base}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe=':+@')}/tasks/"
        f"{quote(task_id, safe='')}/mapped/0/required_actions"
    )
