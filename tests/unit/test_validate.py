"""The validation gate: which records pass, which are held back and why, which are flagged.

Great Expectations takes seconds to import, so each batch below is validated once (module-scoped
fixtures) and the tests read the shared outcome.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from conflict_ingest.records import RECORD_FIELDS, Extraction, PageMeta, Record
from conflict_ingest.validate.checks import validate_records
from conflict_ingest.validate.config import TrailingHistory, ValidationConfig, silent_sources
from conflict_ingest.validate.outcome import ValidationOutcome
from conflict_ingest.validate.report import render_report_html
from conflict_ingest.validate.written import evidence_states_count

D = dt.date
GOLD = Path(__file__).resolve().parents[3] / "shared" / "devset" / "gold.json"  # ../shared beside the project
_page_numbers = itertools.count()


def make_row(*, page: str | None = None, published_at: dt.datetime | None = None, **fields: Any) -> dict:
    """A valid record row on its own page (unless ``page`` is given); ``fields`` override the extraction."""
    url = page or f"https://news.example/articles/story-{next(_page_numbers)}.html"
    extraction = {
        "metric": "strikes",
        "count": 17,
        "qualifier": "exact",
        "evidence": "Coalition aircraft carried out 17 strikes near Mosul on Monday.",
        "victim": None,
        "actor": "US-led coalition",
        "target": "ISIS",
        "location": "Mosul",
        "period_start": D(2016, 11, 7),
        "period_end": D(2016, 11, 7),
    }
    extraction.update(fields)
    meta = PageMeta(
        source_id="test-source",
        source_url=url,
        canonical_url=url,
        title="Coalition strikes continue",
        published_at=published_at or dt.datetime(2016, 11, 8, 9, 30, tzinfo=dt.UTC),
        fetched_at=dt.datetime(2016, 11, 9, 1, 0, tzinfo=dt.UTC),
        raw_key="raw/source=test-source/dt=2016-11-08/abc.html.gz",
        content_sha256="0" * 64,
    )
    return Record.build(meta, Extraction(**extraction)).to_row()


def by_id(rows: list[dict]) -> dict[Any, dict]:
    return {row["record_id"]: row for row in rows}


# --- a clean batch --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_rows() -> list[dict]:
    return [
        make_row(),
        make_row(count=9, evidence="Officials said nine strikes hit oil sites near Raqqa.", location="Raqqa"),
        make_row(
            metric="killed",
            count=12,
            victim="civilians",
            qualifier="at_least",
            evidence="At least a dozen civilians were killed in the raid.",
            actor=None,
        ),
        make_row(
            metric="weapons_released",
            count=3038,
            evidence="It said the coalition released 3 038 weapons in October.",
            period_start=D(2016, 10, 1),
            period_end=D(2016, 10, 31),
            location=None,
        ),
        make_row(
            metric="sorties",
            count=1_200_000,
            qualifier="approximate",
            evidence="Pilots have flown about 1.2 million sorties since the war began.",
            period_start=None,
            period_end=None,
            published_at=None,
        ),
    ]


@pytest.fixture(scope="module")
def clean_outcome(clean_rows: list[dict]) -> ValidationOutcome:
    # sorties bound raised so the 1.2 million-sortie row is plausible for this test
    return validate_records(clean_rows, max_count_per_metric={"sorties": 2_000_000})


def test_clean_batch_passes_every_record_without_flags(clean_outcome, clean_rows):
    assert clean_outcome.success
    assert clean_outcome.failed == []
    assert [row["record_id"] for row in clean_outcome.passed] == [row["record_id"] for row in clean_rows]
    assert all(row["flags"] == [] for row in clean_outcome.passed)
    assert all("failed_expectations" not in row for row in clean_outcome.passed)
    assert all(r["success"] and r["unexpected_count"] == 0 for r in clean_outcome.expectation_results)
    summary = clean_outcome.summary()
    assert summary["total"] == summary["passed"] == len(clean_rows)
    assert summary["failed"] == 0 and summary["failed_expectations"] == {} and summary["flags"] == {}


def test_validation_does_not_modify_the_input_rows(clean_outcome, clean_rows):
    assert all(row["flags"] == [] and "failed_expectations" not in row for row in clean_rows)
    assert clean_outcome.passed[0] is not clean_rows[0]


def test_expectation_results_name_each_expectation_once_with_its_level(clean_outcome):
    names = [r["name"] for r in clean_outcome.expectation_results]
    assert len(names) == len(set(names))
    levels = {r["name"]: r["level"] for r in clean_outcome.expectation_results}
    for name in (
        "record_fields_match_contract",
        "field_types_match_contract",
        "record_id_not_null",
        "record_id_unique",
        "evidence_not_null",
        "metric_in_set",
        "qualifier_in_set",
        "victim_in_set",
        "victim_matches_metric",
        "count_positive",
        "count_within_plausible_bound",
        "period_start_not_after_period_end",
        "period_start_not_after_publication",
        "evidence_contains_count",
        "no_conflicting_counts",
    ):
        assert levels[name] == "critical", name
    assert levels["period_over_366_days"] == "warning"
    assert levels["sum_disagrees_with_parts"] == "warning"


# --- one row per critical expectation --------------------------------------------------------


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


def _with(row: dict, **fields: Any) -> dict:
    return {**row, **fields}


DUPLICATE_ID = "duplicate-record-id"

# case id -> (rows that break it, the expectation names each must report, exactly)
BROKEN_CASES: dict[str, tuple[list[dict], list[str]]] = {
    "missing_field": ([_without(make_row(), "title")], ["record_fields_match_contract", "title_not_null"]),
    "unexpected_field": ([_with(make_row(), html_body="<p>...</p>")], ["record_fields_match_contract"]),
    "period_start_as_text": ([_with(make_row(), period_start="2016-11-07")], ["field_types_match_contract"]),
    "count_as_text": ([_with(make_row(), count="17")], ["field_types_match_contract", "count_not_null"]),
    "count_as_bool": ([_with(make_row(), count=True)], ["field_types_match_contract", "count_not_null"]),
    "null_record_id": ([_with(make_row(), record_id=None)], ["record_id_not_null"]),
    "null_evidence": ([_with(make_row(), evidence=None)], ["evidence_not_null"]),
    "null_fetched_at": ([_with(make_row(), fetched_at=None)], ["fetched_at_not_null"]),
    "duplicate_record_id": (
        [_with(make_row(), record_id=DUPLICATE_ID), _with(make_row(count=9, evidence="9 strikes"))],
        ["record_id_unique"],
    ),
    "metric_not_in_set": ([make_row(metric="bombings")], ["metric_in_set"]),
    "qualifier_not_in_set": ([make_row(qualifier="roughly")], ["qualifier_in_set"]),
    "victim_not_in_set": (
        [make_row(metric="killed", victim="soldiers", evidence="17 soldiers were killed.")],
        ["victim_in_set"],
    ),
    "toll_without_victim": (
        [make_row(metric="killed", victim=None, evidence="17 people were killed.")],
        ["victim_matches_metric"],
    ),
    "strikes_with_victim": ([make_row(victim="civilians")], ["victim_matches_metric"]),
    "zero_count": (
        [make_row(count=0, evidence="Officials said 0 strikes were carried out.")],
        ["count_positive"],
    ),
    "negative_count": (
        [make_row(count=-17)],  # "17" is in the evidence, -17 is not
        ["count_positive", "evidence_contains_count"],
    ),
    "implausible_strikes_default_bound": (
        [make_row(count=250_000, evidence="The coalition conducted 250,000 strikes.")],
        ["count_within_plausible_bound"],
    ),
    "sorties_over_configured_bound": (
        [make_row(metric="sorties", count=60, evidence="Jets flew 60 sorties.")],
        ["count_within_plausible_bound"],
    ),
    "period_reversed": (
        [make_row(period_start=D(2016, 11, 7), period_end=D(2016, 11, 1))],
        ["period_start_not_after_period_end"],
    ),
    "period_after_publication": (
        [
            make_row(
                period_start=D(2016, 11, 9),
                period_end=D(2016, 11, 9),
                published_at=dt.datetime(2016, 11, 8, 23, 59, tzinfo=dt.UTC),
            )
        ],
        ["period_start_not_after_publication"],
    ),
    "count_not_in_evidence": (
        [make_row(count=42, evidence="Forty strikes hit <script>alert('x')</script> targets.")],
        ["evidence_contains_count"],
    ),
}
BROKEN_CASES["duplicate_record_id"][0][1]["record_id"] = DUPLICATE_ID
CONFIGURED_BOUNDS = {"sorties": 50}


@pytest.fixture(scope="module")
def broken_outcome(clean_rows: list[dict]) -> ValidationOutcome:
    rows = [*clean_rows[:4]]  # the clean rows within the configured bounds
    for case_rows, _ in BROKEN_CASES.values():
        rows.extend(case_rows)
    return validate_records(rows, max_count_per_metric=CONFIGURED_BOUNDS)


@pytest.mark.parametrize("case", sorted(BROKEN_CASES))
def test_row_breaking_a_critical_expectation_is_held_back_with_its_name(broken_outcome, case):
    case_rows, expected = BROKEN_CASES[case]
    failed = [row for row in broken_outcome.failed if any(row == {**r, **_verdict(row)} for r in case_rows)]
    assert len(failed) == len(case_rows), [r.get("failed_expectations") for r in broken_outcome.failed]
    for row in failed:
        assert row["failed_expectations"] == expected
        assert row["flags"] == []
    results = {r["name"]: r for r in broken_outcome.expectation_results}
    for name in expected:
        assert results[name]["success"] is False
        assert results[name]["level"] == "critical"
        for row in case_rows:
            assert row.get("record_id") in results[name]["unexpected_record_ids"]


def _verdict(row: dict) -> dict:
    return {key: row[key] for key in ("flags", "failed_expectations") if key in row}


def test_clean_rows_beside_broken_ones_still_pass(broken_outcome, clean_rows):
    assert [row["record_id"] for row in broken_outcome.passed] == [row["record_id"] for row in clean_rows[:4]]
    assert not broken_outcome.success
    summary = broken_outcome.summary()
    assert summary["failed"] == len(broken_outcome.failed) == sum(len(r) for r, _ in BROKEN_CASES.values())
    assert summary["failed_expectations"]["count_within_plausible_bound"] == 2
    assert summary["failed_expectations"]["record_id_unique"] == 2


def test_gx_result_is_json_and_names_the_breaking_record(broken_outcome):
    text = json.dumps(broken_outcome.gx_result)
    assert broken_outcome.gx_result["success"] is False
    (case_row,) = BROKEN_CASES["qualifier_not_in_set"][0]
    assert case_row["record_id"] in text
    json.dumps(broken_outcome.summary())


def test_report_escapes_scraped_strings(broken_outcome):
    page = render_report_html(broken_outcome, title="Run <script>alert(1)</script> & co")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # the evidence
    assert "Run &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page  # the title
    assert "evidence_contains_count: count 42 is not written in the evidence" in page  # why
    assert "count_within_plausible_bound: count=250000" in page
    assert "FAILED" in page


def test_report_links_only_http_urls():
    row = make_row()
    row["failed_expectations"] = ["x"]
    bad = {**row, "canonical_url": 'javascript:alert("x")', "record_id": "b"}
    outcome = ValidationOutcome(passed=[], failed=[row, bad], expectation_results=[], gx_result={})
    page = render_report_html(outcome, title="t")
    assert f'href="{row["canonical_url"]}"' in page
    assert 'href="javascript' not in page
    assert "javascript:alert(&quot;x&quot;)" in page


# --- the seed page: two counts for November ------------------------------------------------

SEED_URL = "https://www.ct-news.example/articles/us-coalition-airstrikes-isis-mosul-record-level.htm"
SEED_EXTRACTIONS = [
    # (metric, count, qualifier, victim, actor, location, period, evidence) from devset gold, seed.html
    (
        "weapons_released",
        3038,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2016, 10, 1), D(2016, 10, 31)),
        "It said the coalition released 3,038 weapons in October and 2,709 in November.",
    ),
    (
        "weapons_released",
        2709,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2016, 11, 1), D(2016, 11, 30)),
        "It said the coalition released 3,038 weapons in October and 2,709 in November.",
    ),
    (
        "weapons_released",
        5747,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2016, 10, 1), D(2016, 11, 30)),
        "Those 5,747 weapons dropped or fired at ISIS represent the coalition's busiest two-month period "
        "against ISIS in 2016.",
    ),
    (
        "weapons_released",
        3160,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2016, 6, 1), D(2016, 6, 30)),
        "Central Command reported the coalition's busiest single month this year was in June when it "
        "unleashed 3,160 weapons.",
    ),
    (
        "weapons_released",
        2718,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2016, 1, 1), D(2016, 1, 31)),
        "And the 2,718 weapons released in January were slightly higher than its November tally.",
    ),
    (
        "weapons_released",
        27800,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2016, 11, 1), D(2016, 11, 30)),
        "In November, the coalition released 27,800 weapons as part of Operation Inherent Resolve.",
    ),
    (
        "weapons_released",
        28696,
        "exact",
        None,
        "US-led coalition",
        None,
        (D(2015, 1, 1), D(2015, 12, 31)),
        "Central Command says it's on track to top the 28,696 weapons released in 2015.",
    ),
    (
        "killed",
        2000,
        "at_least",
        "combatants",
        "Iraqi Army and US-led coalition",
        "Mosul",
        (D(2016, 10, 17), D(2016, 11, 15)),
        "Iraq reported that over 2,000 ISIS militants have been killed by the Iraqi Army, Iraqi joint forces "
        "and popular Iraqi militias assisted by U.S. and coalition aircraft since the attack to re-take the "
        "ISIS held city of Mosul began until mid-November.",
    ),
]


@pytest.fixture(scope="module")
def seed_rows() -> list[dict]:
    meta = PageMeta(
        source_id="ct-news",
        source_url=SEED_URL + "?utm_source=feed",
        canonical_url=SEED_URL,
        title="US and Coalition Airstrikes against ISIS in Mosul Reach Record Level",
        published_at=None,
        fetched_at=dt.datetime(2016, 12, 2, 6, 0, tzinfo=dt.UTC),
        raw_key="raw/source=ct-news/dt=2016-12-01/seed.html.gz",
        content_sha256="f" * 64,
    )
    rows = []
    for metric, count, qualifier, victim, actor, location, (start, end), evidence in SEED_EXTRACTIONS:
        extraction = Extraction(
            metric=metric,
            count=count,
            qualifier=qualifier,
            evidence=evidence,
            victim=victim,
            actor=actor,
            target="ISIS",
            location=location,
            period_start=start,
            period_end=end,
        )
        rows.append(Record.build(meta, extraction).to_row())
    return rows


@pytest.fixture(scope="module")
def seed_outcome(seed_rows: list[dict]) -> ValidationOutcome:
    return validate_records(seed_rows)


def test_seed_page_two_november_counts_are_both_held_back_as_conflicting(seed_outcome):
    assert sorted(row["count"] for row in seed_outcome.failed) == [2709, 27800]
    for row in seed_outcome.failed:
        assert row["failed_expectations"] == ["no_conflicting_counts"]
    assert sorted(row["count"] for row in seed_outcome.passed) == [2000, 2718, 3038, 3160, 5747, 28696]
    assert all(row["flags"] == [] for row in seed_outcome.passed)  # 3,038 + 2,709 = 5,747
    assert not seed_outcome.success
    assert seed_outcome.summary()["failed_expectations"] == {"no_conflicting_counts": 2}


def test_same_counts_on_different_pages_do_not_conflict(seed_rows):
    # the 27,800 record moved to another page: nothing on either page conflicts any more
    moved = {**seed_rows[5], "canonical_url": SEED_URL + "-2", "source_url": SEED_URL + "-2"}
    outcome = validate_records([*seed_rows[:5], moved, *seed_rows[6:]])
    assert outcome.failed == []
    assert outcome.success


def test_two_counts_in_one_sentence_are_a_split_not_a_conflict():
    page = "https://news.example/salvo.html"
    sentence = "USS Ross launched 36 Tomahawk missiles and USS Porter fired the remaining 23."
    split = [
        make_row(page=page, metric="weapons_released", count=n, evidence=sentence, location=None)
        for n in (36, 23)
    ]
    other = make_row(
        page=page,
        metric="weapons_released",
        count=40,
        evidence="Officials later said 40 missiles were fired.",
        location=None,
    )
    outcome = validate_records([*split, other])
    held = sorted(r["count"] for r in outcome.failed)
    # 36 and 23 share their sentence; each still conflicts with the 40 stated elsewhere on the page
    assert held == [23, 36, 40]
    assert validate_records(split).failed == []


# --- warnings land, with flags -----------------------------------------------------------------


@pytest.fixture(scope="module")
def warning_rows() -> dict[str, dict]:
    parts_page = "https://news.example/monthly-totals.html"
    good_parts_page = "https://news.example/monthly-totals-ok.html"
    month_row = {"metric": "weapons_released", "location": None}
    return {
        "long_period": make_row(
            count=12820,
            evidence="Airwars counted 12,820 airstrikes in Iraq between August 2014 and May 2017.",
            period_start=D(2014, 8, 1),
            period_end=D(2017, 5, 31),
            published_at=dt.datetime(2017, 6, 2, tzinfo=dt.UTC),
        ),
        "leap_year": make_row(
            count=300,
            evidence="300 strikes were recorded in 2016.",
            period_start=D(2016, 1, 1),
            period_end=D(2016, 12, 31),
            published_at=dt.datetime(2017, 1, 2, tzinfo=dt.UTC),
        ),
        "strikes_without_actor": make_row(actor=None),
        "october": make_row(
            page=parts_page,
            count=10,
            evidence="10 weapons in October",
            **month_row,
            period_start=D(2016, 10, 1),
            period_end=D(2016, 10, 31),
        ),
        "november": make_row(
            page=parts_page,
            count=20,
            evidence="20 weapons in November",
            **month_row,
            period_start=D(2016, 11, 1),
            period_end=D(2016, 11, 30),
        ),
        "bad_sum": make_row(
            page=parts_page,
            count=40,
            evidence="40 weapons in two months",
            **month_row,
            period_start=D(2016, 10, 1),
            period_end=D(2016, 11, 30),
        ),
        "october_ok": make_row(
            page=good_parts_page,
            count=10,
            evidence="10 weapons in October",
            **month_row,
            period_start=D(2016, 10, 1),
            period_end=D(2016, 10, 31),
        ),
        "november_ok": make_row(
            page=good_parts_page,
            count=20,
            evidence="20 weapons in November",
            **month_row,
            period_start=D(2016, 11, 1),
            period_end=D(2016, 11, 30),
        ),
        "good_sum": make_row(
            page=good_parts_page,
            count=30,
            evidence="30 weapons in two months",
            **month_row,
            period_start=D(2016, 10, 1),
            period_end=D(2016, 11, 30),
        ),
    }


@pytest.fixture(scope="module")
def warning_outcome(warning_rows: dict[str, dict]) -> ValidationOutcome:
    return validate_records(list(warning_rows.values()))


@pytest.mark.parametrize(
    ("key", "flags"),
    [
        ("long_period", ["period_over_366_days"]),
        ("leap_year", []),
        ("strikes_without_actor", ["actor_missing_for_strikes"]),
        ("october", []),
        ("november", []),
        ("bad_sum", ["sum_disagrees_with_parts"]),
        ("good_sum", []),
    ],
)
def test_warning_level_breaks_land_the_record_with_flags(warning_outcome, warning_rows, key, flags):
    passed = by_id(warning_outcome.passed)
    assert passed[warning_rows[key]["record_id"]]["flags"] == flags


def test_warnings_alone_do_not_fail_the_batch(warning_outcome, warning_rows):
    assert warning_outcome.failed == []
    assert warning_outcome.success
    assert warning_outcome.summary()["flags"] == {
        "period_over_366_days": 1,
        "actor_missing_for_strikes": 1,
        "sum_disagrees_with_parts": 1,
    }


# --- an empty batch -----------------------------------------------------------------------------


def test_empty_batch_passes_with_nothing_to_land():
    outcome = validate_records([])
    assert outcome.passed == [] and outcome.failed == []
    assert outcome.success
    assert outcome.summary()["total"] == 0
    assert outcome.expectation_results and all(r["success"] for r in outcome.expectation_results)
    json.dumps(outcome.gx_result)
    assert "<html" in render_report_html(outcome, title="empty")


# --- the count written in the evidence (no GX) -------------------------------------------------


@pytest.mark.parametrize(
    ("count", "evidence"),
    [
        (3038, "the coalition released 3,038 weapons"),
        (3038, "the coalition released 3 038 weapons"),
        (3038, "the coalition released 3\u00a0038 weapons"),
        (3038, "the coalition released 3038 weapons"),
        (9, "Nine strikes hit the city"),
        (12, "a dozen strikes"),
        (24, "two dozen strikes"),
        (21, "Twenty-one people were killed"),
        (205, "two hundred and five sorties"),
        (1_200_000, "about 1.2 million people"),
        (3_000_000, "3m rounds"),
        (1_000_000, "a million rounds"),
        (2_000, "over 2,000 ISIS militants"),
        (1, "One, near Baghdad"),
    ],
)
def test_evidence_states_count_in_digits_or_words(count, evidence):
    assert evidence_states_count(evidence, count)


@pytest.mark.parametrize(
    ("count", "evidence"),
    [
        (2709, "It said the coalition released 27,090 weapons"),
        (12, "dozens of strikes"),
        (100, "hundreds of strikes"),
        (42, "forty strikes"),
        (3039, "3,038 weapons"),
    ],
)
def test_evidence_without_the_count_is_caught(count, evidence):
    assert not evidence_states_count(evidence, count)


@pytest.mark.skipif(not GOLD.exists(), reason="shared devset not present")
def test_every_gold_record_states_its_count_in_its_evidence():
    pages = json.loads(GOLD.read_text(encoding="utf-8"))
    missing = [
        (page["page"], record["count"], record["evidence"])
        for page in pages
        for record in page["records"]
        if not evidence_states_count(record["evidence"], record["count"])
    ]
    assert missing == []


def test_record_fields_of_contract_are_all_covered_by_make_row():
    assert set(make_row()) == set(RECORD_FIELDS)


# --- the trailing 30 days: counts far above the usual, sources gone silent ----------------------

NOV = [D(2016, 11, d) for d in range(1, 31)]


def _history(rows_by_day: dict[dt.date, list[dict]], incomplete: dict[dt.date, list[str]] | None = None):
    history = TrailingHistory()
    for day, rows in sorted(rows_by_day.items()):
        history.add_day(day, rows, (incomplete or {}).get(day, []))
    return history


def _past(day: dt.date, source: str = "wire-a", **fields: Any) -> dict:
    row = make_row(period_start=day, period_end=day, **fields)
    return {**row, "source_id": source}


@pytest.fixture(scope="module")
def spike_history() -> TrailingHistory:
    days = {}
    for i, day in enumerate(NOV[-5:]):
        days[day] = [
            _past(day, count=20 + i, evidence=f"{20 + i} strikes"),  # US-led coalition: max 24
            _past(day, metric="killed", victim="civilians", count=3, evidence="3 killed"),
        ]
    days[NOV[0]] = [_past(NOV[0], actor="Russia", count=40, evidence="40 strikes")]  # one day only
    return _history(days)


@pytest.fixture(scope="module")
def spike_rows() -> dict[str, dict]:
    def tonight(**fields: Any) -> dict:
        return make_row(
            period_start=D(2016, 12, 1),
            period_end=D(2016, 12, 1),
            published_at=dt.datetime(2016, 12, 2, 8, tzinfo=dt.UTC),
            **fields,
        )

    return {
        "spike": tonight(count=250, evidence="The coalition carried out 250 strikes."),
        "at_factor": tonight(count=240, evidence="The coalition carried out 240 strikes."),
        "actor_spelled_differently": tonight(
            count=900, actor="us-led  Coalition", evidence="The coalition carried out 900 strikes."
        ),
        "other_metric": tonight(
            metric="killed", victim="civilians", count=29, evidence="29 civilians were killed."
        ),
        "thin_history": tonight(actor="Russia", count=5000, evidence="Russia says 5000 strikes."),
        "no_history": tonight(actor="United Kingdom", count=5000, evidence="The RAF made 5000 strikes."),
        "no_actor": tonight(actor=None, count=7000, evidence="7000 strikes were reported."),
    }


@pytest.fixture(scope="module")
def spike_outcome(spike_rows, spike_history) -> ValidationOutcome:
    return validate_records(list(spike_rows.values()), history=spike_history)


@pytest.mark.parametrize(
    ("key", "flagged"),
    [
        ("spike", True),  # 250 > 10 x 24
        ("at_factor", False),  # 240 = 10 x 24 is not "above"
        ("actor_spelled_differently", True),  # actors compare case- and space-insensitively
        ("other_metric", False),  # 29 < 10 x 3
        ("thin_history", False),  # Russia's strikes seen on one day only: below the minimum history
        ("no_history", False),
        ("no_actor", False),
    ],
)
def test_count_far_above_trailing_max_is_a_warning(spike_outcome, spike_rows, key, flagged):
    passed = by_id(spike_outcome.passed)
    row = passed[spike_rows[key]["record_id"]]
    assert ("count_far_above_trailing_max" in row["flags"]) is flagged
    assert spike_outcome.failed == []


def test_spike_report_says_what_the_trailing_max_was(spike_outcome, spike_rows):
    assert spike_outcome.summary()["flags"]["count_far_above_trailing_max"] == 2
    page = render_report_html(spike_outcome, title="t")
    assert (
        "count 250 is over 10x the trailing maximum 24 of US-led coalition / strikes (5 days of history)"
        in page
    )


def test_spike_factor_and_minimum_history_are_configurable(spike_rows, spike_history):
    config = ValidationConfig(spike_factor=100.0, spike_min_history_days=1)
    outcome = validate_records(list(spike_rows.values()), history=spike_history, config=config)
    flagged = {r["record_id"] for r in outcome.passed if "count_far_above_trailing_max" in r["flags"]}
    # 250 and 900 are under 100 x 24; Russia's 5,000 is over 100 x 40 once one day of history suffices
    assert flagged == {spike_rows["thin_history"]["record_id"]}


def test_without_history_nothing_is_flagged_as_a_spike(spike_rows):
    outcome = validate_records(list(spike_rows.values()))
    assert all("count_far_above_trailing_max" not in r["flags"] for r in outcome.passed)
    assert "count_far_above_trailing_max" in {r["name"] for r in outcome.expectation_results}


def test_history_keeps_max_and_days_per_actor_and_metric(spike_history):
    assert spike_history.trailing_max("US-led coalition", "strikes") == (24, 5)
    assert spike_history.trailing_max("Russia", "strikes") == (40, 1)
    assert spike_history.trailing_max("Russia", "sorties") is None
    assert spike_history.source_days("wire-a") == (6, 6)


# a source that read 10 days: records on 8 of them (one of the others it did not complete)
QUIET_DAYS = {day: ([_past(day, source="wire-q")] if i < 8 else []) for i, day in enumerate(NOV[-10:])}


@pytest.mark.parametrize(
    ("history_days", "incomplete", "tonight", "expected"),
    [
        (QUIET_DAYS, {}, {"wire-q": 0}, ["wire-q"]),  # 8 of 10 days: usually yields
        (QUIET_DAYS, {}, {"wire-q": 3}, []),  # it did yield tonight
        ({d: r for d, r in list(QUIET_DAYS.items())[:2]}, {}, {"wire-q": 0}, []),  # 2 days: too little
        ({d: [] for d in QUIET_DAYS}, {}, {"wire-q": 0}, []),  # never yields
        (  # 3 of 8 days read: under half
            {d: (r if i < 3 else []) for i, (d, r) in enumerate(QUIET_DAYS.items()) if i < 8},
            {},
            {"wire-q": 0},
            [],
        ),
        (  # the days it did not complete do not count as silent days
            {d: (r if i < 4 else []) for i, (d, r) in enumerate(QUIET_DAYS.items())},
            {d: ["wire-q"] for d in NOV[-6:]},
            {"wire-q": 0},
            ["wire-q"],
        ),
        (QUIET_DAYS, {}, {"wire-new": 0}, []),  # a new source has no history
    ],
    ids=["usual", "yielded", "short-history", "never", "rarely", "incomplete-days", "new-source"],
)
def test_silent_source_warning(history_days, incomplete, tonight, expected):
    history = _history(history_days, incomplete)
    found = silent_sources(tonight, history, ValidationConfig())
    assert [w["source_id"] for w in found] == expected
    assert all(w["name"] == "source_yielded_no_records" and w["level"] == "warning" for w in found)


def test_silent_source_is_reported_at_source_level_and_does_not_fail_the_batch():
    history = _history(QUIET_DAYS)
    rows = [make_row()]  # tonight: test-source has a record, wire-q has none
    outcome = validate_records(rows, history=history, sources=["test-source", "wire-q"])
    assert outcome.success and outcome.failed == []
    assert outcome.passed[0]["flags"] == []
    summary = outcome.summary()
    assert [(w["name"], w["source_id"]) for w in summary["source_warnings"]] == [
        ("source_yielded_no_records", "wire-q")
    ]
    assert "source_yielded_no_records" not in summary["flags"]  # flags count records, not sources
    result = next(r for r in outcome.expectation_results if r["name"] == "source_yielded_no_records")
    assert result["scope"] == "source" and result["unexpected_sources"] == ["wire-q"]
    assert "wire-q" in render_report_html(outcome, title="t")


def test_records_by_source_counts_passed_failed_and_flagged():
    rows = [make_row(), make_row(actor=None), {**make_row(qualifier="roughly"), "source_id": "other"}]
    counts = validate_records(rows).summary()["records_by_source"]
    assert counts == {
        "other": {"total": 1, "passed": 0, "failed": 1, "flagged": 0},
        "test-source": {"total": 2, "passed": 2, "failed": 0, "flagged": 1},
    }


def test_validation_config_from_environment():
    config = ValidationConfig.from_env(
        {
            "CONFLICT_INGEST_MAX_COUNT": "strikes=5000, sorties=9_000",
            "CONFLICT_INGEST_HISTORY_DAYS": "14",
            "CONFLICT_INGEST_SPIKE_FACTOR": "4.5",
            "CONFLICT_INGEST_SPIKE_MIN_HISTORY_DAYS": "7",
            "CONFLICT_INGEST_SILENT_SOURCE_MIN_DAYS": "2",
            "CONFLICT_INGEST_SILENT_SOURCE_MIN_SHARE": "0.8",
        }
    )
    assert config.max_count_per_metric["strikes"] == 5000
    assert config.max_count_per_metric["sorties"] == 9000
    assert config.max_count_per_metric["killed"] == 1_000_000  # default kept
    assert (config.history_days, config.spike_factor, config.spike_min_history_days) == (14, 4.5, 7)
    assert (config.silent_source_min_days, config.silent_source_min_share) == (2, 0.8)
    assert ValidationConfig.from_env({}) == ValidationConfig()


@pytest.mark.parametrize(
    "env",
    [
        {"CONFLICT_INGEST_MAX_COUNT": "bombings=5"},
        {"CONFLICT_INGEST_MAX_COUNT": "strikes"},
        {"CONFLICT_INGEST_MAX_COUNT": "strikes=many"},
        {"CONFLICT_INGEST_SPIKE_FACTOR": "ten"},
        {"CONFLICT_INGEST_HISTORY_DAYS": "-3"},
    ],
)
def test_bad_validation_settings_are_refused_with_the_variable_named(env):
    with pytest.raises(ValueError, match=next(iter(env))):
        ValidationConfig.from_env(env)


def test_configured_bound_holds_back_counts_over_it():
    row = make_row(count=6000, evidence="The coalition carried out 6,000 strikes.")
    outcome = validate_records(
        [row], config=ValidationConfig.from_env({"CONFLICT_INGEST_MAX_COUNT": "strikes=5000"})
    )
    assert outcome.failed[0]["failed_expectations"] == ["count_within_plausible_bound"]


def test_report_depends_on_validate_one_way() -> None:
    """The report reads validate's problem columns and levels by the names validate defines; no module
    of validate imports the report (no cycle, no names matched by string on both sides)."""
    import ast

    from conflict_ingest.validate import columns, report

    package = Path(str(report.__file__)).parent

    def imported_modules(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    for path in sorted(package.glob("*.py")):
        if path.name != "report.py":
            assert "conflict_ingest.validate.report" not in imported_modules(path), path.name
    assert "conflict_ingest.validate.columns" in imported_modules(package / "report.py")
    assert report.PROBLEM_COLUMN_PREFIX is columns.PROBLEM_COLUMN_PREFIX
    assert report.CRITICAL is columns.CRITICAL
    problem_columns = [
        v for k, v in vars(columns).items() if k.startswith("PROBLEM_") and k != "PROBLEM_COLUMN_PREFIX"
    ]
    assert problem_columns and all(c.startswith(columns.PROBLEM_COLUMN_PREFIX) for c in problem_columns)


def test_vague_and_one_person_counts_pass_and_misstated_ones_are_held() -> None:
    """Counts the page states without a numeral (issue 13) reach curated; counts the words do not give are held."""
    # different places, so no two rows are conflicting counts of one statement
    kept = [
        make_row(metric="killed", victim="combatants", qualifier="vague", count=3, count_text="Several",
                 evidence="Several insurgents were killed in the raid.", location="Mosul"),
        make_row(metric="killed", victim="combatants", count=1,
                 evidence="The patrol killed the commander of the cell.", location="Raqqa"),
        make_row(metric="killed", victim="combatants", count=2,
                 evidence="Helicopters killed a senior commander and one other fighter.", location="Tikrit"),
    ]  # fmt: skip
    held = [
        make_row(metric="killed", victim="combatants", qualifier="vague", count=40, count_text="several",
                 evidence="Several gunmen were killed near the bridge.", location="Hit"),
        make_row(metric="killed", victim="combatants", count=30,
                 evidence="The patrol killed the commander near the river.", location="Baiji"),
    ]  # fmt: skip
    outcome = validate_records(kept + held)
    assert sorted(r["record_id"] for r in outcome.passed) == sorted(r["record_id"] for r in kept)
    assert sorted(r["record_id"] for r in outcome.failed) == sorted(r["record_id"] for r in held)
    assert all("evidence_contains_count" in r["failed_expectations"] for r in outcome.failed)
