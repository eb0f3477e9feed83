"""Per-source health across nights, on moto's S3 server: the run summary's ``sources`` table, the
``source_health`` rollup over a week of nights, and the yield warning backed by that history.

Nights are made by the real stages' outputs: each source's batch, fetch manifest, cleaned pages and
extracted records are written to the work area as the stages write them, then the real ``validate``
and ``land`` run on them, so every summary and manifest read back was written by the pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import run_nightly, strike_rows

from conflict_ingest import health
from conflict_ingest.alerts import build_alert
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.land import land_stage
from conflict_ingest.pipeline.validate import validate_stage
from conflict_ingest.rollups import build_rollups, read_rollup
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import curated_partition, quarantine_partition
from conflict_ingest.storage.partitions import read_partition, write_partition
from conflict_ingest.storage.store import ObjectStore
from conflict_ingest.validate.config import SOURCE_SILENT, ValidationConfig

TONIGHT = dt.date(2016, 12, 8)


@dataclass
class Yield:
    """What one source yields in one night: URLs found, how many failed to fetch, how many of the
    fetched pages are read for counts, the counts of its records (each its own page, so they pass),
    and two counts a page states for the same thing (held in quarantine: ``no_conflicting_counts``)."""

    urls: int
    failed: int = 0
    read: int | None = None
    counts: tuple[int, ...] = ()
    conflict: tuple[int, int] | None = None


def stage_source(store: ObjectStore, run: RunContext, sid: str, y: Yield) -> None:
    """What discover, fetch, clean and extract write for one source (one batch), as they write it."""
    batch = keys.batch_key(run.work, sid, 0)
    items = [
        {"url": f"https://{sid}.example/{run.day}/{i}", "published": None, "title": None}
        for i in range(y.urls)
    ]
    store.put_json(batch, {"source_id": sid, "day": run.day, "run_id": run.run_id, "items": items})
    store.put_json(
        keys.discovered_key(run.work, sid), {"source_id": sid, "batches": [batch] if items else []}
    )
    if not items:
        return
    pages = [
        {"url": item["url"], "raw_key": f"raw/{sid}/{i}.html.gz"} for i, item in enumerate(items[y.failed :])
    ]
    errors = [
        {"url": item["url"], "status": 503, "error": "HTTP 503", "attempts": 3} for item in items[: y.failed]
    ]
    fetched = keys.fetched_key(batch)
    store.put_json(fetched, {"source_id": sid, "day": run.day, "pages": pages, "errors": errors})
    read = len(pages) if y.read is None else y.read
    cleaned = [
        {
            **page,
            "source_id": sid,
            "language": "en",
            "relevance": {"read": i < read, "reason": "conflict terms" if i < read else "no conflict terms"},
        }
        for i, page in enumerate(pages)
    ]
    store.put_jsonl_gz(keys.cleaned_key(fetched), cleaned)
    rows = strike_rows(sid, list(y.counts), run.day)
    for i, row in enumerate(rows):
        row["source_url"] = row["canonical_url"] = f"https://{sid}.example/{run.day}/{i}"
        row["record_id"] = f"{sid}-{run.day}-{i}"
    if y.conflict:
        rows += strike_rows(sid, list(y.conflict), run.day)
    for row in rows:
        row["actor"] = "US-led coalition"
        row["published_at"] = dt.datetime.combine(run.day, dt.time(9), tzinfo=dt.UTC)
    store.put_jsonl_gz(keys.extracted_key(keys.cleaned_key(fetched)), rows)


def run_night(
    store: ObjectStore, day: dt.date, yields: dict[str, Yield], run_id: str | None = None, **config: Any
) -> dict[str, Any]:
    """One night through the real validate and land stages; returns the summary validate wrote."""
    run = RunContext(day=day, run_id=run_id or f"scheduled__{day.isoformat()}")
    for sid, y in yields.items():
        stage_source(store, run, sid, y)
    summary = validate_stage(
        store, run, list(yields), dag_id="conflict_news_nightly", config=ValidationConfig(**config)
    )
    land_stage(store, run)
    return store.get_json(summary["summary_key"])


def past_night(
    store: ObjectStore, day: dt.date, yields: dict[str, Yield], run_id: str | None = None
) -> dict[str, Any]:
    """A night in history, quickly: its run summary as ``validate`` writes it (the keys the health
    history reads) and its records landed in the curated zone by the real landing protocol."""
    run_id = run_id or f"scheduled__{day.isoformat()}"
    sources = {
        sid: {
            "complete": True,
            "urls_discovered": y.urls,
            "pages_fetched": y.urls - y.failed,
            "pages_failed": y.failed,
            "pages_read_for_counts": y.urls - y.failed if y.read is None else y.read,
            "records_extracted": len(y.counts),
            "records_landed": len(y.counts),
            "records_held": 0,
        }
        for sid, y in yields.items()
    }
    summary = {
        "run_id": run_id,
        "day": day.isoformat(),
        "sources_complete": sorted(yields),
        "sources_incomplete": [],
        "sources": sources,
        "validated_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    store.put_json(keys.report_prefix(day, run_id) + keys.SUMMARY_FILE, summary)
    groups = {}
    for sid, y in yields.items():
        groups[sid] = strike_rows(sid, list(y.counts), day)
        for i, row in enumerate(groups[sid]):
            row["record_id"] = f"{sid}-{day}-{i}"
    write_partition(store, curated_partition(day), groups, day=day, run_id=run_id)
    return summary


def rows_of(store: ObjectStore, prefix: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in read_partition(store, prefix):
        out[row["source_id"]] = out.get(row["source_id"], 0) + 1
    return out


def expected_from_work_area(store: ObjectStore, work: str, sid: str) -> dict[str, int]:
    """A source's stage counts read back from the objects the stages wrote (not from the summary)."""
    urls = pages = failed = read = records = 0
    for key in store.list_keys(keys.stage_prefix(work, keys.BATCHES)):
        if keys.batch_source_id(key) == sid:
            urls += len(store.get_json(key)["items"])
    for key in store.list_keys(keys.stage_prefix(work, keys.FETCHED)):
        if keys.batch_source_id(key) == sid:
            fetched = store.get_json(key)
            pages, failed = pages + len(fetched["pages"]), failed + len(fetched["errors"])
    for key in store.list_keys(keys.stage_prefix(work, keys.CLEANED)):
        if keys.batch_source_id(key) == sid:
            read += sum(
                1 for row in store.get_jsonl_gz(key) if (row.get("relevance") or {}).get("read") is True
            )
    for key in store.list_keys(keys.stage_prefix(work, keys.EXTRACTED)):
        if keys.batch_source_id(key) == sid:
            records += len(store.get_jsonl_gz(key))
    return {
        "urls_discovered": urls,
        "pages_fetched": pages,
        "pages_failed": failed,
        "pages_read_for_counts": read,
        "records_extracted": records,
    }


# --- tonight: the summary's per-source table ------------------------------------------------------------


def test_summary_sources_table_matches_what_the_stages_wrote(store: ObjectStore) -> None:
    yields = {
        "wire-a": Yield(urls=5, failed=1, read=3, counts=(4, 7, 9), conflict=(2709, 27800)),
        "wire-b": Yield(urls=3, failed=3),  # every fetch failed
        "wire-c": Yield(urls=0),  # discovery found nothing
    }
    summary = run_night(store, TONIGHT, yields)
    run = RunContext(day=TONIGHT, run_id=summary["run_id"])
    landed = rows_of(store, curated_partition(TONIGHT))
    held = (
        rows_of(store, quarantine_partition(TONIGHT))
        if store.exists(keys.manifest_key(quarantine_partition(TONIGHT)))
        else {}
    )
    assert set(summary["sources"]) == set(yields)
    for sid in yields:
        row = summary["sources"][sid]
        assert row["complete"] is True
        expected = expected_from_work_area(store, run.work, sid)
        assert {name: row[name] for name in expected} == expected, sid
        assert row["records_landed"] == landed.get(sid, 0)
        assert row["records_held"] == held.get(sid, 0)
    # the comparisons are not between zeros
    assert (
        summary["sources"]["wire-a"]["records_landed"] > 0
        and summary["sources"]["wire-a"]["records_held"] > 0
    )
    assert summary["sources"]["wire-b"]["pages_failed"] == summary["sources"]["wire-b"]["urls_discovered"] > 0
    # the per-source counts add up to the night's
    assert (
        sum(r["pages_read_for_counts"] for r in summary["sources"].values())
        == summary["cleaned_pages"]["relevance"]["read"]
    )
    assert sum(r["pages_failed"] for r in summary["sources"].values()) == summary["fetch_failed"]


def test_a_source_that_did_not_complete_is_listed_with_what_it_reached(store: ObjectStore) -> None:
    run = RunContext(day=TONIGHT, run_id="manual__partial")
    stage_source(store, run, "wire-a", Yield(urls=2, counts=(3,)))
    stage_source(store, run, "wire-d", Yield(urls=4, failed=1, counts=(5,)))
    store.delete(
        [keys.extracted_key(keys.cleaned_key(keys.fetched_key(keys.batch_key(run.work, "wire-d", 0))))]
    )
    summary = validate_stage(store, run, ["wire-a", "wire-d", "wire-gone"], config=ValidationConfig())
    assert summary["sources_incomplete"] == ["wire-d", "wire-gone"]
    partial = summary["sources"]["wire-d"]
    assert partial["complete"] is False and (partial["urls_discovered"], partial["pages_fetched"]) == (4, 3)
    assert partial["records_extracted"] is None and partial["records_landed"] is None
    assert summary["sources"]["wire-gone"]["urls_discovered"] is None  # its discovery never completed


# --- every night: the source_health rollup ------------------------------------------------------------------


def test_source_health_rollup_spans_the_nights_one_run_per_source_and_night(store: ObjectStore) -> None:
    week = [TONIGHT - dt.timedelta(days=n) for n in range(7, 0, -1)]
    missing = week[2]  # no run that night
    rerun = week[4]  # run twice: the second run's counts and landing replace the first's
    written: dict[tuple[dt.date, str], dict[str, Any]] = {}
    for i, day in enumerate(week):
        if day == missing:
            continue
        yields = {"wire-a": Yield(urls=4 + i, failed=1, counts=tuple(range(10, 10 + i % 3 + 1)))}
        if i % 2 == 0:
            yields["wire-b"] = Yield(urls=2, read=1, counts=(i + 1,))
        summaries = [past_night(store, day, yields)]
        if day == rerun:
            yields = {"wire-a": Yield(urls=9, failed=0, counts=(21, 22, 23, 24, 25))}
            summaries.append(past_night(store, day, yields, run_id=f"manual__rerun_{day}"))
        for summary in summaries:  # a later run's row replaces an earlier one's
            for sid, row in summary["sources"].items():
                written[(day, sid)] = row | {"run_id": summary["run_id"]}

    result = build_rollups(store)
    table = read_rollup(store, "source_health")
    assert result["source_health"]["rows"] == len(table) == len(written)
    got = {(row["day"], row["source_id"]): row for row in table}
    assert set(got) == set(written) and not any(day == missing for day, _ in got)
    for (day, sid), row in got.items():
        expected = written[(day, sid)]
        for name in health.STAGE_COLUMNS:
            assert row[name] == expected[name], (day, sid, name)
        assert row["run_id"] == expected["run_id"] and row["complete"] is True
        # what the curated zone holds for the day, whichever run wrote it
        assert row["records_landed"] == rows_of(store, curated_partition(day)).get(sid, 0)
    assert got[(rerun, "wire-a")]["runs"] == 2 and got[(rerun, "wire-a")]["urls_discovered"] == 9
    assert got[(rerun, "wire-b")]["runs"] == 1  # the re-run read wire-a only: wire-b keeps the first run's
    assert got[(week[0], "wire-a")]["runs"] == 1


def test_health_reads_summaries_written_before_the_sources_table(store: ObjectStore) -> None:
    """An older summary (no ``sources``) still gives its sources' records; stage counts are unknown."""
    day = TONIGHT - dt.timedelta(days=1)
    summary = run_night(store, day, {"wire-a": Yield(urls=3, counts=(4, 5))})
    older = {k: v for k, v in summary.items() if k not in ("sources", "validated_at")}
    store.put_json(summary["summary_key"], older)
    (row,) = health.night_health(store, day).values()
    assert row["records_landed"] == 2 and row["records_extracted"] == 2
    assert row["urls_discovered"] is None and row["complete"] is True


def test_a_damaged_summary_in_history_is_skipped_not_fatal(store: ObjectStore) -> None:
    day = TONIGHT - dt.timedelta(days=1)
    past_night(store, day, {"wire-a": Yield(urls=3, counts=(4, 5))})
    store.put_bytes(keys.report_prefix(day, "manual__broken") + keys.SUMMARY_FILE, b"{not json")
    store.put_json(keys.report_prefix(day, "manual__odd") + keys.SUMMARY_FILE, ["not", "a", "summary"])
    (row,) = health.night_health(store, day).values()
    assert (row["source_id"], row["records_landed"], row["runs"]) == ("wire-a", 2, 1)


# --- the yield warning, backed by the previous nights -----------------------------------------------------


def _week(store: ObjectStore, nights: dict[str, list[int | None]]) -> None:
    """Seven nights before TONIGHT; per source, records that night (None: the source was not run)."""
    for n in range(7):
        day = TONIGHT - dt.timedelta(days=7 - n)
        yields = {
            sid: Yield(urls=3, counts=tuple(range(1, count + 1)))
            for sid, per_night in nights.items()
            if (count := per_night[n]) is not None
        }
        if yields:
            past_night(store, day, yields)


def _warnings(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["source_id"]: w for w in summary["source_warnings"]}


def test_a_source_that_goes_silent_after_a_week_of_records_is_a_warning_in_the_alert(
    store: ObjectStore,
) -> None:
    _week(store, {"steady": [3, 2, 4, None, 3, 5, 2], "steady-fetch": [1, 1, 1, 1, 1, 1, 1]})
    tonight = run_night(store, TONIGHT, {"steady": Yield(urls=0), "steady-fetch": Yield(urls=4, failed=4)})
    warnings = _warnings(tonight)
    assert set(warnings) == {"steady", "steady-fetch"}
    steady = warnings["steady"]
    assert steady["name"] == SOURCE_SILENT and steady["level"] == "warning"
    assert (
        steady["days_with_records"] == 6 and steady["history_days"] == 6
    )  # the night with no run counts neither way
    assert [n["records_landed"] for n in steady["nights"] if n["ran"]] == [3, 2, 4, 3, 5, 2]
    assert "no URL discovered" in steady["detail"] and "no run" in steady["detail"]
    assert "4 URL(s) discovered, no page fetched (4 failed)" in warnings["steady-fetch"]["detail"]

    message = build_alert(
        tonight, dag_id="conflict_news_nightly", run_id=tonight["run_id"], day=TONIGHT, bucket="b"
    )
    assert SOURCE_SILENT in message.subject
    line = next(x for x in message.body.splitlines() if f"{SOURCE_SILENT}: source steady:" in x)
    for night in steady["nights"]:
        assert night["day"] in line  # each of the last nights is named, with its yield


#: The 30-day rate check (``silent_source_min_days``/``_share`` over curated partitions) switched off,
#: so that the week's health alone decides.
HEALTH_ONLY = {"silent_source_min_days": 31}


@pytest.mark.parametrize(
    ("history", "tonight", "config", "why"),
    [
        ({}, Yield(urls=0), {}, "a new source has no history"),
        ({"src": [5, 6, 4, 7, 5, 6, 5]}, Yield(urls=3, counts=(1,)), {}, "a lower yield is not zero"),
        ({"src": [5, 0, 0, None, 6, 0, 4]}, Yield(urls=3), HEALTH_ONLY, "records on 3 of 7 nights only"),
    ],
)
def test_no_yield_warning(
    store: ObjectStore, history: dict[str, list[int | None]], tonight: Yield, config: dict[str, Any], why: str
) -> None:
    _week(store, history)
    summary = run_night(store, TONIGHT, {"src": tonight}, **config)
    assert summary["source_warnings"] == [], why


def test_re_runs_of_a_night_are_not_counted_twice(store: ObjectStore) -> None:
    """Four nights with records, one of them run three times: four, below the five needed."""
    _week(store, {"src": [2, None, 3, None, 2, None, 4]})
    rerun = TONIGHT - dt.timedelta(days=1)
    for attempt in range(2):
        past_night(store, rerun, {"src": Yield(urls=3, counts=(4, 5))}, run_id=f"manual__again{attempt}")
    summary = run_night(store, TONIGHT, {"src": Yield(urls=3)}, **HEALTH_ONLY)
    assert summary["source_warnings"] == []
    fired = run_night(
        store, TONIGHT, {"src": Yield(urls=3)}, run_id="manual__n4", silent_source_min_nights=4, **HEALTH_ONLY
    )
    assert _warnings(fired)["src"]["days_with_records"] == 4


# --- through the real nightly and rollups DAGs -------------------------------------------------------------


def test_nightly_dag_summary_and_rollups_dag_keep_per_source_health(airflow_env, store: ObjectStore) -> None:
    from airflow.dag_processing.dagbag import DagBag

    day = dt.date(2016, 12, 1)
    dag_run = run_nightly(day)
    (summary_key,) = [
        k for k in store.list_keys(keys.reports_day_prefix(day)) if k.endswith(keys.SUMMARY_FILE)
    ]
    summary = store.get_json(summary_key)
    run = RunContext(day=day, run_id=dag_run.run_id)
    landed = rows_of(store, curated_partition(day))
    held = rows_of(store, quarantine_partition(day))
    assert summary["sources"] and sum(landed.values()) > 0 and sum(held.values()) > 0
    for sid, row in summary["sources"].items():
        expected = expected_from_work_area(store, run.work, sid)
        assert {name: row[name] for name in expected} == expected, sid
        assert (row["records_landed"], row["records_held"]) == (landed.get(sid, 0), held.get(sid, 0)), sid

    bag = DagBag(dag_folder=str(Path(__file__).parents[2] / "dags"))
    assert bag.dags["conflict_news_rollups"].test().state == "success"
    table = {r["source_id"]: r for r in read_rollup(store, "source_health") if r["day"] == day}
    assert set(table) == set(summary["sources"])
    for sid, row in table.items():
        assert {n: row[n] for n in health.STAGE_COLUMNS} == {
            n: summary["sources"][sid][n] for n in health.STAGE_COLUMNS
        }
