"""A failing alert webhook never writes its URL (a bearer secret) anywhere: the alert stage against
moto's S3 server and a real webhook on 127.0.0.1 that answers 500, or a port where nothing listens."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from tests.helpers import WebhookReceiver

from conflict_ingest.alerts import AlertDeliveryError, alert_stage, send_webhook
from conflict_ingest.dev.stack import free_port
from conflict_ingest.storage.keys import report_prefix
from conflict_ingest.storage.store import ObjectStore

DAY = dt.date(2016, 12, 1)
RUN_ID = "scheduled__2016-12-02T00:00:00+00:00"
# The secret parts of a Slack-style webhook URL: the path, a token in the query, userinfo.
SECRETS = ("T0SECRET/B0SECRET/XyZsEcReTtOkEn", "qtoken-SECRET", "hookuser", "hookpass")
WEBHOOK_PATH = f"/services/{SECRETS[0]}?token={SECRETS[1]}"

SUMMARY: dict[str, Any] = {
    "success": False,
    "total": 2,
    "passed": 1,
    "failed": 1,
    "flagged": 0,
    "failed_expectations": {"no_conflicting_counts": 1},
    "flags": {},
    "source_warnings": [],
    "records_by_source": {"wire-a": {"total": 2, "passed": 1, "failed": 1, "flagged": 0}},
    "sources_incomplete": [],
}


@pytest.fixture
def failing_500() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(status=500) as server:
        yield server


def _everything_written(store: ObjectStore) -> dict[str, str]:
    return {key: store.get_bytes(key).decode("utf-8", "replace") for key in store.list_keys("")}


def _run_alert(store: ObjectStore, url: str) -> str:
    prefix = report_prefix(DAY, RUN_ID)
    store.put_json(prefix + "summary.json", SUMMARY)
    store.put_bytes(prefix + "report.html", b"<!DOCTYPE html><html><body><h1>r</h1></body></html>")
    with pytest.raises(AlertDeliveryError) as raised:
        alert_stage(
            store,
            day=DAY,
            run_id=RUN_ID,
            dag_id="conflict_news_nightly",
            bucket=store.bucket,
            senders={"webhook": functools.partial(send_webhook, url, timeout=5)},
        )
    return str(raised.value)


@pytest.mark.parametrize("answer", ["http-500", "closed-port"])
def test_a_failing_webhook_never_writes_its_url_to_the_log_alert_summary_or_report(
    answer: str, store: ObjectStore, failing_500: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    port = failing_500.port if answer == "http-500" else free_port()
    url = f"http://{SECRETS[2]}:{SECRETS[3]}@127.0.0.1:{port}{WEBHOOK_PATH}"
    caplog.set_level(logging.DEBUG)  # urllib3 writes request lines at DEBUG
    error = _run_alert(store, url)

    prefix = report_prefix(DAY, RUN_ID)
    written = _everything_written(store)
    assert {prefix + name for name in ("alert.json", "summary.json", "report.html")} <= set(written)
    places = {"task error": error, "log": caplog.text, **written}
    for where, text in places.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} written to {where}"
    # still useful: which webhook failed, and how
    delivery = store.get_json(prefix + "summary.json")["alert_delivery"]
    reason = delivery["channels"]["webhook"]["reason"]
    assert f"http://127.0.0.1:{port}/<redacted>" in reason
    assert ("500 Server Error" if answer == "http-500" else "Connection refused") in reason
    assert delivery["status"] == "failed" and reason in error
    assert f"http://127.0.0.1:{port}/&lt;redacted&gt;" in written[prefix + "report.html"]
