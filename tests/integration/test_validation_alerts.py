"""Validation and alerts, end to end: the nightly DAG (``dag.test()``) against moto's S3 server,
the sample site, aiosmtpd and a small webhook receiver, all on 127.0.0.1.

Four full runs: the seed day (conflict caught, mail and webhook arrive), a clean day (nothing
sent), a warning-only day (records land flagged, the alert names the warnings, the run is not
failed), and the seed day with nothing listening on the SMTP port (the failure to send is
visible in the task and in S3, and the good records still land).
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import WebhookReceiver, mail_text, run_nightly, task_states

from conflict_ingest.dev.stack import free_port, smtp_connection
from conflict_ingest.records import Extraction, PageMeta, Record
from conflict_ingest.storage.keys import curated_partition, quarantine_partition, report_prefix
from conflict_ingest.storage.partitions import read_partition, write_partition
from conflict_ingest.storage.store import ObjectStore

SEED_DAY = dt.date(2016, 12, 1)  # the seed page: 2,709 vs 27,800 "in November"
CLEAN_DAY = dt.date(2016, 12, 2)  # the AFCENT summary (sitemap source): nothing broken or flagged
ALERT_TO = "analysts@example.test"


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def alert_env(
    airflow_env: dict[str, str], store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setenv("CONFLICT_INGEST_ALERT_TO", ALERT_TO)
    monkeypatch.delenv("CONFLICT_INGEST_ALERT_WEBHOOK_URL", raising=False)
    return airflow_env


def _summary(store: ObjectStore, day: dt.date, run_id: str) -> dict[str, Any]:
    return store.get_json(report_prefix(day, run_id) + "summary.json")


def _history_row(source_id: str, day: dt.date, **fields: Any) -> dict[str, Any]:
    url = f"https://wire.example/{source_id}/{day.isoformat()}/{fields.get('count')}.html"
    meta = PageMeta(
        source_id=source_id,
        source_url=url,
        canonical_url=url,
        title="Daily strike release",
        published_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
        fetched_at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1), tzinfo=dt.UTC),
        raw_key=f"raw/source={source_id}/dt={day.isoformat()}/x.html.gz",
        content_sha256="0" * 64,
    )
    extraction = Extraction(
        evidence=f"The coalition conducted {fields['count']} strikes.",
        qualifier="exact",
        period_start=day,
        period_end=day,
        **fields,
    )
    return Record.build(meta, extraction).to_row()


# -- the seed day: conflict caught, mail and webhook arrive -----------------------------------


def test_seed_run_quarantines_the_conflict_and_mails_and_posts_the_alert(
    alert_env, store: ObjectStore, mail_server, webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(mail_server.port))
    monkeypatch.setenv("CONFLICT_INGEST_ALERT_WEBHOOK_URL", webhook.url)
    dag_run = run_nightly(SEED_DAY)
    states = task_states(dag_run)
    assert dag_run.state == "failed"  # the gate: records were held back
    assert states["gate"] == {"failed"}
    assert states["land"] == {"success"}
    assert states["alert"] == {"success"}

    summary = _summary(store, SEED_DAY, dag_run.run_id)
    assert summary["failed_expectations"] == {"no_conflicting_counts": 2}
    held = read_partition(store, quarantine_partition(SEED_DAY))
    assert sorted(r["count"] for r in held) == [2709, 27800]
    assert all(list(r["failed_expectations"]) == ["no_conflicting_counts"] for r in held)
    curated = read_partition(store, curated_partition(SEED_DAY))
    assert curated and not {2709, 27800} & {r["count"] for r in curated if "record-level" in r["source_url"]}
    assert summary["alert_delivery"]["status"] == "sent"

    # the mail: one message to the configured address, naming run, interval, expectation, counts, report
    assert len(mail_server.messages) == 1
    msg = mail_server.messages[0]
    assert msg["To"] == ALERT_TO and msg["From"] == "airflow@example.test"
    subject = str(msg["Subject"])
    assert "conflict_news_nightly" in subject and SEED_DAY.isoformat() in subject
    assert "2 records held back" in subject and "no_conflicting_counts" in subject
    body = mail_text(msg)
    assert f"Run:           {dag_run.run_id}" in body
    assert "2016-12-01T00:00:00+00:00 .. 2016-12-02T00:00:00+00:00" in body
    assert "  - no_conflicting_counts: 2 records" in body
    assert "27800" in body and "2709" in body  # the examples name the two counts
    assert f"landed in curated:     {len(curated)}" in body
    assert "held back (quarantine): 2" in body
    assert "sample-rss (" in body and "sample-sitemap (" in body
    report_key = report_prefix(SEED_DAY, dag_run.run_id) + "report.html"
    assert f"s3://{store.bucket}/{report_key}" in body
    assert store.exists(report_key)

    # the webhook got the same text, as Slack-compatible JSON
    assert len(webhook.payloads) == 1
    text = webhook.payloads[0]["text"]
    assert text.startswith(subject) and "no_conflicting_counts: 2 records" in text


# -- a clean day: nothing sent ----------------------------------------------------------------


def test_clean_run_sends_no_alert_and_succeeds(
    alert_env,
    store: ObjectStore,
    mail_server,
    webhook: WebhookReceiver,
    sample_site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the analysis section on 2016-12-02: the AFCENT summary, nothing broken or flagged
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: sample-sitemap\n    kind: sitemap\n    allow_private: true\n    rate_limit_per_s: 50\n"
        f"    url: {sample_site.url}/sitemap.xml\n"
    )
    monkeypatch.setenv("CONFLICT_INGEST_SOURCES", str(sources))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(mail_server.port))
    monkeypatch.setenv("CONFLICT_INGEST_ALERT_WEBHOOK_URL", webhook.url)
    dag_run = run_nightly(CLEAN_DAY)
    states = task_states(dag_run)
    assert dag_run.state == "success", states
    assert states["alert"] == {"success"}
    summary = _summary(store, CLEAN_DAY, dag_run.run_id)
    assert summary["total"] > 0 and summary["failed"] == 0 and summary["flags"] == {}
    assert summary["source_warnings"] == [] and summary["sources_incomplete"] == []
    assert summary["alert_delivery"]["status"] == "not_needed"
    assert mail_server.messages == []
    assert webhook.payloads == []
    assert len(read_partition(store, curated_partition(CLEAN_DAY))) == summary["passed"]


# -- warnings only: records land flagged, the alert names the warnings, the run is not failed --


def test_warning_only_run_lands_flagged_records_and_alerts(
    alert_env,
    store: ObjectStore,
    mail_server,
    sample_site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tonight: the sitemap source finds the RAF update (strikes "more than 1,000" by the US-led
    # coalition since September 2014: a period over 366 days), and a fixed-URL source reads a
    # page that states no counts.
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: sample-sitemap\n    kind: sitemap\n    allow_private: true\n    rate_limit_per_s: 50\n"
        f"    url: {sample_site.url}/sitemap.xml\n"
        "  - id: quiet-wire\n    kind: urls\n    allow_private: true\n    rate_limit_per_s: 50\n"
        f"    urls:\n      - {sample_site.url}/index.html\n"
    )
    monkeypatch.setenv("CONFLICT_INGEST_SOURCES", str(sources))
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(mail_server.port))
    # The trailing 30 days: the coalition's daily strike counts never above 30, and quiet-wire
    # landing records on each of five days. One more day is uncommitted (no manifest): skipped.
    for back in range(1, 6):
        day = SEED_DAY - dt.timedelta(days=back)
        rows = [_history_row("quiet-wire", day, metric="strikes", count=20 + back, actor="US-led coalition")]
        write_partition(store, curated_partition(day), {"quiet-wire": rows}, day=day, run_id=f"past-{back}")
    uncommitted = SEED_DAY - dt.timedelta(days=6)
    big = _history_row("quiet-wire", uncommitted, metric="strikes", count=5000, actor="US-led coalition")
    write_partition(store, curated_partition(uncommitted), {"quiet-wire": [big]}, day=uncommitted, run_id="x")
    store.delete([curated_partition(uncommitted) + "_manifest.json"])

    dag_run = run_nightly(SEED_DAY)
    states = task_states(dag_run)
    assert dag_run.state == "success", states
    assert states["gate"] == {"success"} and states["alert"] == {"success"}

    summary = _summary(store, SEED_DAY, dag_run.run_id)
    assert summary["failed"] == 0 and summary["failed_expectations"] == {}
    assert summary["history_days_read"] == 5
    assert summary["flags"] == {"period_over_366_days": 1, "count_far_above_trailing_max": 1}
    assert [(w["name"], w["source_id"]) for w in summary["source_warnings"]] == [
        ("source_yielded_no_records", "quiet-wire")
    ]
    curated = read_partition(store, curated_partition(SEED_DAY))
    spike = [r for r in curated if r["count"] == 1000 and r["metric"] == "strikes"]
    assert len(spike) == 1
    assert sorted(spike[0]["flags"]) == ["count_far_above_trailing_max", "period_over_366_days"]
    assert all(not r["flags"] for r in curated if r is not spike[0])
    assert not list(store.list_keys(quarantine_partition(SEED_DAY) + "part-"))

    assert len(mail_server.messages) == 1
    subject = str(mail_server.messages[0]["Subject"])
    assert "FAILED" not in subject and "warnings" in subject
    body = mail_text(mail_server.messages[0])
    assert "Broken expectations (critical; records held back in quarantine):\n  none" in body
    assert "  - count_far_above_trailing_max: 1 record" in body
    assert "over 10x the trailing maximum 25" in body
    assert "  - period_over_366_days: 1 record" in body
    assert "  - source_yielded_no_records: source quiet-wire" in body
    assert "held back (quarantine): 0" in body


# -- an unreachable mail server: the failure is visible, the good records land ----------------


def test_unreachable_smtp_fails_the_alert_task_and_records_the_failure(
    alert_env, store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(free_port()))  # nothing listens there
    dag_run = run_nightly(SEED_DAY)
    states = task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["alert"] == {"failed"}
    assert states["land"] == {"success"}
    assert read_partition(store, curated_partition(SEED_DAY)), "the good records did not land"

    prefix = report_prefix(SEED_DAY, dag_run.run_id)
    delivery = store.get_json(prefix + "summary.json")["alert_delivery"]
    assert delivery["status"] == "failed"
    assert delivery["channels"]["email"]["status"] == "failed"
    assert "ConnectionRefusedError" in delivery["reason"]
    alert = store.get_json(prefix + "alert.json")
    assert alert["delivery"]["status"] == "failed" and "no_conflicting_counts" in alert["body"]
    page = store.get_bytes(prefix + "report.html").decode()
    assert "alert_delivery: " in page and "failed" in page and "ConnectionRefusedError" in page


# -- a failing webhook: the failure is visible, its URL (a bearer secret) is not ----------------


class Answer500:
    """A webhook on 127.0.0.1 that answers every POST with 500."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Answer500:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_failing_webhook_fails_the_alert_task_without_writing_its_url_anywhere(
    alert_env,
    store: ObjectStore,
    mail_server,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secrets = ("T0DAG/B0DAG/dagWebhookSecret", "dag-query-token", "hookuser", "hookpass")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(mail_server.port))
    with Answer500() as hook:
        port = hook.server.server_address[1]
        url = f"http://{secrets[2]}:{secrets[3]}@127.0.0.1:{port}/services/{secrets[0]}?token={secrets[1]}"
        monkeypatch.setenv("CONFLICT_INGEST_ALERT_WEBHOOK_URL", url)
        dag_run = run_nightly(SEED_DAY)
    states = task_states(dag_run)
    assert states["alert"] == {"failed"} and states["land"] == {"success"}
    assert len(mail_server.messages) == 1  # the other channel still delivered

    prefix = report_prefix(SEED_DAY, dag_run.run_id)
    written = {key: store.get_bytes(key).decode("utf-8", "replace") for key in store.list_keys("")}
    assert {prefix + name for name in ("alert.json", "summary.json", "report.html")} <= set(written)
    out = capfd.readouterr()
    logs_dir = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    logs = {str(p): p.read_text("utf-8", "replace") for p in logs_dir.rglob("*") if p.is_file()}
    places = {"log": caplog.text, "stdout": out.out, "stderr": out.err, **logs, **written}
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} written to {where}"
    delivery = store.get_json(prefix + "summary.json")["alert_delivery"]
    assert delivery["status"] == "partial"
    assert delivery["channels"]["email"]["status"] == "sent"
    reason = delivery["channels"]["webhook"]["reason"]
    assert f"http://127.0.0.1:{port}/<redacted>" in reason and "500 Server Error" in reason
    told = "\n".join([caplog.text, out.out, out.err, *logs.values()])
    assert "500 Server Error" in told  # the task log says why it failed
