"""Task ``validate``: the run's records through the gate; report, summary and quarantine written.

The night is validated batch by batch (the batches ``extract`` wrote), in bounded memory: a first
pass reads each batch to plan (:class:`~conflict_ingest.validate.night.NightPlan`: which batch owns
each ``record_id``, which batches share a page), then each unit (one batch, or the batches a page
spans) is validated with the one GX suite and its records written to per-batch passed and held
objects; the report, summary and alert are built from the units' outcomes folded together
(:class:`~conflict_ingest.validate.night.NightOutcome`), and the quarantine partition is streamed
from the held objects.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from conflict_ingest import health
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
#: Records validated at once (one GX run): batches are joined up to this many records, so memory is
#: bounded by it (not by the night) and the GX run's fixed cost is paid once per this many records.
UNIT_MAX_RECORDS = 5_000


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


def extracted_batches(store: ObjectStore, run: RunContext, source_ids: Iterable[str]) -> list[str]:
    """The extracted batch keys of these sources, in the order records are listed: by source, then batch."""
    wanted = set(source_ids)
    found = [
        k
        for k in store.list_keys(keys.stage_prefix(run.work, keys.EXTRACTED))
        if keys.batch_source_id(k) in wanted
    ]
    return sorted(found, key=lambda k: (keys.batch_source_id(k), k))


def _batch_rows(store: ObjectStore, key: str, source_ids: set[str]) -> list[dict[str, Any]]:
    """A batch's extracted records of these sources, typed as the contract says (JSON carries dates as strings)."""
    from conflict_ingest.storage.partitions import coerce_row

    return [coerce_row(row) for row in store.get_jsonl_gz(key) if row["source_id"] in source_ids]


def plan_night(
    store: ObjectStore, batches: list[str], source_ids: set[str], extracted: dict[str, int] | None = None
) -> Any:
    """One pass over the batches: a :class:`~conflict_ingest.validate.night.NightPlan` (record ids and
    page URLs only; the same article syndicated by several sources gives the same record_id and is
    validated once, by the first source in order). ``extracted``, when given, gets the rows per source."""
    from conflict_ingest.validate.night import NightPlan

    def rows_of(key: str) -> Iterator[dict[str, Any]]:  # streamed: one row at a time, never a batch
        for row in store.get_jsonl_gz(key):
            if row["source_id"] in source_ids:
                if extracted is not None:
                    extracted[row["source_id"]] = extracted.get(row["source_id"], 0) + 1
                yield row

    plan = NightPlan()
    for key in batches:
        plan.add_batch(key, rows_of(key))
    return plan


def page_tallies(
    store: ObjectStore, run: RunContext, read_by_source: dict[str, int] | None = None
) -> dict[str, Any]:
    """What the run's cleaned pages were, for the summary: pages per language, the pages the count
    rules skipped for their language (``skipped_language``, per language), and the pages read for
    counts or not, with the reasons tallied (each cleaned row's ``relevance``; rows written before it
    count as ``"unknown"``). ``read_by_source``, when given, gets the pages read for counts per source."""
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
            if read_by_source is not None and relevance.get("read") is True:
                sid = str(row.get("source_id") or keys.batch_source_id(key))
                read_by_source[sid] = read_by_source.get(sid, 0) + 1
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
    manifest) or damaged (a listed part missing or not matching its checksum) are skipped. Each
    partition is read part by part, the columns the summary needs only."""
    from conflict_ingest.storage.partitions import DamagedPartition, IncompletePartition, fold_committed
    from conflict_ingest.validate.config import HISTORY_COLUMNS, TrailingHistory

    history = TrailingHistory()
    for offset in range(days, 0, -1):
        past = day - dt.timedelta(days=offset)

        def summarise(manifest: dict[str, Any], rows: Iterable[dict[str, Any]], past: dt.date = past) -> Any:
            one_day = TrailingHistory()  # a day counts only once all its parts were read
            one_day.add_day(past, rows, manifest.get("sources_incomplete") or [])
            return one_day

        try:
            history.merge(fold_committed(store, curated_partition(past), summarise, columns=HISTORY_COLUMNS))
        except DamagedPartition as exc:
            logger.warning("trailing history skips %s: %s", past, exc)
            continue
        except IncompletePartition:  # never landed, or not committed yet
            continue
    logger.info("trailing history for %s: %d committed day(s) of %d read", day, len(history.days), days)
    return history


def validate_stage(
    store: ObjectStore,
    run: RunContext,
    source_ids: list[str],
    *,
    dag_id: str = "",
    report_title: str = "",
    config: Any = None,
    unit_records: int = UNIT_MAX_RECORDS,
) -> dict[str, Any]:
    """Run the expectation suite on the run's records, batch by batch; quarantine what breaks a critical one.

    Reads the trailing curated partitions for the history warnings, writes each batch's passed and
    held records (``validated/``), the quarantine partition, the validation report (GX JSON per unit
    and for the night, HTML, ``summary.json``) and the list of what may land. Returns a small
    summary for XCom (``summary.json`` also has examples of the records behind each broken
    expectation, for the alert). ``config`` is a
    :class:`~conflict_ingest.validate.config.ValidationConfig`; None reads it from the environment.
    Memory does not grow with the night: one unit's records at a time (batches joined up to
    ``unit_records`` records), plus the record ids.
    """
    from conflict_ingest.validate.checks import make_gate, validate_records
    from conflict_ingest.validate.config import ValidationConfig, silent_sources
    from conflict_ingest.validate.night import NightOutcome
    from conflict_ingest.validate.report import (
        MAX_IDS_PER_EXPECTATION,
        MAX_REPORT_ROWS,
        problem_notes,
        render_night_report_html,
    )

    config = config or ValidationConfig.from_env()
    done, missing = completed_sources(store, run, source_ids)
    wanted = set(done)
    batches = extracted_batches(store, run, done)
    extracted: dict[str, int] = {}
    plan = plan_night(store, batches, wanted, extracted)
    history = read_trailing_history(store, run.day, config.history_days)
    reports = report_prefix(run.day, run.run_id)
    gate = make_gate(config)  # one GX context and suite for every unit
    night = NightOutcome(
        report_rows=MAX_REPORT_ROWS,
        ids_per_expectation=MAX_IDS_PER_EXPECTATION,
        examples_per_expectation=EXAMPLES_PER_EXPECTATION,
        evidence_chars=EXAMPLE_EVIDENCE_CHARS,
    )
    passed_keys: dict[str, list[str]] = {sid: [] for sid in done}
    held_keys: dict[str, list[str]] = {sid: [] for sid in done}
    unit_results: list[str] = []
    units = plan.units(unit_records)
    for unit in units:
        rows: list[dict[str, Any]] = []
        for index in unit:
            rows.extend(plan.owned(index, _batch_rows(store, batches[index], wanted)))
        if not rows:
            continue
        rows.sort(key=lambda r: (r["source_id"], r["record_id"]))
        outcome = validate_records(rows, config=config, history=history, gate=gate)
        del rows
        result_key = keys.gx_unit_result_key(reports, batches[unit[0]])
        store.put_json(result_key, outcome.gx_result)
        unit_results.append(result_key)
        for index in unit:
            _write_batch(store, plan, index, batches[index], outcome.passed, keys.PASSED, passed_keys)
            _write_batch(store, plan, index, batches[index], outcome.failed, keys.HELD, held_keys)
        night.add(outcome, problem_notes(outcome.gx_result))
    if not night.units:  # no records tonight: the suite still runs, so the report lists its expectations
        empty = validate_records([], config=config, history=history, gate=gate)
        night.add(empty, problem_notes(empty.gx_result))
    # per-source yield (before validation: a source whose records were all held back did yield some)
    night.source_warnings = silent_sources(
        {sid: plan.records_by_source.get(sid, 0) for sid in done}, history, config
    )
    # per-source health: tonight's stage counts, and the yield check backed by the previous nights'
    read_by_source: dict[str, int] = {}
    cleaned_pages = page_tallies(store, run, read_by_source)
    sources = health.source_table(
        store,
        run.work,
        source_ids,
        done,
        pages_read=read_by_source,
        records_extracted=extracted,
        records_by_source=night.records_by_source,
    )
    # the previous nights are read only when some source yielded nothing tonight (the check's only case)
    silent = any(row["complete"] and not row["records_extracted"] for row in sources.values())
    night.source_warnings = health.merge_warnings(
        night.source_warnings,
        health.yield_warnings(
            sources,
            health.read_history(store, run.day) if silent else {},
            min_nights=config.silent_source_min_nights,
        ),
    )
    expectation_results = [*night.expectation_results(), _source_result(night.source_warnings)]
    store.put_json(reports + keys.GX_RESULT_FILE, night.gx_result(unit_results))
    summary = {
        **night.summary(),
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
        "cleaned_pages": cleaned_pages,
        "sources": sources,
        "validated_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    failures = fetch_failures(store, run)
    summary["fetch_failed"] = len(failures)
    summary["fetch_failures"] = failures[:MAX_FETCH_FAILURES_IN_SUMMARY]
    for sid in done:
        summary["records_by_source"].setdefault(sid, {"total": 0, "passed": 0, "failed": 0, "flagged": 0})
    held = {sid: _stream(store, held_keys[sid]) for sid in done}
    decisions = _decisions(store, run)
    if decisions:  # a re-run or backfill of a reviewed day: which held records a person already decided
        from conflict_ingest.review.decisions import decided

        summary["reviewed"] = decided((row for rows in held.values() for row in rows()), decisions)
    store.put_json(reports + keys.SUMMARY_FILE, {**summary, "examples": night.examples_by_expectation()})
    title = report_title or f"Validation of strike counts for {run.day.isoformat()} ({run.run_id})"
    store.put_bytes(
        reports + keys.REPORT_FILE,
        render_night_report_html(night, title=title, expectation_results=expectation_results).encode("utf-8"),
        content_type="text/html; charset=utf-8",
    )
    # reviewers' stored decisions on the day (a re-run or backfill of a reviewed day): released
    # records stay out of quarantine (land lands them), kept ones are marked reviewed
    write_quarantine(store, run, _reviewed(decisions, held))
    store.put_json(
        keys.validated_sources_key(run.work),
        {"complete": done, "incomplete": missing, "passed": passed_keys, "passed_records": night.passed},
    )
    logger.info(
        "validated %d record(s) in %d unit(s) of %d batch(es) (%d duplicate record(s) counted once, "
        "%d page URL(s) seen in more than one batch): %d passed, %d held",
        night.total,
        night.units,
        len(batches),
        plan.duplicates,
        plan.pages_across_batches,
        night.passed,
        night.failed,
    )
    return summary


def _source_result(warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-source yield check as an expectation result (listed after the suite's)."""
    from conflict_ingest.validate.columns import WARNING
    from conflict_ingest.validate.config import SOURCE_SILENT

    return {
        "name": SOURCE_SILENT,
        "level": WARNING,
        "scope": "source",
        "success": not warnings,
        "unexpected_count": len(warnings),
        "unexpected_record_ids": [],
        "unexpected_sources": [w["source_id"] for w in warnings],
    }


def _write_batch(
    store: ObjectStore,
    plan: Any,
    index: int,
    batch: str,
    rows: list[dict[str, Any]],
    outcome: str,
    written: dict[str, list[str]],
) -> None:
    """The unit's rows of one batch with this outcome, as that batch's ``validated/<outcome>/`` object."""
    mine = [row for row in rows if plan.owner.get(row["record_id"]) == index]
    if not mine:
        return
    key = keys.validated_batch_key(batch, outcome)
    store.put_jsonl_gz(key, mine)
    written.setdefault(keys.batch_source_id(batch), []).append(key)


def _stream(store: ObjectStore, object_keys: list[str]) -> Any:
    """The rows of these objects, one object at a time, each call afresh (a partition's ``RowSource``)."""

    def rows() -> Iterator[dict[str, Any]]:
        for key in object_keys:
            yield from store.get_jsonl_gz(key)

    return rows


def _decisions(store: ObjectStore, run: RunContext) -> dict[str, Any]:
    """The day's stored review decisions by record id (:mod:`conflict_ingest.review`; empty: none)."""
    from conflict_ingest.review.decisions import load_decisions

    return load_decisions(store, run.day)


def _reviewed(decisions: dict[str, Any], groups: dict[str, Any]) -> dict[str, Any]:
    """The quarantine groups with the day's stored review decisions applied (:mod:`conflict_ingest.review`)."""
    from conflict_ingest.review.decisions import quarantine_rows

    if not decisions:
        return groups

    def apply(rows: Any) -> Any:
        return lambda: quarantine_rows(rows(), decisions)

    return {sid: apply(rows) for sid, rows in groups.items()}


def write_quarantine(store: ObjectStore, run: RunContext, groups: dict[str, Any]) -> dict[str, Any]:
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
