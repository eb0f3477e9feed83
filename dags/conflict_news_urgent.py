"""
### Conflict news, urgent pages (event-driven)

Pages that cannot wait for the night: a producer sends their URLs to an Amazon SQS queue and
this DAG starts their ingestion within seconds, through Airflow 3 event-driven scheduling. The
triggerer watches the queue (an `AssetWatcher` with a `MessageQueueTrigger`, scheme `sqs`);
each batch of messages it receives (and deletes from the queue) becomes an event of the Asset
`urgent_pages_queue`, which schedules a run of this DAG.

`read_messages` reads the run's asset events, checks every message and plans nightly runs;
`trigger_nightly` (mapped, one per day and per 200 URLs) triggers `conflict_news_nightly` with
conf `{"urls": [...], "day": "YYYY-MM-DD"}`: the nightly DAG fetches, parses, validates and lands
exactly those pages (an ad-hoc source) in the partition of that day; `gate` fails the run when a
message was rejected, after the valid ones were sent on.

**Message body:** JSON `{"urls": ["https://...", ...], "day": "YYYY-MM-DD"}` (`day` optional,
default: the day the message arrived, UTC) or plain text, one URL per line (`#` comments and
blank lines ignored). Rules: http(s) URLs with a host, no credentials, at most 200 per message,
`day` not in the future. A message that breaks a rule is rejected whole (the reason is in the
`read_messages` log) and nothing from it is fetched. URLs are untrusted: the fetcher refuses
private, loopback, link-local and metadata addresses unless `CONFLICT_INGEST_ALLOW_PRIVATE_URLS`
is set.

**Configuration (environment, read when the DAG file is parsed):**
`CONFLICT_INGEST_URGENT_QUEUE_URL` (the queue; when unset, nothing watches a queue and this DAG
has no schedule: use the nightly DAG's form for pages by hand), `CONFLICT_INGEST_AWS_CONN_ID`
(default `aws_default`; its extra may set `endpoint_url` and `region_name`),
`CONFLICT_INGEST_URGENT_WAIT_S` (SQS long-poll seconds, default 20, at most 20) and
`CONFLICT_INGEST_URGENT_POLL_S` (pause between polls, default 10). An event of the Asset
`urgent_pages_queue` created by hand (UI or REST API) with extra `{"urls": [...]}` works too.

**Delivery:** messages are deleted from the queue as soon as the triggerer receives them; if
Airflow fails before it records the asset event, that message is lost (send it again: a repeated
request replaces its own curated records, never duplicates them).
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Asset, AssetWatcher, dag, get_current_context, task

from common import adapters as af
from conflict_ingest.timeouts import GATE_TIMEOUT, PLAN_TIMEOUT

DAG_ID = "conflict_news_urgent"
NIGHTLY_DAG_ID = "conflict_news_nightly"
URGENT_ASSET_NAME = "urgent_pages_queue"

#: The settings this file reads when parsed (conflict_ingest.settings.DagSettings).
PARSED = af.parsed()
QUEUE_URL = PARSED.urgent.queue_url
AWS_CONN_ID = PARSED.aws_conn_id
#: SQS long polling: how long one receive call waits for a message (SQS allows at most 20 s).
WAIT_S = PARSED.urgent.wait_s
#: Pause between two receive calls that found nothing.
POLL_S = PARSED.urgent.poll_s
#: Messages taken per receive call (the SQS maximum).
MAX_MESSAGES = 10


def _urgent_schedule() -> list[Asset] | None:
    """The queue's Asset, watched by the triggerer; no schedule when no queue is configured."""
    if not QUEUE_URL:
        return None
    from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger

    trigger = MessageQueueTrigger(
        scheme="sqs",
        sqs_queue=QUEUE_URL,
        aws_conn_id=AWS_CONN_ID,
        max_messages=MAX_MESSAGES,
        wait_time_seconds=WAIT_S,
        waiter_delay=POLL_S,
        delete_message_on_reception=True,
    )
    watcher = AssetWatcher(name="urgent_pages_sqs_watcher", trigger=trigger)
    return [Asset(name=URGENT_ASSET_NAME, watchers=[watcher])]


@dag(
    dag_id=DAG_ID,
    schedule=_urgent_schedule(),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,  # a paused DAG would let urgent messages pile up unread
    max_active_runs=4,
    default_args=af.default_args(PARSED),
    tags=["conflict-ingest", "ingestion", "event-driven", "urgent"],
    doc_md=__doc__,
)
def conflict_news_urgent() -> None:
    @task(execution_timeout=PLAN_TIMEOUT)
    def read_messages() -> list[dict[str, Any]]:
        """Check the queue messages behind this run; returns the nightly runs to trigger.

        Also pushes XComs ``messages`` (how many were read) and ``rejected`` (id and reason of each
        refused one) for ``gate``.
        """
        from conflict_ingest.urgent import plan_runs

        ctx = get_current_context()
        when = getattr(ctx["dag_run"], "run_after", None) or pendulum.now("UTC")
        run_day = pendulum.instance(when).in_timezone("UTC").date()
        extras = [
            getattr(event, "extra", None) or {}
            for events in (ctx.get("triggering_asset_events") or {}).values()
            for event in events
        ]
        plan = plan_runs(extras, run_day=run_day, salt=ctx["run_id"]).as_dict()
        ctx["ti"].xcom_push(key="messages", value=plan["messages"])
        ctx["ti"].xcom_push(key="rejected", value=plan["rejected"])
        return plan["runs"]

    @task(retries=0, trigger_rule="none_failed", execution_timeout=GATE_TIMEOUT)
    def gate() -> int:
        """Fail the run when a message was rejected (after the valid ones were sent on), or there was none."""
        from airflow.sdk.exceptions import AirflowFailException

        ti = get_current_context()["ti"]
        messages = ti.xcom_pull(task_ids="read_messages", key="messages") or 0
        rejected = ti.xcom_pull(task_ids="read_messages", key="rejected") or []
        if rejected:
            reasons = "; ".join(f"{r['message_id']}: {r['reason']}" for r in rejected)
            raise AirflowFailException(f"{len(rejected)} of {messages} urgent message(s) rejected: {reasons}")
        if not messages:
            raise AirflowFailException("this run has no queue message to read (was it triggered by hand?)")
        return int(messages)

    runs = read_messages()
    triggered = TriggerDagRunOperator.partial(
        task_id="trigger_nightly",
        trigger_dag_id=NIGHTLY_DAG_ID,
        logical_date=None,  # no logical date: several urgent runs of a day never collide
        skip_when_already_exists=True,  # a retry after the run was created does not start another
        wait_for_completion=False,
        execution_timeout=PLAN_TIMEOUT,
    ).expand_kwargs(runs)
    runs >> triggered >> gate()


conflict_news_urgent()
