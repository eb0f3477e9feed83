"""Pure parts of the pipeline: which day a run covers, key layout, record ids."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conflict_ingest.inputs import InputError
from conflict_ingest.pipeline.context import resolve_day
from conflict_ingest.pipeline.gate import ValidationGateError, gate
from conflict_ingest.pipeline.plan import validate_manual_urls
from conflict_ingest.records import Extraction, make_record_id
from conflict_ingest.storage.keys import raw_page_key, report_prefix, safe_key_part, work_prefix
from conflict_ingest.urgent import MessageRejected, check_url

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
    key = safe_key_part("scheduled__2016-12-01T00:00:00+00:00")
    assert re.fullmatch(r"scheduled__2016-12-01T00_00_00_00_00-[0-9a-f]{12}", key), key
    assert safe_key_part("manual__2016-12-05_x") == "manual__2016-12-05_x"  # already safe: unchanged
    assert "/" not in work_prefix(dt.date(2016, 12, 1), "manual__a/b").split("run=")[1].rstrip("/")
    assert (
        raw_page_key("src", dt.date(2016, 12, 1), "ab" * 32)
        == f"raw/source=src/dt=2016-12-01/{'ab' * 32}.html.gz"
    )


def test_run_ids_that_differ_only_in_unsafe_characters_never_share_a_prefix() -> None:
    day = dt.date(2016, 12, 1)
    ids = ["a:b", "a+b", "a_b", "a b", "a/b", "a__b", ":a_b", "a_b:", "", "run", ".", "..", "a\nb"]
    for prefix in (work_prefix, report_prefix):
        keys = [prefix(day, run_id) for run_id in ids]
        assert len(set(keys)) == len(ids), keys
    for run_id in ids:
        part = safe_key_part(run_id)
        assert re.fullmatch(r"[A-Za-z0-9._=-]+", part) and part not in {".", ".."}, part
    # no run id can take another's key by naming itself after it
    taken = safe_key_part("a:b")
    assert safe_key_part(taken) != taken
    assert len({safe_key_part(taken), safe_key_part("a:b"), safe_key_part("a_b")}) == 3


@pytest.mark.parametrize(
    ("requested", "bound"),
    [
        ("9999-12-31", "the latest day a run may cover"),
        ("0001-01-01", "before 1990-01-01"),
        ("1989-12-31", "before 1990-01-01"),
        ("2016-02-30", "not a calendar date"),
        ("yesterday", "YYYY-MM-DD"),
    ],
)
def test_day_parameter_out_of_bounds_is_refused_naming_the_bound(requested: str, bound: str) -> None:
    with pytest.raises(InputError, match=bound):
        resolve_day(requested=requested, data_interval_start=None, data_interval_end=None, run_after=None)


def test_day_parameter_bounds_are_1990_to_tomorrow_utc() -> None:
    today = dt.datetime.now(UTC).date()
    tomorrow, later = today + dt.timedelta(days=1), today + dt.timedelta(days=2)

    def day(requested: str) -> dt.date:
        return resolve_day(
            requested=requested, data_interval_start=None, data_interval_end=None, run_after=None
        )

    assert day("1990-01-01") == dt.date(1990, 1, 1)
    assert day(tomorrow.isoformat()) == tomorrow
    with pytest.raises(InputError, match=re.escape(f"latest day a run may cover is {tomorrow}")):
        day(later.isoformat())


HIDDEN = ("alice", "fake-hunter2")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://alice:fake-hunter2@news.example.org/a", "credentials"),
        ("https://alice@news.example.org/a", "credentials"),
        ("https://alice:fake-hunter2@news.example.org/a b", "whitespace"),
        ("https://news.example.org/a\tb", "whitespace"),
        ("https://news.example.org/a\x00", "control"),
        ("https://news.example.org/" + "a" * 2100, "longer than 2048"),
        ("ftp://alice:fake-hunter2@news.example.org/a", "not an http(s) URL"),
        ("https://alice:fake-hunter2@news.example.org:99999/a", "malformed URL"),
    ],
)
def test_manual_urls_with_credentials_or_blanks_are_refused_without_repeating_the_password(
    url: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)) as raised:
        validate_manual_urls(["https://news.example.org/ok", url])
    message = str(raised.value)
    assert "urls[1]" in message
    assert not any(secret in message for secret in HIDDEN), message
    assert "news.example.org" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.org/a",
        " https://news.example.org/a ",
        "https://alice:fake-hunter2@news.example.org/a",
        "https://news.example.org/a b",
        "https://news.example.org/" + "a" * 2100,
        "javascript:alert(1)",
        "https:///no-host",
        "https://news.example.org:99999/",
    ],
)
def test_the_form_and_the_urgent_queue_accept_and_refuse_the_same_urls(url: str) -> None:
    def verdict(check) -> object:
        try:
            return check(url)
        except (ValueError, MessageRejected):
            return "refused"

    assert verdict(lambda u: validate_manual_urls([u])[0]) == verdict(check_url)


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
