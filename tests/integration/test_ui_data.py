"""The data of the "Strike counts" view (conflict_ingest.ui), read from moto's S3 server over HTTP.

Curated and quarantine partitions are landed with the pipeline's own landing code and the rollups
rebuilt by ``build_rollups``, as the DAGs do; run folders hold what ``validate`` and ``alert`` write
there (``summary.json``, ``alert.json``, ``report.html``), at the keys of ``storage/keys.py``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from typing import Any

import pytest

from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.validate import write_quarantine
from conflict_ingest.records import Extraction, PageMeta, Record
from conflict_ingest.rollups import build_rollups
from conflict_ingest.storage import keys
from conflict_ingest.storage.keys import curated_partition
from conflict_ingest.storage.partitions import write_partition
from conflict_ingest.ui import (
    TotalsQuery,
    UiInputError,
    held_records,
    last_nights,
    monthly_totals,
    run_report,
)
from conflict_ingest.ui.data import BASIS_DAILY, BASIS_STATED, NO_ACTOR, held_days

DAY = dt.date(2016, 12, 1)
NOV1, NOV30 = dt.date(2016, 11, 1), dt.date(2016, 11, 30)
SEED_URL = "https://a.example/seed"


def record(
    source: str, url: str, title: str = "Air war update", *, day: dt.date | None = None, **extraction: Any
) -> dict[str, Any]:
    """A curated row of a page of ``source`` at ``url``; ``extraction`` are the count's fields (qualifier
    ``exact`` and an evidence naming the count unless given); ``day``: a count of that one day."""
    if day is not None:
        extraction.update(period_start=day, period_end=day)
    meta = PageMeta(
        source_id=source,
        source_url=url,
        canonical_url=url,
        title=title,
        published_at=dt.datetime(2016, 12, 1, 9, tzinfo=dt.UTC),
        fetched_at=dt.datetime(2016, 12, 2, 1, tzinfo=dt.UTC),
        raw_key="raw/x",
        content_sha256="0" * 64,
    )
    extraction.setdefault("qualifier", "exact")
    extraction.setdefault("evidence", f"{extraction['count']} of them.")
    return Record.build(meta, Extraction(**extraction)).to_row()


def month_total(month: str, **extraction: Any) -> dict[str, Any]:
    """A whole-month total stated by a page: a row of ``month`` (``"2016-10"``), first day to last."""
    first = dt.date.fromisoformat(f"{month}-01")
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return record("rss", "https://a.example/1", period_start=first, period_end=last, **extraction)


def seed_record(count: int, evidence: str, **fields: Any) -> dict[str, Any]:
    """One of the seed page's pair (2,709 and 27,800): ``count`` weapons released by the US-led
    coalition in November 2016, stated by ``evidence``; ``fields`` override the rest."""
    extraction = {
        "metric": "weapons_released",
        "actor": "US-led coalition",
        "period_start": NOV1,
        "period_end": NOV30,
        "count": count,
        "evidence": evidence,
        **fields,
    }
    return record("rss", SEED_URL, **extraction)


def land_curated(store, day: dt.date, rows: list[dict[str, Any]]) -> None:
    write_partition(store, curated_partition(day), {"src": rows}, day=day, run_id="manual__t")


def write_run(store, day: dt.date, run_id: str, **summary: Any) -> str:
    """A run folder as validate (summary, report) and alert (alert.json) leave it; returns its prefix."""
    prefix = keys.report_prefix(day, run_id)
    store.put_json(
        prefix + keys.SUMMARY_FILE, {"run_id": run_id, "dag_id": "conflict_news_nightly", **summary}
    )
    store.put_bytes(
        prefix + keys.REPORT_FILE, f"<h1>report of {run_id}</h1>".encode(), content_type="text/html"
    )
    store.put_json(prefix + keys.ALERT_FILE, {"subject": f"alert {run_id}", "delivery": {"status": "sent"}})
    return prefix


@pytest.fixture
def curated(store):
    """Two days of curated records and the rollups built from them."""
    land_curated(
        store,
        DAY,
        [
            # a whole-month total stated by a page, and a daily count of the same month and actor
            month_total("2016-10", metric="weapons_released", count=3038, actor="US-led coalition"),
            record(
                "rss",
                "https://a.example/1",
                day=dt.date(2016, 10, 5),
                metric="weapons_released",
                count=12,
                actor="US-led coalition",
                evidence="12 weapons on 5 October.",
            ),
            # daily counts in two places of one country: the series adds them up
            record(
                "site",
                "https://b.example/2",
                day=dt.date(2016, 11, 29),
                metric="strikes",
                count=4,
                actor="United Kingdom",
                location="Mosul",
                country="IQ",
            ),
            record(
                "site",
                "https://b.example/2",
                day=dt.date(2016, 11, 30),
                metric="strikes",
                count=3,
                actor="United Kingdom",
                location="Tal Afar",
                country="IQ",
            ),
            # a vague count ("several"): kept apart, never added
            record(
                "site",
                "https://b.example/3",
                day=dt.date(2016, 11, 29),
                metric="killed",
                count=3,
                qualifier="vague",
                count_text="several",
                victim="combatants",
                actor="United Kingdom",
                location="Mosul",
                country="IQ",
                evidence="Several insurgents were killed.",
            ),
        ],
    )
    land_curated(
        store,
        dt.date(2016, 12, 2),
        [
            record(
                "rss",
                "https://a.example/9",
                day=dt.date(2016, 12, 1),
                metric="strikes",
                count=10,
                actor="Russia",
                location="Aleppo",
                country="SY",
            ),
        ],
    )
    build_rollups(store)
    return store


def test_monthly_totals_take_the_stated_month_total_and_keep_vague_counts_apart(curated) -> None:
    view = monthly_totals(curated)
    by_key = {(r["month"], r["actor"], r["metric"], r["location"]): r for r in view.rows}
    october = by_key[("2016-10", "US-led coalition", "weapons_released", None)]
    assert (october["total"], october["basis"]) == (3038, BASIS_STATED)  # not 3038 + 12
    mosul = by_key[("2016-11", "United Kingdom", "strikes", "Mosul")]
    assert (mosul["total"], mosul["basis"]) == (4, BASIS_DAILY)
    vague = by_key[("2016-11", "United Kingdom", "killed", "Mosul")]
    assert (vague["total"], vague["vague_records"], vague["vague_lower_bound"]) == (None, 1, 3)
    series = {(s["month"], s["actor"], s["metric"]): s for s in view.series}
    assert series[("2016-11", "United Kingdom", "strikes")]["total"] == 7  # Mosul 4 + Tal Afar 3
    assert series[("2016-11", "United Kingdom", "strikes")]["locations"] == 2
    assert series[("2016-11", "United Kingdom", "killed")]["total"] is None
    assert view.metrics == ["killed", "strikes", "weapons_released"]
    assert view.actors == ["Russia", "US-led coalition", "United Kingdom"]
    assert view.countries == ["IQ", "SY"]
    assert view.built_from_days == 2


def test_monthly_totals_filter_by_metric_actor_country_and_months(curated) -> None:
    def months(**params: str) -> list[tuple[str, str]]:
        view = monthly_totals(curated, TotalsQuery.from_params(params))
        return [(r["month"], r["actor"]) for r in view.rows]

    assert months(metric="strikes") == [
        ("2016-11", "United Kingdom"),
        ("2016-11", "United Kingdom"),
        ("2016-12", "Russia"),
    ]
    assert {a for _, a in months(country="sy")} == {"Russia"}
    assert months(actor="US-led coalition") == [("2016-10", "US-led coalition")]
    assert {m for m, _ in months(start="2016-11", end="2016-11")} == {"2016-11"}
    assert months(start="2016-12-01") == [("2016-12", "Russia")]  # a day means its month
    assert months(metric="sorties") == []


def test_records_without_an_actor_are_selectable(store) -> None:
    land_curated(
        store,
        DAY,
        [record("rss", "https://c.example/1", day=NOV30, metric="killed", count=5, victim="civilians")],
    )
    build_rollups(store)
    view = monthly_totals(store, TotalsQuery.from_params({"actor": NO_ACTOR}))
    assert [(r["actor"], r["total"]) for r in view.rows] == [(NO_ACTOR, 5)]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"metric": "bombs"}, "metric must be one of"),
        ({"country": "Iraq"}, "two-letter"),
        ({"start": "2016-13"}, "start must be a month"),
        ({"end": "last year"}, "end must be a month"),
        ({"start": "2016-12", "end": "2016-01"}, "after end"),
    ],
)
def test_bad_filters_are_refused_with_what_is_wrong(params: dict[str, str], says: str) -> None:
    with pytest.raises(UiInputError, match=says):
        TotalsQuery.from_params(params)


def test_no_rollup_yet_is_an_empty_view(store) -> None:
    view = monthly_totals(store)
    assert (view.rows, view.series, view.built_from_days) == ([], [], 0)


def test_last_nights_list_the_newest_runs_with_what_landed_and_what_was_held(store) -> None:
    write_run(store, dt.date(2016, 11, 30), "scheduled__a", total=5, passed=5, failed=0)
    write_run(store, DAY, "manual__first", total=16, passed=16, failed=0)
    time.sleep(1.1)  # S3's LastModified has one-second resolution
    write_run(
        store,
        DAY,
        "manual__second:+odd",
        total=16,
        passed=14,
        failed=2,
        failed_expectations={"no_conflicting_counts": 2},
        flags={"period_over_366_days": 1},
        source_warnings=[{"source_id": "quiet-site"}],
        sources_incomplete=["broken-site"],
        fetch_failed=3,
    )
    # a run's work files beside the reports are not runs
    store.put_json(keys.report_prefix(DAY, "manual__second:+odd") + "gx/summary.json", {})

    nights = last_nights(store)
    assert [(n.day, n.run_id) for n in nights] == [
        (DAY, "manual__second:+odd"),
        (DAY, "manual__first"),
        (dt.date(2016, 11, 30), "scheduled__a"),
    ]
    latest = nights[0]
    assert (latest.total, latest.landed, latest.held) == (16, 14, 2)
    assert latest.broken == {"no_conflicting_counts": 2}
    assert latest.warnings == {"period_over_366_days": 1}
    assert latest.silent_sources == ["quiet-site"]
    assert latest.sources_incomplete == ["broken-site"]
    assert (latest.fetch_failed, latest.alert_status, latest.has_report) == (3, "sent", True)
    assert latest.alert_subject == "alert manual__second:+odd"
    assert [n.run_id for n in last_nights(store, limit=2)] == ["manual__second:+odd", "manual__first"]
    # the report of a run, found from its day and run id (the key made safe by keys.py)
    assert run_report(store, DAY, "manual__second:+odd") == b"<h1>report of manual__second:+odd</h1>"
    assert run_report(store, DAY, "manual__nope") is None


def test_held_records_of_a_day_carry_evidence_page_and_broken_expectations(store) -> None:
    pair = [
        seed_record(n, text, title="<script>alert(1)</script> Record level")
        for n, text in ((2709, "2,709 in November."), (27800, "In November, 27,800 weapons."))
    ]
    odd = record("rss", "javascript:alert(1)", day=NOV30, metric="strikes", count=1)
    rows = [{**r, "failed_expectations": ["no_conflicting_counts"]} for r in [*pair, odd]]
    write_quarantine(store, RunContext(day=DAY, run_id="manual__r"), {"rss": lambda: iter(rows)})
    write_run(
        store,
        DAY,
        "manual__r",
        total=3,
        passed=0,
        failed=3,
        examples={
            "no_conflicting_counts": [{"record_id": pair[0]["record_id"], "why": "the same page gives 27800"}]
        },
    )

    held = held_records(store, DAY)
    assert held.committed
    by_count = {r["count"]: r for r in held.records}
    assert sorted(by_count) == [1, 2709, 27800]
    first = by_count[2709]
    assert first["evidence"] == "2,709 in November."
    assert first["page_link"] == SEED_URL
    assert (
        first["title"] == "<script>alert(1)</script> Record level"
    )  # data as written; the template escapes it
    assert first["failed_expectations"] == ["no_conflicting_counts"]
    assert first["why"] == ["no_conflicting_counts: the same page gives 27800"]
    assert by_count[27800]["why"] == []
    assert by_count[1]["page_link"] is None  # not an http(s) link: shown as text only
    assert by_count[1]["page"] == "javascript:alert(1)"
    assert held_days(store) == [DAY]


def test_a_day_without_a_committed_quarantine_partition_says_so(store) -> None:
    held = held_records(store, dt.date(2016, 12, 5))
    assert (held.committed, held.records) == (False, [])
    assert "manifest" in (held.note or "")
