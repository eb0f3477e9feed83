"""
### Conflict news, nightly

Reads every source in `include/sources.yaml` for one day of news and lands validated
strike-count records in S3.

`list_sources` -> `discover` (per source) -> per fetch family, a task group: `collect_batches`
-> `fetch` -> `clean` -> `extract`, each mapped over bounded batches of pages, `fetch` in the
family's pool `fetch_<family>` -> `validate` (Great Expectations) -> `land` (curated Parquet, Asset `curated_strike_counts`)
-> `plan_review` -> `review_held_records` -> `apply_review` -> `gate` (fails the run when held records
were not all reviewed or a source did not complete); `alert` (after `land` and `plan_review`, whatever
happened) mails `CONFLICT_INGEST_ALERT_TO` through the
`smtp_default` connection, and posts to `CONFLICT_INGEST_ALERT_WEBHOOK_URL` when set, whenever
the run has something to say: records held back, warnings, a source that did not complete, or a
validation that did not run. A clean run sends nothing. If an alert cannot be delivered, the
`alert` task fails with the reason, and the run's `summary.json`, `alert.json` and report record
`alert_delivery: failed`.

**Reviewing held records:** when the night holds records back (they broke a critical expectation),
`review_held_records` asks for a decision in Airflow's *Required actions*
(`/dags/conflict_news_nightly/runs/RUN_ID/tasks/review_held_records/mapped/0/required_actions`,
linked from the alert): tick the records to release to curated (they land with
`released_by_reviewer = true`, your name and comment), or "Keep all held"; add a comment. The others
stay in quarantine, marked reviewed. Decisions are stored under `reviews/strike_counts/dt=DAY/` and
applied again by every re-run or backfill of the day; records already decided are not asked about
again (the review is skipped when none is left). No answer within `CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS`
(24 h; 0 turns reviews off) keeps everything held and the run ends failed; a reviewed night ends green.

**Which day:** the timetable has one-day data intervals starting at 00:00 UTC; the run that
starts after midnight reads the day that just ended (`dt` = data interval start). A manual run
may set the `day` parameter; a run with no interval reads the day before it was triggered.

**Trigger with a form:** `source_ids` limits the run to some configured sources; `urls` fetches,
parses and lands exactly those pages (an ad-hoc source `manual-<hash of the URL set>`, in the
partition of the run's day); `mode` chooses where pages come from: `auto` (the raw zone when the
day's pages are there, else the network), `raw` (no network) or `refetch`.

**Politeness across workers:** sources that share hosts share a `family` in `sources.yaml`; the
family's Airflow pool (`include/pools.json`, imported with `airflow pools import`) bounds how many of
its batches are fetched at once on all workers together. Families are read from `sources.yaml` when
this file is parsed (a local file read; nothing else happens at import).

A failed source or page never stops the others: mapped tasks fail alone, `validate` and `land`
run for whatever completed, and `gate` makes the run show the failure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import CronDataIntervalTimetable, Param, TaskGroup, dag, get_current_context, task

from common import adapters as af
from conflict_ingest.settings import MAX_URLS_PER_RUN
from conflict_ingest.sources.families import fetch_families, fetch_pool
from conflict_ingest.timeouts import (
    ALERT_TIMEOUT,
    APPLY_REVIEW_TIMEOUT,
    CLEAN_TIMEOUT,
    DISCOVER_TIMEOUT,
    EXTRACT_TIMEOUT,
    FETCH_TIMEOUT,
    GATE_TIMEOUT,
    LAND_TIMEOUT,
    PLAN_TIMEOUT,
    VALIDATE_TIMEOUT,
)

DAG_ID = "conflict_news_nightly"
#: The settings this file reads when parsed.
PARSED = af.parsed()
CURATED_ASSET = af.curated_asset(PARSED.bucket)
#: One fetch lane (task group) per family; read from sources.yaml at parse time, a local file.
FAMILIES = fetch_families(PARSED.sources_path)

default_args = af.default_args(
    PARSED, retry_exponential_backoff=True, max_retry_delay=dt.timedelta(minutes=10)
)


@dag(
    dag_id=DAG_ID,
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2014, 1, 1, tz="UTC"),
    # Unset in production. The e2e tests set a past day (after the days they backfill) so the DAG's
    # own run for today never competes with theirs; backfills and triggered runs before it still run.
    end_date=PARSED.nightly_end_date,
    catchup=False,
    is_paused_upon_creation=False,  # backfill runs of a paused DAG would stay queued forever
    max_active_runs=3,
    default_args=default_args,
    tags=["conflict-ingest", "ingestion", "nightly"],
    doc_md=__doc__,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Day",
            description="Day of news to read (YYYY-MM-DD, from 1990-01-01 to tomorrow UTC); its partition is "
            "replaced. Empty: the run's data interval.",
        ),
        "source_ids": Param(
            [],
            type="array",
            # (?![\s\S]) ends the id: "$" would let a trailing newline through (JSON schema has no \Z)
            items={"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*(?![\\s\\S])"},
            title="Sources",
            description="Only these configured sources (ids from include/sources.yaml). Empty: all of them, "
            "unless URLs are given.",
        ),
        "urls": Param(
            [],
            type="array",
            # http(s), a host without user:password@, no blanks, nothing after the end (JSON schema has no \Z);
            # list_sources checks each URL again (conflict_ingest.inputs.check_page_url)
            items={"type": "string", "pattern": r"^https?://[^\s/?#@\\]+(?:[/?#]\S*)?(?![\s\S])"},
            maxItems=MAX_URLS_PER_RUN,
            title="Pages",
            description="Fetch, parse and land exactly these pages (one per line). Untrusted: URLs with credentials "
            "(user:password@) are refused; private, loopback, link-local and metadata addresses are refused unless "
            "CONFLICT_INGEST_ALLOW_PRIVATE_URLS is set.",
        ),
        "mode": Param(
            "auto",
            enum=["auto", "raw", "refetch"],
            title="Pages from",
            description="auto: the raw zone when the day's pages are there, else the network; raw: only the raw "
            "zone (no network); refetch: always ask the sources.",
        ),
    },
)
def conflict_news_nightly() -> None:
    @task(execution_timeout=PLAN_TIMEOUT)
    def list_sources() -> list[str]:
        """Plan the run's sources (all configured ones, the chosen ids, and/or the form's URLs)."""
        from conflict_ingest.pipeline.plan import plan_sources
        from conflict_ingest.sources.registry import load_sources

        params = af.params()
        return plan_sources(
            af.store(ensure_bucket=True),
            af.run_context(),
            load_sources(af.settings().sources_path),
            source_ids=params.get("source_ids") or None,
            urls=params.get("urls") or None,
        )

    @task(max_active_tis_per_dagrun=4, execution_timeout=DISCOVER_TIMEOUT)
    def discover(source_id: str) -> int:
        """The source's article URLs for the day, written to S3 as bounded batches; returns their number."""
        from conflict_ingest.pipeline.discover import discover_stage

        store, run = af.store(), af.run_context()
        keys = discover_stage(
            store,
            run,
            af.source(store, run, source_id),
            af.fetcher(),
            batch_size=af.settings().batch_size,
            mode=af.params().get("mode") or "auto",
        )
        return len(keys)

    @task(trigger_rule="all_done", execution_timeout=PLAN_TIMEOUT)
    def collect_batches(source_ids: list[str], family: str) -> list[str]:
        """The batch keys of the family's sources whose discovery completed (read from S3, not XCom)."""
        from conflict_ingest.pipeline.discover import discovered_batches

        return discovered_batches(af.store(), af.run_context(), source_ids, FAMILIES)[family]

    @task(execution_timeout=FETCH_TIMEOUT)
    def fetch(batch_key: str) -> str:
        """Fetch a batch of pages into the raw zone; returns the key of its fetch manifest."""
        from conflict_ingest.pipeline.fetch import fetch_stage
        from conflict_ingest.storage.keys import batch_source_id

        source_id = batch_source_id(batch_key)
        store = af.store()
        return fetch_stage(store, batch_key, af.fetcher(), af.source(store, af.run_context(), source_id))[
            "key"
        ]

    @task(execution_timeout=CLEAN_TIMEOUT)
    def clean(fetched_key: str) -> str:
        """Clean the batch's raw pages (main text, title, dates); returns the cleaned batch key."""
        from conflict_ingest.pipeline.clean import clean_stage

        return clean_stage(af.store(), fetched_key)["key"]

    @task(execution_timeout=EXTRACT_TIMEOUT)
    def extract(cleaned_key: str) -> dict[str, Any]:
        """Extract strike-count records from the cleaned batch."""
        from conflict_ingest.pipeline.extract import extract_stage

        return extract_stage(af.store(), cleaned_key)

    # One `validate` and one `land` at a time across all runs (max_active_tis_per_dag=1): runs of
    # the same day overlap (max_active_runs=3, split urgent runs, a backfill, manual runs). Landing
    # is safe under concurrency by itself (land.write_partition commits its manifest with S3
    # conditional writes, retried on conflict); this is the second line: one writer of a day's
    # quarantine (validate) and curated (land) partitions at a time, so commits rarely conflict.
    # Airflow has no per-day limit short of a pool per day; both tasks are short, so serialising
    # all days costs little.
    @task(trigger_rule="all_done", max_active_tis_per_dag=1, execution_timeout=VALIDATE_TIMEOUT)
    def validate(source_ids: list[str]) -> dict[str, Any]:
        """Great Expectations gate: quarantine what breaks a critical expectation, write the report."""
        from conflict_ingest.pipeline.validate import validate_stage

        return validate_stage(af.store(), af.run_context(), source_ids, dag_id=DAG_ID)

    @task(outlets=[CURATED_ASSET], max_active_tis_per_dag=1, execution_timeout=LAND_TIMEOUT)  # see validate
    def land(summary: dict[str, Any]) -> dict[str, Any]:
        """Replace the day's curated partition (per completed source), manifest last."""
        from conflict_ingest.pipeline.land import land_stage

        return land_stage(af.store(), af.run_context())

    @task(execution_timeout=PLAN_TIMEOUT)
    def plan_review(landed: dict[str, Any]) -> list[dict[str, Any]]:
        """The held records no stored decision covers, as the review's subject, body and options
        (one mapping), or nothing (the review is skipped)."""
        from conflict_ingest.review.stage import plan_review as plan

        return plan(af.store(), af.run_context(), timeout_hours=af.settings().review_timeout_hours)["hitl"]

    # The review of held records: one mapped instance when there is something to review, none (skipped)
    # otherwise. It waits for a person in Airflow's "Required actions" (no worker slot, no triggerer on
    # Airflow 3.3); no answer within CONFLICT_INGEST_REVIEW_TIMEOUT_HOURS fails it: everything stays held.
    review_partial = HITLOperator.partial(
        task_id=af.REVIEW_TASK_ID,
        multiple=True,
        params={
            "comment": Param(
                "",
                type="string",
                title="Comment",
                description="Why (kept beside each record you release or keep).",
            )
        },
        # reviews off (0): never expanded (plan_review returns nothing); the limit is then moot
        response_timeout=dt.timedelta(hours=PARSED.review_timeout_hours or 24),
        retries=0,  # a retry would ask again and wait again
    )

    @task(
        trigger_rule="all_done",
        outlets=[CURATED_ASSET],
        max_active_tis_per_dag=1,  # see validate
        execution_timeout=APPLY_REVIEW_TIMEOUT,
    )
    def apply_review() -> dict[str, Any]:
        """Store the review's decisions in the bucket and land the day again (released records to
        curated, flagged; kept ones marked in quarantine). No answer: nothing decided, all held, and
        the task is skipped (nothing landed, so no curated Asset event)."""
        from airflow.sdk.exceptions import AirflowSkipException

        from conflict_ingest.review.stage import apply_review as apply

        applied = apply(af.store(), af.run_context(), af.review_response())
        if applied["status"] != "answered":
            raise AirflowSkipException(f"nothing to apply: {applied}")
        return applied

    # none_failed: a skipped apply_review (no review, or no answer) still leaves the verdict to the gate
    @task(retries=0, trigger_rule="none_failed", execution_timeout=GATE_TIMEOUT)
    def gate(summary: dict[str, Any], landed: dict[str, Any], reviewed: dict[str, Any]) -> dict[str, Any]:
        """Fail the run when held records were not all reviewed (read from the bucket) or a source did
        not complete."""
        from conflict_ingest.pipeline.gate import gate as check
        from conflict_ingest.review.stage import review_status

        return check(summary, review_status(af.store(), af.run_context()))

    @task(trigger_rule="all_done", execution_timeout=ALERT_TIMEOUT)
    def alert() -> dict[str, Any]:
        """Send the alert when the run has something to say (naming and linking the review, when one
        was opened); fail loudly when it cannot be sent."""
        from conflict_ingest.alerts import alert_stage
        from conflict_ingest.review.stage import review_for_alert

        ctx, run, settings, store = get_current_context(), af.run_context(), af.settings(), af.store()
        return alert_stage(
            store,
            day=run.day,
            run_id=run.run_id,
            dag_id=DAG_ID,
            bucket=settings.bucket,
            senders=af.alert_senders(settings),
            interval_start=ctx.get("data_interval_start"),
            interval_end=ctx.get("data_interval_end"),
            review=review_for_alert(store, run, af.review_url(DAG_ID, run.run_id)),
        )

    source_ids = list_sources()
    discovered = discover.expand(source_id=source_ids)
    summary = validate(source_ids)  # type: ignore[arg-type]  # XComArg stands for the value at run time
    for family in FAMILIES:
        with TaskGroup(group_id=family, tooltip=f"fetch family {family!r}: pool {fetch_pool(family)}"):
            batches = collect_batches(source_ids, family)  # type: ignore[arg-type]  # XComArg stands for the value at run time
            discovered >> batches
            fetched = fetch.override(pool=fetch_pool(family)).expand(batch_key=batches)
            extract.expand(cleaned_key=clean.expand(fetched_key=fetched)) >> summary
    landed = land(summary)  # type: ignore[arg-type]  # XComArg stands for the value at run time
    planned = plan_review(landed)  # type: ignore[arg-type]  # XComArg stands for the value at run time
    review_partial.expand_kwargs(planned) >> (reviewed := apply_review())
    gate(summary, landed, reviewed)  # type: ignore[arg-type]  # XComArg stands for the value at run time
    # after land (and the review's planning, so it can link the review), whatever happened upstream:
    # it reads the outcome from S3, not XCom
    [summary, landed, planned] >> alert()


conflict_news_nightly()
