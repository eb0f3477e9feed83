"""Alerts: tell people when a run has something to say, and never lose the telling.

A run has something to say when critical expectations broke (records held back), warnings were
raised (records landed with flags, or a source went silent), a source did not complete, or the
validation did not run at all. A clean run sends nothing.

The message (:class:`AlertMessage`) is plain text: subject and body, the same text as HTML for
mail transports that only send HTML, and a Slack-compatible webhook payload ``{"text": ...}``.
Transports are plain callables (``AlertMessage -> None``) handed in by the caller: the DAG gives
one that sends through Airflow's ``smtp_default`` connection, :func:`send_webhook` posts to a
webhook. :func:`alert_stage` reads the run's ``summary.json``, sends on every channel, records
the outcome per channel in ``summary.json``, ``alert.json`` and the HTML report under the
run's report prefix, and raises :class:`AlertDeliveryError` when a channel failed, so the task
that ran it fails with the reason in its log.

No Airflow import here.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.inputs import redact_userinfo
from conflict_ingest.storage.keys import (
    ALERT_FILE,
    MANIFEST_NAME,
    REPORT_FILE,
    SUMMARY_FILE,
    curated_partition,
    report_prefix,
)
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

__all__ = [
    "AlertDeliveryError",
    "AlertMessage",
    "WebhookError",
    "alert_stage",
    "build_alert",
    "deliver",
    "needs_alert",
    "send_webhook",
    "slack_escape",
    "undecided",
    "webhook_label",
]

WEBHOOK_TIMEOUT_S = 10.0
SUBJECT_PREFIX = "[conflict-ingest]"
# Names shown per list in the subject before "and N more".
SUBJECT_MAX_NAMES = 3
# Delivery outcomes, per channel and overall.
SENT = "sent"
FAILED = "failed"
PARTIAL = "partial"
NOT_NEEDED = "not_needed"
#: What replaces a webhook URL's path and query (its secret part) in anything written.
REDACTED = "<redacted>"
#: Loggers that write a request's URL (urllib3's debug lines); their records are redacted while a
#: webhook is being sent.
URL_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager", "urllib3.util.retry")

Sender = Callable[["AlertMessage"], None]


class AlertDeliveryError(ConflictIngestError, RuntimeError):
    """An alert could not be delivered on at least one channel (the reason is in the message)."""


class WebhookError(ConflictIngestError, RuntimeError):
    """The webhook did not take the alert; the message names the webhook without its secret."""


def slack_escape(text: str) -> str:
    """``text`` safe in Slack message text: ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;``, ``&gt;``
    (Slack's own escaping), so ``<!channel>`` and ``<https://evil.example|label>`` stay literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class AlertMessage:
    """One alert: what a person reads, in every form a transport needs."""

    subject: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.subject}\n\n{self.body}"

    def html_body(self) -> str:
        """The plain-text body as an HTML page (for mail transports that send HTML only)."""
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f'<pre style="font-family: monospace">{html.escape(self.body, quote=True)}</pre>'
            "</body></html>"
        )

    def webhook_payload(self) -> dict[str, Any]:
        """Slack-compatible incoming-webhook JSON.

        The whole text is escaped (:func:`slack_escape`): every scraped or variable string in it
        (evidence, URLs, ids, reasons) shows literally. The alert makes no Slack markup of its own;
        its plain http(s) URLs stay links (Slack links them; ``&`` in a query as ``&amp;`` is how
        Slack wants it)."""
        return {"text": slack_escape(self.text)}


# -- deciding and writing ---------------------------------------------------------------------


def undecided(summary: Mapping[str, Any]) -> int:
    """Held records no reviewer has decided yet (all of them, unless the day was reviewed before)."""
    reviewed = summary.get("reviewed") or {}
    return max(
        int(summary.get("failed") or 0) - int(reviewed.get("released") or 0) - int(reviewed.get("kept") or 0),
        0,
    )


def needs_alert(summary: Mapping[str, Any] | None) -> bool:
    """True when the run has something to say (a missing summary means validation did not run). Held
    records that a reviewer already decided (a re-run of a reviewed day) are nothing new."""
    if summary is None:
        return True
    held = (
        undecided(summary)
        if summary.get("reviewed")
        else summary.get("failed") or summary.get("failed_expectations")
    )
    return bool(
        held or summary.get("flags") or summary.get("source_warnings") or summary.get("sources_incomplete")
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:SUBJECT_MAX_NAMES])
    if len(names) > SUBJECT_MAX_NAMES:
        shown += f" and {len(names) - SUBJECT_MAX_NAMES} more"
    return shown


def _s3(bucket: str, key: str | None) -> str:
    return f"s3://{bucket}/{key}" if key else "(none)"


def _subject(summary: Mapping[str, Any] | None, dag_id: str, day: str) -> str:
    head = f"{SUBJECT_PREFIX} {dag_id} {day}:"
    if summary is None:
        return f"{head} validation did not run"
    parts = []
    if summary.get("failed"):
        broken = _names(sorted(summary.get("failed_expectations") or {}))
        waiting = undecided(summary)
        if not waiting:
            parts.append(
                f"{_plural(summary['failed'], 'record')} held back, all decided by a reviewer ({broken})"
            )
        elif waiting < summary["failed"]:
            parts.append(
                f"FAILED, {_plural(summary['failed'], 'record')} held back, {waiting} undecided ({broken})"
            )
        else:
            parts.append(f"FAILED, {_plural(summary['failed'], 'record')} held back ({broken})")
    if summary.get("sources_incomplete"):
        parts.append(f"source(s) did not complete ({_names(summary['sources_incomplete'])})")
    warnings = sorted(summary.get("flags") or {})
    warnings += sorted({w["name"] for w in summary.get("source_warnings") or []})
    if warnings:
        parts.append(f"warnings ({_names(warnings)})")
    return f"{head} " + "; ".join(parts)


def _landing_lines(summary: Mapping[str, Any], landing: Mapping[str, Any] | None) -> list[str]:
    passed, failed = int(summary.get("passed") or 0), int(summary.get("failed") or 0)
    flagged = int(summary.get("flagged") or 0)
    total = int(summary.get("total") or passed + failed)
    if landing and landing.get("committed_by_this_run"):
        landed = (
            f"  landed in curated:     {passed} (of which {flagged} flagged); "
            f"the day's partition now holds {landing.get('records')}"
        )
    else:
        landed = (
            f"  landed in curated:     0 - the land task did not commit the partition ({passed} were due)"
        )
    lines = [f"Records: {total} validated", landed, f"  held back (quarantine): {failed}"]
    reviewed = summary.get("reviewed")
    if reviewed:
        names = ", ".join(reviewed.get("reviewers") or []) or "?"
        lines.append(
            f"  decided by a reviewer:  {reviewed.get('released', 0)} released to curated, "
            f"{reviewed.get('kept', 0)} kept in quarantine (by {names}); {undecided(summary)} undecided"
        )
    return lines


def build_alert(
    summary: Mapping[str, Any] | None,
    *,
    dag_id: str,
    run_id: str,
    day: dt.date,
    bucket: str,
    interval_start: dt.datetime | None = None,
    interval_end: dt.datetime | None = None,
    landing: Mapping[str, Any] | None = None,
    report_key: str | None = None,
    review: Mapping[str, Any] | None = None,
) -> AlertMessage:
    """The alert for one run: DAG, run, data interval, sources, each broken expectation with its
    count of records, warnings, how many landed and how many were held back, and the report's key."""
    lines = [
        f"DAG:           {dag_id}",
        f"Run:           {run_id}",
        f"Data interval: {interval_start.isoformat() if interval_start else '?'} .. "
        f"{interval_end.isoformat() if interval_end else '?'} (day {day.isoformat()})",
    ]
    if summary is None:
        lines += [
            "",
            "Validation did not run (no summary.json for this run): nothing was validated or landed.",
            "See the Airflow task logs of the validate task and of the tasks before it.",
            "",
            f"Report (expected): {_s3(bucket, report_key)}",
        ]
        return AlertMessage(subject=_subject(None, dag_id, day.isoformat()), body="\n".join(lines) + "\n")

    by_source = summary.get("records_by_source") or {}
    source_bits = [
        f"{sid} ({counts.get('total', 0)} records, {counts.get('failed', 0)} held back)"
        for sid, counts in sorted(by_source.items())
    ]
    lines.append(f"Sources:       {', '.join(source_bits) or '(none completed)'}")
    if summary.get("sources_incomplete"):
        lines.append(f"Did not complete: {', '.join(summary['sources_incomplete'])} (see the task logs)")
    verdict = "FAILED: critical expectations broke" if summary.get("failed") else "passed the critical checks"
    lines += ["", f"Validation {verdict}.", *_landing_lines(summary, landing), ""]

    examples = summary.get("examples") or {}
    broken = summary.get("failed_expectations") or {}
    lines.append("Broken expectations (critical; records held back in quarantine):")
    lines += _expectation_lines(broken, examples) or ["  none"]
    lines.append("")
    lines.append("Warnings (records landed with these names in their flags):")
    warning_lines = _expectation_lines(summary.get("flags") or {}, examples)
    for warning in summary.get("source_warnings") or []:
        warning_lines.append(
            f"  - {warning['name']}: source {warning['source_id']}: {warning.get('detail', '')}"
        )
    lines += warning_lines or ["  none"]
    lines += _review_lines(review)
    lines += [
        "",
        f"Report:      {_s3(bucket, report_key or summary.get('report_key'))}",
        f"Summary:     {_s3(bucket, summary.get('summary_key'))}",
        f"Quarantine:  {_s3(bucket, summary.get('quarantine_prefix'))}",
        f"Curated:     {_s3(bucket, summary.get('curated_prefix'))}",
    ]
    return AlertMessage(subject=_subject(summary, dag_id, day.isoformat()), body="\n".join(lines) + "\n")


def _review_lines(review: Mapping[str, Any] | None) -> list[str]:
    """The review of the held records (issue 14): its name, link and deadline, when one was opened."""
    if not review or not review.get("items"):
        return []
    return [
        "",
        f"Review:      {review.get('subject') or 'review of the held records'}: "
        f"{review['items']} held record(s) await a reviewer's decision (release to curated, or keep)",
        f"             {review.get('url') or '(the review task of this run)'}",
        f"             no answer by {review.get('deadline') or '?'} keeps them all held and fails the run",
    ]


def _expectation_lines(counts: Mapping[str, int], examples: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    for name, n in sorted(counts.items()):
        lines.append(f"  - {name}: {_plural(int(n), 'record')}")
        for ex in examples.get(name) or []:
            evidence = " ".join(str(ex.get("evidence") or "").split())
            lines.append(
                f"      e.g. {ex.get('source_id')}: {ex.get('metric')} {ex.get('count')} "
                f'- "{evidence}" ({ex.get("url")})'
            )
            if ex.get("why"):
                lines.append(f"           why: {ex['why']}")
    return lines


# -- sending ----------------------------------------------------------------------------------


def webhook_label(url: str) -> str:
    """How a webhook is named in logs, errors and S3: ``scheme://host:port/<redacted>``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return f"<webhook {REDACTED}>"
    if not parts.scheme or not host:
        return f"<webhook {REDACTED}>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}/{REDACTED}"


def _secret_forms(url: str) -> list[tuple[str, str]]:
    """(text, replacement) pairs that hide ``url`` in a message, longest first: the URL as given and
    as requests prepares it, their path and query, query alone and any userinfo."""
    from urllib.parse import urlsplit

    import requests

    label = webhook_label(url)
    full = {url}
    try:
        full.add(requests.Request("POST", url).prepare().url or url)
    except (requests.RequestException, ValueError):
        logger.debug("webhook URL cannot be prepared; send_webhook will fail with a redacted reason")
    pairs = {form: label for form in full}
    for form in full:
        try:
            parts = urlsplit(form)
        except ValueError:
            continue
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        if len(path_query) > 1:
            pairs.setdefault(path_query, f"/{REDACTED}")
        if parts.query:
            pairs.setdefault(parts.query, REDACTED)
        if "@" in parts.netloc:
            pairs.setdefault(parts.netloc.rsplit("@", 1)[0], "***")
    return sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)


def redact_webhook(text: str, url: str) -> str:
    """``text`` with the webhook ``url`` (and its path, query and userinfo) replaced by its label."""
    for secret, replacement in _secret_forms(url):
        text = text.replace(secret, replacement)
    return redact_userinfo(text)


class _RedactWebhook(logging.Filter):
    """Rewrites log records that would write the webhook's URL."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_webhook(message, self.url)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def send_webhook(url: str, message: AlertMessage, *, timeout: float = WEBHOOK_TIMEOUT_S) -> None:
    """POST the Slack-compatible payload; raises :class:`WebhookError` on a network error or a
    non-2xx answer. Neither the error nor a log line names the URL's path, query or userinfo."""
    import requests

    guard = _RedactWebhook(url)
    loggers = [logging.getLogger(name) for name in URL_LOGGERS]
    for url_logger in loggers:
        url_logger.addFilter(guard)
    reason = None
    try:
        response = requests.post(url, json=message.webhook_payload(), timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as exc:
        # requests writes the URL into its messages: keep only a redacted reason, and raise outside
        # this block so that no traceback chains the original exception.
        reason = redact_webhook(f"{type(exc).__name__}: {exc}", url)
    finally:
        for url_logger in loggers:
            url_logger.removeFilter(guard)
    if reason is not None:
        raise WebhookError(f"webhook {webhook_label(url)}: {reason}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def deliver(
    message: AlertMessage, senders: Mapping[str, Sender], already_sent: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """Send on every channel (skipping those an earlier attempt delivered); a failing channel
    never stops the others. Returns per channel ``{"status": "sent"|"failed", "reason", "at"}``."""
    done = set(already_sent)
    results: dict[str, dict[str, Any]] = {}
    for name, send in senders.items():
        if name in done:
            results[name] = {"status": SENT, "reason": "delivered by an earlier attempt", "at": None}
            continue
        try:
            send(message)
        except Exception as exc:  # noqa: BLE001 - any transport error is a failed delivery, recorded below
            reason = redact_userinfo(f"{type(exc).__name__}: {exc}")
            logger.error("alert channel %s failed: %s", name, reason)
            results[name] = {"status": FAILED, "reason": reason, "at": _now()}
        else:
            logger.info("alert sent via %s: %s", name, message.subject)
            results[name] = {"status": SENT, "reason": None, "at": _now()}
    return results


def _overall(results: Mapping[str, Mapping[str, Any]]) -> tuple[str, str | None]:
    if not results:
        return FAILED, "no alert channel is configured (set CONFLICT_INGEST_ALERT_TO or the webhook URL)"
    failed = {name: r for name, r in results.items() if r["status"] != SENT}
    if not failed:
        return SENT, None
    reason = "; ".join(f"{name}: {r['reason']}" for name, r in sorted(failed.items()))
    return (PARTIAL if len(failed) < len(results) else FAILED), reason


# -- the stage --------------------------------------------------------------------------------


def landing_state(store: ObjectStore, day: dt.date, run_id: str) -> dict[str, Any]:
    """Whether this run committed the day's curated partition, and how many records it holds."""
    key = curated_partition(day) + MANIFEST_NAME
    if not store.exists(key):
        return {"committed_by_this_run": False, "records": None, "manifest_key": key}
    manifest = store.get_json(key)
    return {
        "committed_by_this_run": manifest.get("run_id") == run_id,
        "records": manifest.get("records"),
        "manifest_key": key,
    }


def _record_delivery(
    store: ObjectStore,
    prefix: str,
    summary: dict[str, Any] | None,
    message: AlertMessage | None,
    delivery: dict[str, Any],
) -> None:
    """Write the outcome where a person looks: alert.json, summary.json and the HTML report."""
    from conflict_ingest.validate.report import with_alert_delivery

    alert: dict[str, Any] = {"delivery": delivery}
    if message is not None:
        alert.update({"subject": message.subject, "body": message.body})
    store.put_json(prefix + ALERT_FILE, alert)
    if summary is not None:
        store.put_json(prefix + SUMMARY_FILE, {**summary, "alert_delivery": delivery})
    if store.exists(prefix + REPORT_FILE):
        page = store.get_bytes(prefix + REPORT_FILE).decode("utf-8")
        store.put_bytes(
            prefix + REPORT_FILE,
            with_alert_delivery(page, delivery).encode("utf-8"),
            content_type="text/html; charset=utf-8",
        )


def alert_stage(
    store: ObjectStore,
    *,
    day: dt.date,
    run_id: str,
    dag_id: str,
    bucket: str,
    senders: Mapping[str, Sender],
    interval_start: dt.datetime | None = None,
    interval_end: dt.datetime | None = None,
    review: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Alert on the run's validation outcome (read from S3), when there is something to say.

    ``review`` (``items``, ``subject``, ``url``, ``deadline``): the review of the held records this
    run opened, named and linked in the alert.

    Records ``alert_delivery`` in ``summary.json``, ``alert.json`` and the report. Raises
    :class:`AlertDeliveryError` when any channel failed (after recording it).
    """
    prefix = report_prefix(day, run_id)
    summary = store.get_json(prefix + SUMMARY_FILE) if store.exists(prefix + SUMMARY_FILE) else None
    if not needs_alert(summary):
        delivery: dict[str, Any] = {
            "status": NOT_NEEDED,
            "reason": None,
            "channels": {},
            "attempted_at": _now(),
        }
        if summary is not None:
            store.put_json(prefix + SUMMARY_FILE, {**summary, "alert_delivery": delivery})
        logger.info("%s: clean run, no alert", day)
        return {"status": NOT_NEEDED, "subject": None}
    message = build_alert(
        summary,
        dag_id=dag_id,
        run_id=run_id,
        day=day,
        bucket=bucket,
        interval_start=interval_start,
        interval_end=interval_end,
        landing=landing_state(store, day, run_id),
        report_key=prefix + REPORT_FILE,
        review=review,
    )
    previous = ((summary or {}).get("alert_delivery") or {}).get("channels") or {}
    already = [name for name, r in previous.items() if r.get("status") == SENT]
    results = deliver(message, senders, already)
    status, reason = _overall(results)
    delivery = {"status": status, "reason": reason, "channels": results, "attempted_at": _now()}
    _record_delivery(store, prefix, summary, message, delivery)
    if status != SENT:
        raise AlertDeliveryError(
            f"alert for {dag_id} run {run_id} ({day}) was not delivered: {reason}. "
            f"The alert text and this failure are in s3://{bucket}/{prefix}{ALERT_FILE}; "
            f"summary.json records alert_delivery={status}."
        )
    return {"status": status, "subject": message.subject, "channels": sorted(results)}
