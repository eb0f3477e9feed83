"""Task ``validate``: the run's records through the gate; report, summary and quarantine written."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.fetch import fetch_failures
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import (
    batch_name,
    curated_partition,
    quarantine_partition,
    report_prefix,
)
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

QUARANTINE_EXTRA_COLUMNS = ("failed_expectations",)
#: URLs that could not be fetched, listed with their reason in the run's summary (all are in fetched/*.json).
MAX_FETCH_FAILURES_IN_SUMMARY = 20
# Records shown per broken expectation in summary.json (and so in the alert), and their evidence length.
EXAMPLES_PER_EXPECTATION = 3
EXAMPLE_EVIDENCE_CHARS = 240


def completed_sources(
    store: ObjectStore, run: RunContext, source_ids: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Sources whose every batch reached ``extracted/``, and those that did not."""
    extracted = {batch_name(k) for k in store.list_keys(keys.stage_prefix(run.work, keys.EXTRACTED))}
    done: list[str] = []
    missing: list[str] = []
    for sid in source_ids:
        key = keys.discovered_key(run.work, sid)
        if not store.exists(key):
            missing.append(sid)
            continue
        batches = {batch_name(k) for k in store.get_json(key)["batches"]}
        (done if batches <= extracted else missing).append(sid)
    return done, missing


def _load_extracted(store: ObjectStore, run: RunContext, source_ids: set[str]) -> list[dict[str, Any]]:
    """The run's extracted records, typed as the contract says (JSON carries dates as strings)."""
    from conflict_ingest.storage.partitions import coerce_row

    rows: list[dict[str, Any]] = []
    for key in sorted(store.list_keys(keys.stage_prefix(run.work, keys.EXTRACTED))):
        for row in store.get_jsonl_gz(key):
            if row["source_id"] in source_ids:
                rows.append(coerce_row(row))
    # The same article syndicated by several sources gives the same record_id: count it once.
    unique: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r["source_id"], r["record_id"])):
        unique.setdefault(row["record_id"], row)
    return list(unique.values())


def page_tallies(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """What the run's cleaned pages were, for the summary: pages per language, the pages the count
    rules skipped for their language (``skipped_language``, per language), and the pages read for
    counts or not, with the reasons tallied (each cleaned row's ``relevance``; rows written before it
    count as ``"unknown"``)."""
    from conflict_ingest.extract.relevance import RULES_LANGUAGE, Relevance

    languages: dict[str, int] = {}
    reasons: dict[str, int] = {}
    read = not_read = 0
    for key in sorted(store.list_keys(keys.stage_prefix(run.work, keys.CLEANED))):
        for row in store.get_jsonl_gz(key):
            lang = row.get("language") or "und"
            languages[lang] = languages.get(lang, 0) + 1
            relevance = row.get("relevance") or {}
            kind = Relevance(relevance.get("read") is True, str(relevance.get("reason") or "unknown")).kind
            reasons[kind] = reasons.get(kind, 0) + 1
            read += relevance.get("read") is True
            not_read += relevance.get("read") is False
    skipped = {k: n for k, n in sorted(languages.items()) if k not in (RULES_LANGUAGE, "und")}
    return {
        "languages": dict(sorted(languages.items())),
        "skipped_language": skipped,
        "relevance": {"read": read, "not_read": not_read, "reasons": dict(sorted(reasons.items()))},
    }


def by_source(rows: Iterable[dict[str, Any]], sources: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {sid: [] for sid in sources}
    for row in rows:
        groups.setdefault(row["source_id"], []).append(row)
    return groups


def read_trailing_history(store: ObjectStore, day: dt.date, days: int) -> Any:
    """The committed curated partitions of the ``days`` days before ``day``, summarised as a
    :class:`~conflict_ingest.validate.config.TrailingHistory`; partitions that are not committed (no
    manifest) or damaged (a listed part missing or not matching its checksum) are skipped."""
    from conflict_ingest.storage.partitions import DamagedPartition, IncompletePartition, read_committed
    from conflict_ingest.validate.config import TrailingHistory

    history = TrailingHistory()
    for offset in range(days, 0, -1):
        past = day - dt.timedelta(days=offset)
        try:
            # the manifest and the rows of one committed snapshot
            manifest, rows = read_committed(store, curated_partition(past))
        except DamagedPartition as exc:
            logger.warning("trailing history skips %s: %s", past, exc)
            continue
        except IncompletePartition:  # never landed, or not committed yet
            continue
        history.add_day(past, rows, manifest.get("sources_incomplete") or [])
    logger.info("trailing history for %s: %d committed day(s) of %d read", day, len(history.days), days)
    return history


def _examples(outcome: Any, per_expectation: int) -> dict[str, list[dict[str, Any]]]:
    """A few records per broken expectation, for the alert (the report and quarantine have them all)."""
    from conflict_ingest.validate.report import problem_notes

    rows = {r.get("record_id"): r for r in [*outcome.failed, *outcome.passed]}
    notes = problem_notes(outcome.gx_result)
    out: dict[str, list[dict[str, Any]]] = {}
    for result in outcome.expectation_results:
        if result["success"] or result.get("scope", "record") != "record":
            continue
        shown = []
        for record_id in result["unexpected_record_ids"][:per_expectation]:
            row = rows.get(record_id) or {}
            evidence = str(row.get("evidence") or "")
            prefix = result["name"] + ": "
            why = [n.removeprefix(prefix) for n in notes.get(record_id, []) if n.startswith(prefix)]
            shown.append(
                {
                    "record_id": record_id,
                    "source_id": row.get("source_id"),
                    "metric": row.get("metric"),
                    "count": row.get("count"),
                    "url": row.get("canonical_url") or row.get("source_url"),
                    "evidence": evidence[:EXAMPLE_EVIDENCE_CHARS],
                    "why": "; ".join(why)[:EXAMPLE_EVIDENCE_CHARS] or None,
                }
            )
        out[result["name"]] = shown
    return out


def validate_stage(
    store: ObjectStore,
    run: RunContext,
    source_ids: list[str],
    *,
    dag_id: str = "",
    report_title: str = "",
    config: Any = None,
) -> dict[str, Any]:
    """Run the expectation suite on the run's records; quarantine what breaks a critical one.

    Reads the trailing curated partitions for the history warnings, writes the quarantine
    partition, the validation report (GX JSON, HTML, ``summary.json``) and the list of records
    that may land. Returns a small summary for XCom (``summary.json`` also has examples of the
    records behind each broken expectation, for the alert). ``config`` is a
    :class:`~conflict_ingest.validate.config.ValidationConfig`; None reads it from the environment.
    """
    from conflict_ingest.validate.checks import validate_records
    from conflict_ingest.validate.config import ValidationConfig
    from conflict_ingest.validate.report import render_report_html

    config = config or ValidationConfig.from_env()
    done, missing = completed_sources(store, run, source_ids)
    rows = _load_extracted(store, run, set(done))
    history = read_trailing_history(store, run.day, config.history_days)
    outcome = validate_records(rows, config=config, history=history, sources=done)
    reports = report_prefix(run.day, run.run_id)
    store.put_json(reports + keys.GX_RESULT_FILE, outcome.gx_result)
    summary = {
        **outcome.summary(),
        "dag_id": dag_id,
        "run_id": run.run_id,
        "day": run.day.isoformat(),
        "sources_complete": done,
        "sources_incomplete": missing,
        "history_days_read": len(history.days),
        "report_key": reports + keys.REPORT_FILE,
        "summary_key": reports + keys.SUMMARY_FILE,
        "quarantine_prefix": quarantine_partition(run.day),
        "curated_prefix": curated_partition(run.day),
        "cleaned_pages": page_tallies(store, run),
    }
    failures = fetch_failures(store, run)
    summary["fetch_failed"] = len(failures)
    summary["fetch_failures"] = failures[:MAX_FETCH_FAILURES_IN_SUMMARY]
    for sid in done:
        summary["records_by_source"].setdefault(sid, {"total": 0, "passed": 0, "failed": 0, "flagged": 0})
    store.put_json(
        reports + keys.SUMMARY_FILE, {**summary, "examples": _examples(outcome, EXAMPLES_PER_EXPECTATION)}
    )
    title = report_title or f"Validation of strike counts for {run.day.isoformat()} ({run.run_id})"
    store.put_bytes(
        reports + keys.REPORT_FILE,
        render_report_html(outcome, title=title).encode("utf-8"),
        content_type="text/html; charset=utf-8",
    )
    write_quarantine(store, run, by_source(outcome.failed, done))
    store.put_jsonl_gz(keys.validated_passed_key(run.work), outcome.passed)
    store.put_json(keys.validated_sources_key(run.work), {"complete": done, "incomplete": missing})
    return summary


def write_quarantine(
    store: ObjectStore, run: RunContext, groups: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Replace the day's quarantined parts of these groups; same commit protocol as curated
    (:func:`conflict_ingest.storage.partitions.write_partition`), so concurrent runs lose nothing here either."""
    from conflict_ingest.storage.partitions import write_partition

    return write_partition(
        store,
        quarantine_partition(run.day),
        groups,
        day=run.day,
        run_id=run.run_id,
        extra_list_columns=QUARANTINE_EXTRA_COLUMNS,
        enforce_required=False,  # it holds the records that broke the contract, nulls included
    )
