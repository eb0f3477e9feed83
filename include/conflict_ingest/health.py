"""Per-source health across nights: what each source yielded at every stage, night by night.

Three views of one table, one row per (night, source), its columns :data:`STAGE_COLUMNS`: URLs
discovered, pages fetched and failed, pages read for counts, records extracted, landed and held.

- **Tonight** (:func:`source_table`): the ``sources`` table of the run's ``summary.json``, derived
  from what the stages already wrote in the run's work area (``discovered/``, ``batches/``,
  ``fetched/``) and the counts ``validate`` folds anyway (pages read per source from ``cleaned/``,
  records per source from ``extracted/`` and the validation outcome). No stage is run twice.
- **One night in history** (:func:`night_health`): the day's run summaries, one run per source
  (the latest run that completed it, so overlapping runs and re-runs of a day never add up), with
  ``records_landed`` and ``records_held`` read from the day's committed curated and quarantine
  manifests (what the zones hold for the day, whatever run wrote it).
- **Every night** (:func:`health_rows`): the rollup ``source_health`` (:mod:`conflict_ingest.rollups`).

:func:`yield_warnings` is the per-source yield check backed by that history: a source that completed
tonight with no records, although it landed records on at least ``min_nights`` of the previous
:data:`WINDOW_NIGHTS` nights, is a warning (``source_yielded_no_records``) naming the stage where its
yield went to zero and its last nights' yields. A night with no run, or one the source did not
complete, counts neither for nor against it; a source with no such history gives no warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)

#: The nights before tonight the yield check reads.
WINDOW_NIGHTS = 7
#: What one source yielded at each stage of one night (``None``: that stage did not run for it).
STAGE_COLUMNS: tuple[str, ...] = (
    "urls_discovered",
    "pages_fetched",
    "pages_failed",
    "pages_read_for_counts",
    "records_extracted",
    "records_landed",
    "records_held",
)
#: The rollup's columns: the night, the source, the run its stage counts come from, then the counts.
HEALTH_COLUMNS: tuple[str, ...] = ("day", "source_id", "complete", "runs", "run_id", *STAGE_COLUMNS)
#: Parallel reads of the work area's small per-batch objects (S3 latency, not CPU, is the cost).
READ_THREADS = 8

_SUMMARY_RE = re.compile(rf"/dt=(\d{{4}}-\d{{2}}-\d{{2}})/[^/]+/{re.escape(keys.SUMMARY_FILE)}\Z")


# --- tonight: the run summary's per-source table ----------------------------------------------------


def _batch_counts(store: ObjectStore, batch: str) -> tuple[int | None, int | None, int | None]:
    """(URLs in the batch, pages fetched, URLs failed); the fetch counts are None until ``fetch`` wrote them."""
    items = store.get_json_or_none(batch)
    fetched = store.get_json_or_none(keys.fetched_key(batch))
    urls = len(items.get("items") or []) if items is not None else None
    if fetched is None:
        return urls, None, None
    return urls, len(fetched.get("pages") or []), len(fetched.get("errors") or [])


def _add(total: int | None, value: int | None) -> int | None:
    return value if total is None else total + (value or 0)


def source_table(
    store: ObjectStore,
    work: str,
    source_ids: Iterable[str],
    complete: Iterable[str],
    *,
    pages_read: Mapping[str, int],
    records_extracted: Mapping[str, int],
    records_by_source: Mapping[str, Mapping[str, int]],
) -> dict[str, dict[str, Any]]:
    """The run's per-source table: every planned source, whether it completed, and its stage counts.

    ``pages_read`` (cleaned pages whose ``relevance`` says they are read for counts: English and about
    armed conflict), ``records_extracted`` (rows in the source's ``extracted/`` objects) and
    ``records_by_source`` (the validation outcome's ``passed`` and ``failed`` per source) are what
    ``validate`` counts in its own passes. ``records_landed`` are the records that passed the gate (what
    ``land`` writes for the source), ``records_held`` those held in quarantine; both are None for a
    source that did not complete (nothing of it was validated).
    """
    done = set(complete)
    planned = list(dict.fromkeys(source_ids))
    discovered = {sid: store.get_json_or_none(keys.discovered_key(work, sid)) for sid in planned}
    batches = [(sid, b) for sid in planned for b in (discovered[sid] or {}).get("batches") or []]
    with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="health-reader") as pool:
        counts = list(pool.map(lambda sb: _batch_counts(store, sb[1]), batches))
    table: dict[str, dict[str, Any]] = {}
    for sid in planned:
        known = discovered[sid] is not None
        table[sid] = {
            "complete": sid in done,
            "batches": len((discovered[sid] or {}).get("batches") or []) if known else None,
            "urls_discovered": 0 if known else None,
            "pages_fetched": None,
            "pages_failed": None,
            "pages_read_for_counts": pages_read.get(sid, 0) if known else None,
            "records_extracted": records_extracted.get(sid, 0) if sid in done else None,
            "records_landed": (records_by_source.get(sid) or {}).get("passed", 0) if sid in done else None,
            "records_held": (records_by_source.get(sid) or {}).get("failed", 0) if sid in done else None,
        }
        if known and not table[sid]["batches"]:  # discovery found nothing: nothing to fetch either
            table[sid].update(pages_fetched=0, pages_failed=0)
    for (sid, _), (urls, pages, failed) in zip(batches, counts, strict=True):
        row = table[sid]
        row["urls_discovered"] = _add(row["urls_discovered"], urls)
        row["pages_fetched"] = _add(row["pages_fetched"], pages)
        row["pages_failed"] = _add(row["pages_failed"], failed)
    return table


# --- the nights in history -------------------------------------------------------------------------


def _summary_time(summary: Mapping[str, Any], modified: dt.datetime) -> str:
    """When the run validated (``validated_at``; the object's last-modified time for older summaries)."""
    stamp = summary.get("validated_at")
    return str(stamp) if stamp else modified.astimezone(dt.UTC).isoformat()


def _summary_sources(summary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A summary's per-source table; for a summary written before it, what its record counts say."""
    table = summary.get("sources")
    if isinstance(table, Mapping):
        return {str(sid): dict(row) for sid, row in table.items() if isinstance(row, Mapping)}
    complete = set(summary.get("sources_complete") or [])
    by_source = summary.get("records_by_source") or {}
    out: dict[str, dict[str, Any]] = {}
    for sid in [*(summary.get("sources_complete") or []), *(summary.get("sources_incomplete") or [])]:
        counts = by_source.get(sid) or {}
        done = sid in complete
        out[sid] = {
            "complete": done,
            "records_extracted": counts.get("total", 0) if done else None,
            "records_landed": counts.get("passed", 0) if done else None,
            "records_held": counts.get("failed", 0) if done else None,
        }
    return out


def day_summaries(store: ObjectStore, day: dt.date) -> list[tuple[str, dict[str, Any]]]:
    """Every run summary of ``day``, oldest first, each with when it validated. A summary that cannot be
    read as one (not JSON, not an object) is logged and skipped: a damaged past night never stops tonight."""
    found = []
    for key, modified in store.list_objects(keys.reports_day_prefix(day)):
        if not _SUMMARY_RE.search(key):
            continue
        try:
            summary = store.get_json_or_none(key)
        except ValueError as exc:
            logger.warning("health of %s skips %s: not JSON (%s)", day, key, exc)
            continue
        if not isinstance(summary, Mapping):
            logger.warning("health of %s skips %s: not a run summary", day, key)
            continue
        found.append((_summary_time(summary, modified), key, dict(summary)))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(stamp, summary) for stamp, _, summary in found]


def _rows_by_group(store: ObjectStore, partition: str) -> dict[str, int] | None:
    """Rows per source in a partition's committed manifest; None when it has none."""
    manifest = store.get_json_or_none(keys.manifest_key(partition))
    if not isinstance(manifest, Mapping):
        return None
    rows: dict[str, int] = {}
    for part in manifest.get("parts") or []:
        group = str(part.get("group"))
        rows[group] = rows.get(group, 0) + int(part.get("rows") or 0)
    return rows


def night_health(store: ObjectStore, day: dt.date) -> dict[str, dict[str, Any]]:
    """One row per source for ``day`` (:data:`HEALTH_COLUMNS`): its stage counts from the latest run
    of the day that completed it (else the latest that planned it), ``runs`` the runs that planned it,
    and ``records_landed``/``records_held`` as the day's committed curated and quarantine manifests
    hold them (a source the zone has no part of holds 0; the run's own counts when the zone has no
    manifest). A source that only appears in a manifest (landed before run summaries) gets a row too.
    """
    chosen: dict[str, tuple[dict[str, Any], str]] = {}
    runs: dict[str, int] = {}
    for _, summary in day_summaries(store, day):  # oldest first: a later run replaces an earlier one
        for sid, row in _summary_sources(summary).items():
            runs[sid] = runs.get(sid, 0) + 1
            earlier = chosen.get(sid)
            if earlier is None or row.get("complete") or not earlier[0].get("complete"):
                chosen[sid] = (row, str(summary.get("run_id") or ""))
    landed = _rows_by_group(store, keys.curated_partition(day))
    held = _rows_by_group(store, keys.quarantine_partition(day))
    out: dict[str, dict[str, Any]] = {}
    for sid in sorted({*chosen, *(landed or {}), *(held or {})}):
        row, run_id = chosen.get(sid, ({"complete": True}, ""))
        entry: dict[str, Any] = {
            "day": day,
            "source_id": sid,
            "complete": bool(row.get("complete")),
            "runs": runs.get(sid, 0),
            "run_id": run_id or None,
        }
        entry.update({name: row.get(name) for name in STAGE_COLUMNS})
        if landed is not None:
            entry["records_landed"] = landed.get(sid, 0)
        if held is not None:
            entry["records_held"] = held.get(sid, 0)
        out[sid] = entry
    return out


def health_days(store: ObjectStore) -> list[dt.date]:
    """Every day with a run summary or a committed curated partition."""
    days: set[dt.date] = set()
    for key in store.list_keys(keys.REPORTS_PREFIX + "/"):
        match = _SUMMARY_RE.search(key)
        if match:
            days.add(dt.date.fromisoformat(match.group(1)))
    for key in store.list_keys(keys.CURATED_PREFIX + "/"):
        match = re.search(r"/dt=(\d{4}-\d{2}-\d{2})/" + re.escape(keys.MANIFEST_NAME) + r"\Z", key)
        if match:
            days.add(dt.date.fromisoformat(match.group(1)))
    return sorted(days)


def health_rows(store: ObjectStore, days: Iterable[dt.date] | None = None) -> list[dict[str, Any]]:
    """The health table over ``days`` (every day known, by default): one row per night and source."""
    rows: list[dict[str, Any]] = []
    for day in health_days(store) if days is None else days:
        rows.extend(night_health(store, day).values())
    return rows


# --- the yield check ---------------------------------------------------------------------------------


def _zero_stage(tonight: Mapping[str, Any]) -> str:
    """Where tonight's yield went to zero, in words."""
    urls, pages = tonight.get("urls_discovered"), tonight.get("pages_fetched")
    failed, read = tonight.get("pages_failed") or 0, tonight.get("pages_read_for_counts")
    if urls == 0:
        return "no URL discovered"
    if pages == 0:
        return f"{urls} URL(s) discovered, no page fetched ({failed} failed)"
    if read == 0:
        return f"{pages} page(s) fetched, none read for counts"
    return f"{read} page(s) read for counts, no record extracted"


def _yield_text(night: Mapping[str, Any] | None) -> str:
    """A night's yield in a word: records landed, ``no run`` or ``incomplete``."""
    if night is None:
        return "no run"
    if not night.get("complete") and not night.get("records_landed"):
        return "incomplete"
    return str(night.get("records_landed") or 0)


def read_history(
    store: ObjectStore, day: dt.date, nights: int = WINDOW_NIGHTS
) -> dict[dt.date, dict[str, dict[str, Any]]]:
    """The health of each of the ``nights`` nights before ``day`` (a night with no run: no rows)."""
    return {
        day - dt.timedelta(days=n): night_health(store, day - dt.timedelta(days=n))
        for n in range(nights, 0, -1)
    }


def yield_warnings(
    tonight: Mapping[str, Mapping[str, Any]],
    history: Mapping[dt.date, Mapping[str, Mapping[str, Any]]],
    *,
    min_nights: int,
) -> list[dict[str, Any]]:
    """Sources that completed tonight with no records although they landed records on at least
    ``min_nights`` (at least 1) of the nights in ``history`` (:func:`read_history`).

    ``tonight`` is the run's :func:`source_table`. Each warning names the source, where tonight's yield
    went to zero, and each night's yield (``nights``: oldest first).
    """
    from conflict_ingest.validate.columns import WARNING
    from conflict_ingest.validate.config import SOURCE_SILENT

    needed = max(1, min_nights)
    found: list[dict[str, Any]] = []
    for sid in sorted(tonight):
        row = tonight[sid]
        if not row.get("complete") or row.get("records_extracted"):
            continue
        nights = [(day, history[day].get(sid)) for day in sorted(history)]
        with_records = [day for day, night in nights if night and (night.get("records_landed") or 0) > 0]
        if len(with_records) < needed:
            continue
        read = [day for day, night in nights if night and night.get("complete")]
        landed = sorted(int(night.get("records_landed") or 0) for _, night in nights if night)
        yields = ", ".join(f"{day.isoformat()} {_yield_text(night)}" for day, night in nights)
        found.append(
            {
                "name": SOURCE_SILENT,
                "level": WARNING,
                "source_id": sid,
                "history_days": len(read),
                "days_with_records": len(with_records),
                "median_records": landed[len(landed) // 2] if landed else 0,
                "tonight": {name: row.get(name) for name in STAGE_COLUMNS},
                "nights": [
                    {"day": day.isoformat(), **({n: night.get(n) for n in STAGE_COLUMNS} if night else {})}
                    | {"ran": night is not None, "complete": bool(night and night.get("complete"))}
                    for day, night in nights
                ],
                "detail": (
                    f"no records tonight ({_zero_stage(row)}); it landed records on {len(with_records)} of "
                    f"the previous {len(nights)} nights (records landed per night: {yields})"
                ),
            }
        )
    return found


def merge_warnings(
    existing: Iterable[dict[str, Any]], backed: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One warning per source: the history-backed one where both checks fired (it says more)."""
    by_source = {w["source_id"]: w for w in existing}
    by_source.update({w["source_id"]: w for w in backed})
    return [by_source[sid] for sid in sorted(by_source)]
