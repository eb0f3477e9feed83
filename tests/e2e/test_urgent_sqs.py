"""Urgent pages pushed to an SQS queue start their ingestion through a real triggerer and scheduler.

moto's server (on 127.0.0.1, the same port as S3) holds the queue; the deployment (tests/e2e/deployment.py)
runs the triggerer that watches it (AssetWatcher + MessageQueueTrigger), the scheduler that turns the asset
event into a run of ``conflict_news_urgent``, and the nightly run that run triggers, which fetches
the page from the sample site and lands it in S3.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests.e2e.conftest import AirflowServer
from tests.e2e.deployment import airflow_deployment

from conflict_ingest.dev.stack import free_port
from conflict_ingest.storage.keys import curated_partition
from conflict_ingest.storage.partitions import IncompletePartition, read_partition

URGENT_DAG = "conflict_news_urgent"
NIGHTLY_DAG = "conflict_news_nightly"
SEED_PATH = "/articles/us-coalition-airstrikes-isis-mosul-record-level.html"
SEED_GOLD = json.loads((Path(__file__).parents[1] / "fixtures" / "seed_gold.json").read_text())
CONFLICTING = {2709, 27800}  # the seed page's conflicting pair, held in quarantine
#: The day the JSON message asks for (nothing else lands there in this test).
DAY = dt.date(2016, 12, 7)
#: The day a hand-made asset event asks for.
HAND_DAY = dt.date(2016, 12, 8)
LANDING_TIMEOUT_S = 600


def _sqs(url: str):
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def urgent_queue(s3_server) -> str:
    """A fresh queue on moto's server, created before Airflow parses the DAG that watches it."""
    return _sqs(s3_server.url).create_queue(QueueName=f"urgent-pages-{free_port()}")["QueueUrl"]


@pytest.fixture(scope="module")
def urgent_airflow(e2e_postgres, s3_server, sample_site, urgent_queue) -> Iterator[AirflowServer]:
    """The deployment of tests/e2e/conftest.py, plus the queue and a fast poll."""
    extra = {
        # the sample site is on 127.0.0.1, which untrusted URLs may not reach otherwise
        "CONFLICT_INGEST_ALLOW_PRIVATE_URLS": "true",
        "CONFLICT_INGEST_URGENT_QUEUE_URL": urgent_queue,
        "CONFLICT_INGEST_URGENT_WAIT_S": "1",
        "CONFLICT_INGEST_URGENT_POLL_S": "2",
    }
    with airflow_deployment(
        e2e_postgres, s3_server.url, sample_site.url, name="e2e-urgent", extra_env=extra
    ) as server:
        yield server


def _get(server: AirflowServer, path: str, **params) -> dict:
    resp = server.api("GET", path, params=params or None)
    resp.raise_for_status()
    return resp.json()


def _wait_active(server: AirflowServer, dag_id: str) -> None:
    def active() -> bool:
        resp = server.api("GET", f"/dags/{dag_id}")
        return resp.status_code == 200 and resp.json()["is_paused"] is False

    server.wait_until(active, f"{dag_id} parsed and active", 180, 2)


def _runs(server: AirflowServer, dag_id: str) -> list[dict]:
    return _get(server, f"/dags/{dag_id}/dagRuns", limit=100)["dag_runs"]


def _task_log(server: AirflowServer, dag_id: str, run_id: str, task_id: str) -> str:
    resp = requests.get(
        f"{server.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1",
        headers={"Authorization": f"Bearer {server.token}", "Accept": "application/json"},
        params={"full_content": "true"},
        timeout=60,
    )
    if resp.status_code != 200:
        return ""
    content = resp.json().get("content")
    if isinstance(content, list):
        return "\n".join(
            str(part.get("event", part)) if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


def _seed_rows(store, day: dt.date) -> list[dict]:
    try:
        rows = read_partition(store, curated_partition(day))
    except IncompletePartition:
        return []
    return [r for r in rows if r["source_url"].endswith(SEED_PATH)]


def test_urls_pushed_to_sqs_are_ingested_without_waiting_for_the_night(
    urgent_airflow: AirflowServer, s3_server, sample_site, urgent_queue: str
) -> None:
    from tests.conftest import make_store

    server = urgent_airflow
    started = time.monotonic()
    _wait_active(server, URGENT_DAG)
    _wait_active(server, NIGHTLY_DAG)
    assert _get(server, f"/dags/{URGENT_DAG}")["timetable_summary"], "the urgent DAG has no asset schedule"
    seed_url = f"{sample_site.url}{SEED_PATH}"

    sqs = _sqs(s3_server.url)
    # A JSON request for a chosen day; a plain-text request (the run's own day); a bad one.
    sqs.send_message(
        QueueUrl=urgent_queue, MessageBody=json.dumps({"urls": [seed_url], "day": DAY.isoformat()})
    )
    sqs.send_message(QueueUrl=urgent_queue, MessageBody=f"# breaking\n{seed_url}\n")
    bad_url = "file:///etc/passwd"
    sqs.send_message(QueueUrl=urgent_queue, MessageBody=json.dumps({"urls": [bad_url]}))
    sent = time.monotonic()

    store = make_store(s3_server.url, server.bucket)
    server.wait_until(lambda: _seed_rows(store, DAY), "the urgent page landed", LANDING_TIMEOUT_S)
    landed = time.monotonic()

    # The page's records landed in the chosen day's partition: the seed page's records, the
    # conflicting pair held back (the nightly gate), under the ad-hoc source of the request.
    rows = _seed_rows(store, DAY)
    gold = {(g["metric"], g["count"]) for g in SEED_GOLD["records"]}
    assert {(r["metric"], r["count"]) for r in rows} == {k for k in gold if k[1] not in CONFLICTING}
    assert {r["source_id"] for r in rows} == {rows[0]["source_id"]}
    assert rows[0]["source_id"].startswith("manual-")

    # Event-driven: the urgent runs were made by the asset event, not by a schedule or a person.
    urgent_runs = _runs(server, URGENT_DAG)
    assert urgent_runs and all(r["run_type"] == "asset_triggered" for r in urgent_runs), urgent_runs

    # The nightly DAG was triggered by those runs with the pages and the days asked for, and
    # nothing from the bad message. The plain-text message had no day: it lands in the day it was
    # read (UTC), which is today, or yesterday just after midnight.
    today = dt.datetime.now(dt.UTC).date()
    run_days = {today.isoformat(), (today - dt.timedelta(days=1)).isoformat()}
    deadline = time.monotonic() + 300
    while True:
        nightly = [r for r in _runs(server, NIGHTLY_DAG) if r["dag_run_id"].startswith("urgent__")]
        confs = [r["conf"] for r in nightly]
        if any(c["urls"] == [seed_url] and c["day"] in run_days for c in confs):
            break
        assert time.monotonic() < deadline, f"no nightly run for the plain-text message: {confs}"
        time.sleep(3)
    assert {"urls": [seed_url], "day": DAY.isoformat()} in confs, confs
    assert all(bad_url not in c["urls"] for c in confs)
    assert all(r["run_type"] == "operator_triggered" for r in nightly)  # by TriggerDagRunOperator

    # The bad message was refused with its reason in the log, and the run that read it failed.
    deadline = time.monotonic() + 300
    while True:
        done = [r for r in _runs(server, URGENT_DAG) if r["state"] in ("success", "failed")]
        logs = {
            r["dag_run_id"]: _task_log(server, URGENT_DAG, r["dag_run_id"], "read_messages") for r in done
        }
        refused = [r for r in done if "not an http(s) URL" in logs[r["dag_run_id"]]]
        if refused:
            break
        assert time.monotonic() < deadline, f"no rejection logged: {[r['state'] for r in done]}\n{logs}"
        time.sleep(3)
    assert refused[0]["state"] == "failed"
    assert bad_url in logs[refused[0]["dag_run_id"]]

    # The queue is empty: every message was taken (and deleted) by the triggerer.
    attrs = sqs.get_queue_attributes(QueueUrl=urgent_queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    # An event of the queue's Asset made by hand (the UI's "Create event" calls this endpoint)
    # with the URLs in its extra starts the same ingestion.
    assets = _get(server, "/assets", name_pattern="urgent_pages_queue")["assets"]
    [asset_id] = [a["id"] for a in assets if a["name"] == "urgent_pages_queue"]
    by_hand = {"urls": [seed_url], "day": HAND_DAY.isoformat()}
    resp = server.api("POST", "/assets/events", json={"asset_id": asset_id, "extra": by_hand})
    assert resp.status_code in (200, 201), resp.text
    deadline = time.monotonic() + 300
    while by_hand not in [r["conf"] for r in _runs(server, NIGHTLY_DAG)]:
        assert time.monotonic() < deadline, (
            f"a hand-made asset event started no nightly run:\n{server.log_tail()}"
        )
        time.sleep(3)

    timings = f"DAGs active after {sent - started:.0f}s; page landed {landed - sent:.0f}s after sending"
    (server.home / "timings.txt").write_text(timings + "\n")
