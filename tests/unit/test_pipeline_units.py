"""Pure parts of the pipeline: which day a run covers, key layout, record ids."""

from __future__ import annotations

import datetime as dt

import pytest

from conflict_ingest.pipeline import ValidationGateError, gate, resolve_day
from conflict_ingest.records import Extraction, make_record_id
from conflict_ingest.storage import raw_page_key, safe_key_part, work_prefix

UTC = dt.UTC


def test_scheduled_run_reads_its_data_interval_start_day() -> None:
    day = resolve_day(
        requested=None,
        data_interval_start=dt.datetime(2016, 12, 1, tzinfo=UTC),
        data_interval_end=dt.datetime(2016, 12, 2, tzinfo=UTC),
        run_after=dt.datetime(2016, 12, 2, 0, 5, tzinfo=UTC),
    )
    assert day == dt.date(2016, 12, 1)


def test_day_parameter_wins_over_the_interval() -> None:
    day = resolve_day(
        requested="2016-11-30",
        data_interval_start=dt.datetime(2016, 12, 1, tzinfo=UTC),
        data_interval_end=dt.datetime(2016, 12, 2, tzinfo=UTC),
        run_after=None,
    )
    assert day == dt.date(2016, 11, 30)


def test_zero_length_interval_reads_the_day_before() -> None:
    at = dt.datetime(2016, 12, 2, 0, 0, tzinfo=UTC)
    assert resolve_day(requested=None, data_interval_start=at, data_interval_end=at, run_after=at) == dt.date(
        2016, 12, 1
    )


def test_run_without_interval_reads_the_day_before_it_was_triggered() -> None:
    day = resolve_day(
        requested=None,
        data_interval_start=None,
        data_interval_end=None,
        run_after=dt.datetime(2020, 3, 1, 9, tzinfo=UTC),
    )
    assert day == dt.date(2020, 2, 29)


def test_run_ids_become_safe_key_segments() -> None:
    assert safe_key_part("scheduled__2016-12-01T00:00:00+00:00") == "scheduled__2016-12-01T00_00_00_00_00"
    assert "/" not in work_prefix(dt.date(2016, 12, 1), "manual__a/b").split("run=")[1].rstrip("/")
    assert (
        raw_page_key("src", dt.date(2016, 12, 1), "ab" * 32)
        == f"raw/source=src/dt=2016-12-01/{'ab' * 32}.html.gz"
    )


def _ex(**kw) -> Extraction:
    base = {"metric": "strikes", "count": 9, "qualifier": "exact", "evidence": "Nine strikes hit Mosul."}
    return Extraction(**{**base, **kw})


def test_record_id_is_stable_and_tells_statements_apart() -> None:
    url = "https://news.example/a"
    assert make_record_id(url, _ex()) == make_record_id(url, _ex(evidence="Nine  strikes hit\nMosul."))
    assert make_record_id(url, _ex()) != make_record_id(url, _ex(count=10))
    assert make_record_id(url, _ex()) != make_record_id("https://news.example/b", _ex())
    assert make_record_id(url, _ex()) != make_record_id(url, _ex(period_start=dt.date(2016, 1, 1)))


def test_gate_passes_a_clean_summary_and_fails_with_reasons() -> None:
    clean = {"day": "2016-12-01", "failed": 0, "sources_incomplete": []}
    assert gate(clean) is clean
    with pytest.raises(
        ValidationGateError, match=r"2 record\(s\) held in quarantine: no_conflicting_counts \(2\)"
    ):
        gate({**clean, "failed": 2, "failed_expectations": {"no_conflicting_counts": 2}, "report_key": "r"})
    with pytest.raises(ValidationGateError, match="did not complete: broken-feed"):
        gate({**clean, "sources_incomplete": ["broken-feed"]})


@pytest.mark.parametrize("raw", ["0", "-5", "2001"])
def test_batch_size_is_bounded(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    from conflict_ingest.settings import Settings

    monkeypatch.setenv("CONFLICT_INGEST_BATCH_SIZE", raw)
    with pytest.raises(ValueError, match="CONFLICT_INGEST_BATCH_SIZE must be between 1 and 2000"):
        Settings.from_env()


def test_batch_size_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    from conflict_ingest.settings import Settings

    monkeypatch.delenv("CONFLICT_INGEST_BATCH_SIZE", raising=False)
    assert Settings.from_env().batch_size == 250
    monkeypatch.setenv("CONFLICT_INGEST_BATCH_SIZE", "40")
    assert Settings.from_env().batch_size == 40
