"""Helpers shared by the tests: the nightly DAG run by ``dag.test()``, records, a local HTTP server,
the text of a received mail, a partition as an older release wrote it."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import http.server
import io
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

from conflict_ingest.dev.stack import free_port
from conflict_ingest.records import Extraction, PageMeta, Record
from conflict_ingest.storage.keys import MANIFEST_NAME
from conflict_ingest.storage.store import ObjectStore

DAGS_DIR = Path(__file__).resolve().parents[1] / "dags"
_TAG_RE = re.compile(r"<[^>]+>")


@contextmanager
def serve_http(handler: Any) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (a free port) with ``handler``, in a thread; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def mail_text(msg: Message) -> str:
    """The readable text of a received mail: its text parts (the alert sends HTML only: the body in a
    ``<pre>``), tags removed, then HTML escapes undone."""
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return html.unescape(_TAG_RE.sub("", "\n".join(parts)))


def nightly_dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags["conflict_news_nightly"]


def run_nightly(day: dt.date) -> Any:
    """Run the nightly DAG as the scheduler's run after midnight would: its data interval is ``day``.

    ``dag.test`` makes a manual run, whose data interval is the last complete one before its
    logical date, so the run at 00:00 of the next day covers ``day``.
    """
    import pendulum

    after = day + dt.timedelta(days=1)
    dag_run = nightly_dag().test(logical_date=pendulum.datetime(after.year, after.month, after.day, tz="UTC"))
    assert dag_run.data_interval_start.date() == day
    return dag_run


def task_states(dag_run: Any) -> dict[str, set[str]]:
    """Task id -> the states of its instances (mapped tasks have several)."""
    states: dict[str, set[str]] = {}
    for ti in dag_run.get_task_instances():
        states.setdefault(ti.task_id, set()).add(str(ti.state))
    return states


def strike_rows(source: str, counts: list[int], day: dt.date) -> list[dict[str, Any]]:
    """Curated rows of one page of ``source``: one ``strikes`` record per count, period ``day``."""
    meta = PageMeta(
        source_id=source,
        source_url=f"https://{source}.example/a",
        canonical_url=f"https://{source}.example/a",
        title="t",
        published_at=dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC),
        fetched_at=dt.datetime(2016, 12, 2, 1, tzinfo=dt.UTC),
        raw_key="raw/x",
        content_sha256="0" * 64,
    )
    return [
        Record.build(
            meta,
            Extraction(
                metric="strikes",
                count=n,
                qualifier="exact",
                evidence=f"{n} strikes.",
                period_start=day,
                period_end=day,
            ),
        ).to_row()
        for n in counts
    ]


def rewrite_as_older_release(
    store: ObjectStore, prefix: str, manifest: dict[str, Any], added: list[str]
) -> None:
    """Rewrite the Parquet parts of the partition at ``prefix`` (its ``manifest``, as written) as an
    older release wrote them: without the columns ``added`` since. The manifest's checksums follow, so
    the parts read as committed."""
    import pyarrow.parquet as pq

    for part in manifest["parts"]:
        table = pq.read_table(io.BytesIO(store.get_bytes(part["key"]))).drop_columns(added)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        store.put_bytes(part["key"], sink.getvalue())
        part["sha256"] = hashlib.sha256(sink.getvalue()).hexdigest()
    store.put_json(prefix + MANIFEST_NAME, manifest)


def wait_for_dag(server: Any, dag_id: str, timeout_s: float = 120) -> None:
    """Until a running Airflow (anything with ``api()`` and ``log_tail()``) has parsed ``dag_id``."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.api("GET", f"/dags/{dag_id}").status_code == 200:
            return
        time.sleep(1)
    raise TimeoutError(f"{dag_id} was not parsed in time:\n{server.log_tail()}")


class WebhookReceiver:
    """A webhook on 127.0.0.1: keeps the JSON bodies POSTed to it and answers each with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.payloads: list[dict[str, Any]] = []
        received = self.payloads

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length) or b"null"))
                body = b"ok" if status < 400 else b"oops!"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/alerts"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
