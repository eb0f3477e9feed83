"""News-search discovery over HTTP: the ``gdelt_doc`` and ``reliefweb`` kinds against local replicas of
the two APIs (``conflict_ingest.dev.replicas``, real servers on 127.0.0.1), through the real fetcher.

Normal answers, the day cut into time slices while GDELT answers the maximum, ReliefWeb's offset pages,
empty answers, both rate-limit answers, malformed JSON and refusals; the URLs the APIs return are
then fetched under the fetcher's address rules; and in a night, a broken search source fails alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conflict_ingest.dev.replicas import (
    GdeltReplica,
    ReliefWebReplica,
    gdelt_articles,
    nest,
    reliefweb_reports,
)
from conflict_ingest.dev.stack import StaticSite
from conflict_ingest.fetch.client import Fetcher
from conflict_ingest.pipeline.context import RunContext
from conflict_ingest.pipeline.discover import discover_stage
from conflict_ingest.pipeline.fetch import fetch_stage
from conflict_ingest.sources.registry import DiscoveryError, Source, discover, parse_sources
from conflict_ingest.storage.store import ObjectStore

DAY = dt.date(2026, 12, 5)
NEXT = DAY + dt.timedelta(days=1)
RATE = 20.0  # requests per second to a replica: 50 ms apart
APPNAME = "conflict-ingest-test"


@pytest.fixture
def gdelt_api() -> Iterator[GdeltReplica]:
    replica = GdeltReplica(
        articles=[
            *gdelt_articles(DAY, 40, "https://news.example"),
            *gdelt_articles(DAY, 5, "https://presse.example", language="French"),
            *gdelt_articles(DAY - dt.timedelta(days=1), 3, "https://old.example"),
            *gdelt_articles(NEXT, 3, "https://later.example"),
        ]
    ).start()
    yield replica
    replica.stop()


@pytest.fixture
def reliefweb_api() -> Iterator[ReliefWebReplica]:
    replica = ReliefWebReplica(
        reports=[
            *reliefweb_reports(DAY, 25),
            *reliefweb_reports(DAY, 4, countries=[("SYR", "Syrian Arab Republic")], first_id=5_000_000),
            *reliefweb_reports(DAY, 2, language="fr", first_id=6_000_000),
            *reliefweb_reports(NEXT, 3, first_id=7_000_000),
        ],
        approved=frozenset({APPNAME}),
    ).start()
    yield replica
    replica.stop()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(backoff_s=0.01) as f:
        yield f


def gdelt_source(replica: GdeltReplica, **keys: Any) -> Source:
    entry = {
        "id": "gdelt-test",
        "kind": "gdelt_doc",
        "url": replica.api_url,
        "query": '(airstrike OR "air strike" OR shelling)',
        "source_language": "english",
        "allow_private": True,
        "rate_limit_per_s": RATE,
        **keys,
    }
    (source,) = parse_sources({"sources": [entry]})
    return source


def reliefweb_source(replica: ReliefWebReplica, **keys: Any) -> Source:
    entry = {
        "id": "reliefweb-test",
        "kind": "reliefweb",
        "url": replica.api_url,
        "appname": APPNAME,
        "countries": ["UKR"],
        "languages": ["en"],
        "max_records": 10,
        "allow_private": True,
        "rate_limit_per_s": RATE,
        **keys,
    }
    (source,) = parse_sources({"sources": [entry]})
    return source


def asked(replica: GdeltReplica | ReliefWebReplica) -> list[dict[str, Any]]:
    return [dict(r["params"]) for r in replica.requests]


def windows(replica: GdeltReplica) -> list[tuple[str, str]]:
    return [(p["startdatetime"], p["enddatetime"]) for p in asked(replica)]


# --- GDELT ---------------------------------------------------------------------------------------------------


def test_gdelt_day_in_one_request_when_under_the_maximum(gdelt_api: GdeltReplica, fetcher: Fetcher) -> None:
    found = discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher)
    assert windows(gdelt_api) == [("20261205000000", "20261206000000")]
    (params,) = asked(gdelt_api)
    assert params["query"].endswith(" sourcelang:english") and params["maxrecords"] == "250"
    assert (params["mode"], params["format"]) == ("ArtList", "json")
    # the day's English articles, not French ones, not the days before and after
    assert sorted(f.url for f in found) == sorted(
        a["url"] for a in gdelt_articles(DAY, 40, "https://news.example")
    )
    assert all(f.published is not None and f.published.date() == DAY for f in found)
    assert all(f.title and f.title.startswith("Air strikes reported") for f in found)


def test_gdelt_full_slices_are_halved_until_every_article_is_listed(fetcher: Fetcher) -> None:
    articles = gdelt_articles(DAY, 200, "https://busy.example", step_minutes=7)  # 200 articles, ~23 h
    replica = GdeltReplica(articles=articles).start()
    try:
        found = discover(gdelt_source(replica, max_records=30), DAY, NEXT, fetcher)
    finally:
        replica.stop()
    assert {f.url for f in found} == {a["url"] for a in articles}
    asked_windows = windows(replica)
    assert asked_windows[0] == ("20261205000000", "20261206000000")
    assert asked_windows[1:3] == [("20261205000000", "20261205120000"), ("20261205120000", "20261206000000")]
    spans = [
        dt.datetime.strptime(e, "%Y%m%d%H%M%S") - dt.datetime.strptime(s, "%Y%m%d%H%M%S")
        for s, e in asked_windows
    ]
    assert spans == sorted(spans, reverse=True)  # breadth first: the whole day, then halves, quarters...
    assert min(spans) >= dt.timedelta(minutes=15)


def test_gdelt_request_cap_stops_the_slicing_and_says_so(
    fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    articles = gdelt_articles(DAY, 200, "https://busy.example", step_minutes=7)
    replica = GdeltReplica(articles=articles).start()
    try:
        with caplog.at_level(logging.WARNING):
            found = discover(gdelt_source(replica, max_records=30, max_requests=3), DAY, NEXT, fetcher)
    finally:
        replica.stop()
    assert len(replica.requests) == 3
    assert 30 <= len(found) < len(articles)
    assert "request cap of 3 reached; 4 time slice(s) not searched" in caplog.text


def test_gdelt_slice_still_full_at_fifteen_minutes_is_logged(
    fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    burst = gdelt_articles(DAY, 40, "https://burst.example", step_minutes=0)  # all seen at 00:00
    replica = GdeltReplica(articles=burst).start()
    try:
        with caplog.at_level(logging.WARNING):
            found = discover(gdelt_source(replica, max_records=10), DAY, NEXT, fetcher)
    finally:
        replica.stop()
    assert len(found) == 10
    assert "still lists 10 articles (the maximum) and is not split further" in caplog.text
    # halved down from the day (24 h, 12 h, ..., 45 min) to a slice of 22.5 min, under two 15-minute halves
    assert ("20261205000000", "20261205002230") in windows(replica)


@pytest.mark.parametrize("answer", ["empty_body", "empty_object"])
def test_gdelt_empty_answers_are_no_articles(gdelt_api: GdeltReplica, fetcher: Fetcher, answer: str) -> None:
    gdelt_api.always = answer
    assert discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher) == []
    assert len(gdelt_api.requests) == 1


def test_gdelt_rate_limit_text_is_asked_again_after_the_interval(
    gdelt_api: GdeltReplica, fetcher: Fetcher
) -> None:
    gdelt_api.script("rate_limit_text", "rate_limit_text")
    found = discover(gdelt_source(gdelt_api, rate_limit_per_s=5), DAY, NEXT, fetcher)
    assert len(found) == 40
    times = [r["at"] for r in gdelt_api.requests]
    assert len(times) == 3
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.18  # one request per 0.2 s


def test_gdelt_rate_limited_again_and_again_is_a_clear_error(
    gdelt_api: GdeltReplica, fetcher: Fetcher
) -> None:
    gdelt_api.always = "rate_limit_text"
    with pytest.raises(
        DiscoveryError, match=r"'gdelt-test'.*rate limited 3 times in a row: 'Please limit requests"
    ):
        discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher)
    assert len(gdelt_api.requests) == 3


def test_gdelt_429_is_retried_by_the_fetcher(gdelt_api: GdeltReplica, fetcher: Fetcher) -> None:
    gdelt_api.script("rate_limit_429")
    assert len(discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher)) == 40
    assert len(gdelt_api.requests) == 2


def test_gdelt_429_that_persists_is_a_clear_error(gdelt_api: GdeltReplica, fetcher: Fetcher) -> None:
    gdelt_api.always = "rate_limit_429"
    with pytest.raises(
        DiscoveryError, match=r"HTTP 429 after 4 attempts \(GDELT asks for one request every 5"
    ):
        discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher)


def test_gdelt_malformed_json_is_a_clear_error(gdelt_api: GdeltReplica, fetcher: Fetcher) -> None:
    gdelt_api.always = "malformed"
    with pytest.raises(
        DiscoveryError,
        match=r"source 'gdelt-test': GDELT 2026-12-05T00:00Z..2026-12-06T00:00Z: malformed JSON",
    ):
        discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher)


def test_gdelt_refusals_of_the_query_are_quoted(gdelt_api: GdeltReplica, fetcher: Fetcher) -> None:
    gdelt_api.always = "query_error"
    with pytest.raises(
        DiscoveryError, match="GDELT refused the request: 'The specified phrase is too short.'"
    ):
        discover(gdelt_source(gdelt_api), DAY, NEXT, fetcher)
    gdelt_api.always = None
    with pytest.raises(DiscoveryError, match="OR'd terms must be surrounded by"):
        discover(gdelt_source(gdelt_api, query="airstrike OR shelling"), DAY, NEXT, fetcher)


# --- ReliefWeb -----------------------------------------------------------------------------------------------


def test_reliefweb_pages_by_offset_through_the_days_reports(
    reliefweb_api: ReliefWebReplica, fetcher: Fetcher
) -> None:
    found = discover(reliefweb_source(reliefweb_api), DAY, NEXT, fetcher)
    expected = {r["url_alias"] for r in reliefweb_reports(DAY, 25)}
    assert {f.url for f in found} == expected  # not Syria, not French, not the next day
    assert [nest(r["params"])["offset"] for r in reliefweb_api.requests] == ["0", "10", "20"]
    first = nest(reliefweb_api.requests[0]["params"])
    assert first["appname"] == APPNAME and first["limit"] == "10"
    assert all(f.published is not None and f.published.date() == DAY and f.title for f in found)


def test_reliefweb_by_country_name_and_theme(reliefweb_api: ReliefWebReplica, fetcher: Fetcher) -> None:
    source = reliefweb_source(
        reliefweb_api,
        countries=["Syrian Arab Republic"],
        themes=["Protection and Human Rights"],
        max_records=100,
    )
    found = discover(source, DAY, NEXT, fetcher)
    assert len(found) == 4 and all("/report/syrian-arab-republic/" in f.url for f in found)
    assert len(reliefweb_api.requests) == 1
    source = reliefweb_source(reliefweb_api, themes=["Health"])
    assert discover(source, DAY, NEXT, fetcher) == []


def test_reliefweb_request_cap_is_logged(
    reliefweb_api: ReliefWebReplica, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        found = discover(reliefweb_source(reliefweb_api, max_requests=2), DAY, NEXT, fetcher)
    assert len(found) == 20 and len(reliefweb_api.requests) == 2
    assert "request cap of 2 reached at 20 of 25 reports" in caplog.text


def test_reliefweb_unapproved_appname_says_what_to_do(
    reliefweb_api: ReliefWebReplica, fetcher: Fetcher
) -> None:
    with pytest.raises(
        DiscoveryError, match=r"HTTP 403 \(ReliefWeb refused the appname; since 1 November 2025"
    ):
        discover(reliefweb_source(reliefweb_api, appname="conflict-ingest"), DAY, NEXT, fetcher)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("malformed", "malformed JSON"),
        ("empty_body", "empty answer"),
        ("rate_limit_429", r"HTTP 429 after 4 attempts \(rate limited; ReliefWeb allows 1000 calls a day"),
        ("server_error", "HTTP 500 after 4 attempts"),
    ],
)
def test_reliefweb_bad_answers_are_clear_errors(
    reliefweb_api: ReliefWebReplica, fetcher: Fetcher, answer: str, message: str
) -> None:
    reliefweb_api.always = answer
    with pytest.raises(
        DiscoveryError,
        match=rf"source 'reliefweb-test': ReliefWeb reports of 2026-12-05 \(offset 0\).*{message}",
    ):
        discover(reliefweb_source(reliefweb_api), DAY, NEXT, fetcher)


def test_reliefweb_second_page_broken_loses_the_source_not_silently(
    reliefweb_api: ReliefWebReplica, fetcher: Fetcher
) -> None:
    reliefweb_api.script("normal", "malformed")
    with pytest.raises(DiscoveryError, match=r"\(offset 10\): malformed JSON"):
        discover(reliefweb_source(reliefweb_api), DAY, NEXT, fetcher)


# --- the URLs they return are fetched under the fetcher's address rules ---------------------------------------


def test_urls_found_by_search_are_still_refused_by_address_when_fetched(
    store: ObjectStore, sample_site: StaticSite, fetcher: Fetcher
) -> None:
    hostile = [
        {
            "url": "http://169.254.169.254/latest/meta-data/iam/",
            "seendate": "20261205T010000Z",
            "language": "English",
        },
        {"url": "http://10.0.0.7/admin", "seendate": "20261205T020000Z", "language": "English"},
        {
            "url": sample_site.url + "/articles/us-coalition-airstrikes-isis-mosul-record-level.html",
            "seendate": "20261205T030000Z",
            "language": "English",
        },
    ]
    replica = GdeltReplica(articles=hostile).start()
    try:
        source = gdelt_source(replica)
        run = RunContext(day=DAY, run_id="search-ssrf")
        (batch,) = discover_stage(store, run, source, fetcher, batch_size=10, mode="refetch")
        # the same search without the private address (tests reach 127.0.0.1 only)
        replica.articles = [hostile[0], hostile[2]]
        (local_batch,) = discover_stage(
            store, RunContext(day=DAY, run_id="search-ssrf-2"), source, fetcher, batch_size=10, mode="refetch"
        )
    finally:
        replica.stop()
    assert {i["url"] for i in store.get_json(batch)["items"]} == {h["url"] for h in hostile}

    # a search source as deployed (allow_private false): none of the three is fetched, none is contacted
    deployed = dataclasses.replace(source, allow_private=False)
    summary = fetch_stage(store, batch, Fetcher(backoff_s=0.01), deployed)
    assert summary["pages"] == 0 and summary["errors"] == 3
    reasons = {f["url"]: f["error"] for f in summary["failed"]}
    assert reasons[hostile[0]["url"]].startswith("refused: 169.254.169.254 is a link-local address")
    assert reasons[hostile[1]["url"]].startswith("refused: 10.0.0.7 is a private address")
    assert "loopback address" in reasons[hostile[2]["url"]]

    # even a source that may reach private addresses (the replica's) never reaches a metadata endpoint
    summary = fetch_stage(store, local_batch, Fetcher(backoff_s=0.01), source)
    fetched = store.get_json(summary["key"])
    assert [p["url"] for p in fetched["pages"]] == [hostile[2]["url"]]
    (refused,) = fetched["errors"]
    assert refused["url"] == hostile[0]["url"]
    assert refused["error"].startswith("refused: 169.254.169.254 is a cloud metadata address")


# --- in a night, a broken search source fails alone -----------------------------------------------------------


def test_a_broken_search_source_fails_alone_in_the_nightly_run(
    airflow_env: dict[str, str],
    store: ObjectStore,
    sample_site: StaticSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.helpers import run_nightly, task_states

    from conflict_ingest.storage.keys import curated_partition
    from conflict_ingest.storage.partitions import read_partition

    night = dt.date(2016, 12, 1)  # the sample site's day
    replica = GdeltReplica(
        articles=gdelt_articles(night, 5, "https://news.example"), always="malformed"
    ).start()
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: sample-rss\n    kind: rss\n    allow_private: true\n    rate_limit_per_s: 50\n"
        f"    url: {sample_site.url}/feed.xml\n"
        "  - id: gdelt-broken\n    kind: gdelt_doc\n    allow_private: true\n    rate_limit_per_s: 50\n"
        f"    url: {replica.api_url}\n"
        "    query: '(airstrike OR shelling)'\n    source_language: english\n"
    )
    monkeypatch.setenv("CONFLICT_INGEST_SOURCES", str(sources))
    try:
        dag_run = run_nightly(night)
    finally:
        replica.stop()
    states = task_states(dag_run)
    assert replica.requests, "the search source was never asked"
    assert states["discover"] == {"success", "failed"}
    assert states["land"] == {"success"}
    curated = read_partition(store, curated_partition(night))
    assert curated and {r["source_id"] for r in curated} == {"sample-rss"}
    manifest = store.get_json(curated_partition(night) + "_manifest.json")
    assert manifest["sources_incomplete"] == ["gdelt-broken"]
