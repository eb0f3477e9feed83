"""Urgent pages pushed to a message queue: read the messages, check them, plan the ingestion runs.

A producer (a person's tool, a monitoring job) sends one SQS message per request. Its body is
either JSON, ``{"urls": ["https://...", ...], "day": "YYYY-MM-DD"}`` (``day`` optional), or
plain text with one URL per line (blank lines and ``#`` comments ignored). Airflow's SQS trigger
turns each batch of received messages into an asset event whose ``extra`` is
``{"from_trigger": true, "payload": {"status": "success", "message_batch": [<SQS messages>]}}``;
an asset event created by hand (UI or REST API) may carry a message's fields directly in its
``extra`` (``{"urls": [...], "day": ...}``).

Messages are untrusted. Each one is judged alone: a message that breaks a rule is rejected as a
whole (none of its URLs is fetched) with a reason for the log; the others go ahead. Where the
URLs point (private, loopback, metadata addresses) is checked later by the fetcher, after DNS
resolution and on every redirect.

The plan is a list of nightly-DAG runs, one per day and per chunk of at most
``MAX_URLS_PER_RUN`` URLs, each with a stable run id (so a retried trigger does not start a
second run). This module never imports Airflow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from conflict_ingest.errors import ConflictIngestError
from conflict_ingest.inputs import MAX_URL_CHARS as MAX_URL_CHARS  # re-exported: the limit a message sees
from conflict_ingest.inputs import InputError, check_page_url, parse_day
from conflict_ingest.settings import MAX_URLS_PER_RUN

log = logging.getLogger(__name__)

#: At most this many URLs in one message (SQS bodies go up to 256 KiB; a request is a handful), and
#: in one triggered nightly run (``settings.MAX_URLS_PER_RUN``, the nightly DAG's ``urls`` Param's cap).
MAX_URLS_PER_MESSAGE = MAX_URLS_PER_RUN
#: Longest message body read (characters); longer ones are rejected unread.
MAX_BODY_CHARS = 256 * 1024
#: Keys a JSON message may carry.
JSON_KEYS = frozenset({"urls", "day"})
#: Keys Airflow itself adds to an asset event's extra (trigger events, REST API / UI events).
AIRFLOW_EXTRA_KEYS = frozenset({"from_trigger", "from_rest_api"})
#: Lines of a plain-text message that are skipped.
COMMENT_PREFIX = "#"
#: Run ids of triggered runs: ``urgent__<day>__<digest>``.
RUN_ID_PREFIX = "urgent"


class MessageRejected(ConflictIngestError, ValueError):
    """A queue message that breaks a rule; nothing from it is fetched."""


@dataclasses.dataclass(frozen=True)
class UrgentRequest:
    """What one message asks for: pages, and optionally the day whose partition they land in."""

    urls: tuple[str, ...]
    day: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class Rejection:
    """A message that was refused, and why."""

    message_id: str
    reason: str


@dataclasses.dataclass(frozen=True)
class UrgentPlan:
    """The nightly runs to trigger, and the messages that were refused."""

    runs: list[dict[str, Any]]
    rejected: list[Rejection]
    messages: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for XCom): ``runs`` (``{"trigger_run_id", "conf"}``), ``rejected``, ``messages``."""
        return {
            "runs": self.runs,
            "rejected": [dataclasses.asdict(r) for r in self.rejected],
            "messages": self.messages,
        }


def check_url(raw: object) -> str:
    """One URL from a message: :func:`conflict_ingest.inputs.check_page_url` (http(s), with a host,
    no credentials, no whitespace, bounded), the same check as the nightly DAG's form."""
    try:
        return check_page_url(raw)
    except InputError as exc:
        raise MessageRejected(str(exc)) from None


def check_urls(raw_urls: Iterable[object]) -> tuple[str, ...]:
    """A message's URLs, each checked, deduplicated in order; at least one, at most MAX_URLS_PER_MESSAGE."""
    out: dict[str, None] = {}
    for raw in raw_urls:
        out.setdefault(check_url(raw), None)
        if len(out) > MAX_URLS_PER_MESSAGE:
            raise MessageRejected(f"more than {MAX_URLS_PER_MESSAGE} URLs in one message")
    if not out:
        raise MessageRejected("no URL in the message")
    return tuple(out)


def _check_day(raw: object, *, run_day: dt.date | None) -> dt.date | None:
    """A message's ``day``: :func:`conflict_ingest.inputs.parse_day`, bounded by the run's day."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise MessageRejected(f"day must be a date YYYY-MM-DD, got {raw!r}")
    try:
        return parse_day(raw, today=run_day)
    except InputError as exc:
        raise MessageRejected(str(exc)) from None


def request_from_fields(fields: Mapping[str, Any], *, run_day: dt.date | None = None) -> UrgentRequest:
    """A request from a JSON object's fields: ``urls`` (a list of URLs) and an optional ``day``."""
    unknown = sorted(set(fields) - JSON_KEYS)
    if unknown:
        raise MessageRejected(f"unknown field(s) {', '.join(map(repr, unknown))}; expected 'urls' and 'day'")
    urls = fields.get("urls")
    if not isinstance(urls, list):
        raise MessageRejected(f"'urls' must be a list of URLs, got {type(urls).__name__}")
    return UrgentRequest(urls=check_urls(urls), day=_check_day(fields.get("day"), run_day=run_day))


def parse_message_body(body: object, *, run_day: dt.date | None = None) -> UrgentRequest:
    """A message body: JSON ``{"urls": [...], "day": ...}`` or one URL per line.

    :raises MessageRejected: the body breaks a rule; the reason says which.
    """
    if not isinstance(body, str):
        raise MessageRejected(f"message body must be text, got {type(body).__name__}")
    if len(body) > MAX_BODY_CHARS:
        raise MessageRejected(f"message body longer than {MAX_BODY_CHARS} characters")
    text = body.strip()
    if not text:
        raise MessageRejected("empty message body")
    if text[0] in "{[":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MessageRejected(f"message body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MessageRejected('a JSON message must be an object {"urls": [...]}')
        return request_from_fields(data, run_day=run_day)
    lines = [line.strip() for line in text.splitlines()]
    return UrgentRequest(urls=check_urls(x for x in lines if x and not x.startswith(COMMENT_PREFIX)))


def messages_from_event_extra(extra: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """The ``(message id, body)`` pairs in one asset event's ``extra``.

    From the SQS trigger: every message of ``payload.message_batch``. A hand-made event with
    ``urls`` in its extra counts as one message (its body is the extra itself, as JSON).
    Anything else yields one unreadable "message" so that it is reported, not ignored.
    """
    extra = extra or {}
    payload = extra.get("payload")
    if isinstance(payload, Mapping) and "message_batch" in payload:
        batch = payload.get("message_batch")
        if not isinstance(batch, list):
            return [("<event>", None)]
        out: list[tuple[str, Any]] = []
        for i, message in enumerate(batch):
            if isinstance(message, Mapping):
                out.append((str(message.get("MessageId") or f"<message {i}>"), message.get("Body")))
            else:
                out.append((f"<message {i}>", None))
        return out
    if "urls" in extra:
        fields = {k: v for k, v in extra.items() if k not in AIRFLOW_EXTRA_KEYS}
        return [("<asset event>", json.dumps(fields, default=str))]
    return [("<event>", None)]


def _run_id(day: dt.date, urls: list[str], salt: str) -> str:
    digest = hashlib.sha256("\n".join([salt, day.isoformat(), *urls]).encode("utf-8")).hexdigest()[:12]
    return f"{RUN_ID_PREFIX}__{day.isoformat()}__{digest}"


def plan_runs(
    extras: Iterable[Mapping[str, Any] | None],
    *,
    run_day: dt.date,
    salt: str = "",
    max_urls_per_run: int = MAX_URLS_PER_RUN,
) -> UrgentPlan:
    """The nightly runs for a batch of asset events.

    URLs are grouped by day (a message's ``day``, else ``run_day``), deduplicated across
    messages, and cut into runs of at most ``max_urls_per_run``. Each run is
    ``{"trigger_run_id": ..., "conf": {"urls": [...], "day": "YYYY-MM-DD"}}``; its run id is
    derived from ``salt`` (the urgent run's id), the day and the URLs, so it is the same if the
    same plan is made again.
    """
    by_day: dict[dt.date, dict[str, None]] = {}
    rejected: list[Rejection] = []
    messages = 0
    for extra in extras:
        for message_id, body in messages_from_event_extra(extra):
            messages += 1
            try:
                request = parse_message_body(body, run_day=run_day)
            except MessageRejected as exc:
                reason = str(exc) if body is not None else "event carries no SQS message body or 'urls'"
                log.error("urgent message %s rejected, nothing fetched from it: %s", message_id, reason)
                rejected.append(Rejection(message_id=message_id, reason=reason))
                continue
            pages = by_day.setdefault(request.day or run_day, {})
            for url in request.urls:
                pages.setdefault(url, None)
            log.info(
                "urgent message %s: %d URL(s) for %s", message_id, len(request.urls), request.day or run_day
            )
    runs: list[dict[str, Any]] = []
    for day in sorted(by_day):
        urls = list(by_day[day])
        for start in range(0, len(urls), max_urls_per_run):
            chunk = urls[start : start + max_urls_per_run]
            runs.append(
                {
                    "trigger_run_id": _run_id(day, chunk, salt),
                    "conf": {"urls": chunk, "day": day.isoformat()},
                }
            )
    return UrgentPlan(runs=runs, rejected=rejected, messages=messages)
