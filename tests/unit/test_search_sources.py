"""News-search discovery (``gdelt_doc``, ``reliefweb``): keys checked when the file loads, the requests
each kind builds (parameters, the day's time window, slices and pages) and how answers are read."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from conflict_ingest.dev.replicas import nest
from conflict_ingest.errors import ConfigError
from conflict_ingest.fetch.client import JSON_API, PAGES
from conflict_ingest.sources import gdelt, reliefweb
from conflict_ingest.sources.registry import DiscoveryError, Source, parse_sources
from conflict_ingest.sources.search import parse_json

DAY = dt.date(2026, 12, 5)
NEXT = DAY + dt.timedelta(days=1)
GDELT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
RELIEFWEB_URL = "https://api.reliefweb.int/v2/reports"
QUERY = '(airstrike OR "air strike" OR "drone strike" OR shelling)'


def gdelt_entry(**kw: Any) -> dict[str, Any]:
    return {"id": "gdelt-air-strikes", "kind": "gdelt_doc", "url": GDELT_URL, "query": QUERY, **kw}


def reliefweb_entry(**kw: Any) -> dict[str, Any]:
    return {"id": "reliefweb-conflict", "kind": "reliefweb", "url": RELIEFWEB_URL, "appname": "ci-x1", **kw}


def load(*entries: dict[str, Any]) -> list[Source]:
    return parse_sources({"sources": list(entries)})


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


# --- keys ------------------------------------------------------------------------------------------------


def test_the_proposed_entries_load_with_their_search_keys() -> None:
    g, r = load(
        gdelt_entry(source_language="English", max_records=250, family="gdelt", rate_limit_per_s=0.2),
        reliefweb_entry(
            query='airstrike OR "air strike" OR shelling',
            countries=["UKR", "SYR", "YEM", "SDN", "PSE"],
            themes=["Protection and Human Rights"],
            max_records=100,
            family="reliefweb",
            rate_limit_per_s=0.5,
        ),
    )
    assert (g.kind, g.url, g.family, g.rate_limit_per_s) == ("gdelt_doc", GDELT_URL, "gdelt", 0.2)
    assert g.search == {"query": QUERY, "source_language": "english", "max_records": 250, "max_requests": 24}
    assert r.search is not None and r.search["countries"] == ["UKR", "SYR", "YEM", "SDN", "PSE"]
    assert r.search["themes"] == ["Protection and Human Rights"] and r.search["max_records"] == 100
    assert r.search["date_field"] == "created" and r.search["appname"] == "ci-x1"


def test_a_search_source_round_trips_through_the_run_plan_json() -> None:
    import dataclasses

    (source,) = load(reliefweb_entry(countries=["UKR"]))
    row = json.loads(json.dumps(dataclasses.asdict(source)))
    again = Source(**{**row, "urls": tuple(row["urls"])})
    assert again == source
    assert reliefweb.Options.from_dict(again.search).countries == ["UKR"]
    assert hash(again) == hash(source)  # a Source stays hashable with its search keys


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (gdelt_entry(query=None), "'gdelt-air-strikes': query is required"),
        (gdelt_entry(query="  "), "query must be non-empty text"),
        (gdelt_entry(max_records=251), "max_records must be between 1 and 250, got 251"),
        (gdelt_entry(max_records=0), "max_records must be between 1 and 250"),
        (gdelt_entry(max_records=2.5), "max_records must be a whole number"),
        (gdelt_entry(max_requests=True), "max_requests must be a whole number"),
        (gdelt_entry(source_language="en glish"), "source_language must be one word"),
        (gdelt_entry(query="shelling sourcelang:french"), "set the language with source_language"),
        (gdelt_entry(url=GDELT_URL + "?mode=ArtList"), "has a query string"),
        (gdelt_entry(appname="x"), "unknown field(s) appname"),
        (gdelt_entry(countries=["UKR"]), "unknown field(s) countries"),
        (reliefweb_entry(appname=None), "'reliefweb-conflict': appname is required"),
        (reliefweb_entry(appname="my app"), "appname must have no blanks"),
        (reliefweb_entry(url="https://api.reliefweb.int/v1/reports"), "this API version is retired"),
        (reliefweb_entry(url="https://api.reliefweb.int/v2/disasters"), "must be the reports endpoint"),
        (reliefweb_entry(max_records=1001), "max_records must be between 1 and 1000"),
        (reliefweb_entry(countries=[]), "countries must be a non-empty list"),
        (reliefweb_entry(countries=["UKR", 7]), "countries[1] must be non-empty text"),
        (reliefweb_entry(languages=["English"]), "languages[0] 'English' must match [a-z]{2}"),
        (reliefweb_entry(date_field="changed"), "date_field must be one of created, original"),
        (reliefweb_entry(source_language="english"), "unknown field(s) source_language"),
        (
            {"id": "feed", "kind": "rss", "url": "https://news.example/feed", "query": "x"},
            "unknown field(s) query",
        ),
    ],
)
def test_bad_search_keys_are_refused_when_the_file_loads(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(entry)
    assert message in str(caught.value)
    assert f"source {entry['id']!r}" in str(caught.value)


def test_a_disabled_reliefweb_source_may_wait_for_its_appname() -> None:
    entry = reliefweb_entry(appname="${RELIEFWEB_APPNAME:-}", enabled=False)
    (source,) = parse_sources({"sources": [entry]}, environ={})
    assert source.enabled is False and source.search is not None and source.search["appname"] == ""
    with pytest.raises(ConfigError, match="appname must be non-empty text"):
        parse_sources({"sources": [{**entry, "enabled": True}]}, environ={})
    (ready,) = parse_sources(
        {"sources": [{**entry, "enabled": True}]}, environ={"RELIEFWEB_APPNAME": "ci-x1"}
    )
    assert ready.search is not None and ready.search["appname"] == "ci-x1"


def test_a_single_country_or_theme_may_be_written_as_text_and_duplicates_go() -> None:
    (source,) = load(reliefweb_entry(countries="UKR", themes=["Health", "Health"]))
    assert source.search is not None
    assert source.search["countries"] == ["UKR"] and source.search["themes"] == ["Health"]


# --- GDELT requests and answers ------------------------------------------------------------------------------


def test_gdelt_request_carries_the_documented_parameters_and_the_window() -> None:
    options = gdelt.Options(query=QUERY, source_language="english", max_records=120)
    start = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    url = gdelt.request_url(GDELT_URL, options, start, start + dt.timedelta(days=1))
    assert url.startswith(GDELT_URL + "?")
    assert dict(params(url)) == {
        "query": QUERY + " sourcelang:english",
        "mode": "ArtList",
        "format": "json",
        "maxrecords": "120",
        "sort": "DateDesc",
        "startdatetime": "20261205000000",
        "enddatetime": "20261206000000",
    }
    assert " " not in url and '"' not in url  # quoted for the query string


def test_gdelt_query_without_language_is_sent_as_written() -> None:
    url = gdelt.request_url(
        GDELT_URL, gdelt.Options(query="shelling"), dt.datetime(2026, 12, 5, 6), dt.datetime(2026, 12, 5, 12)
    )
    assert dict(params(url))["query"] == "shelling"
    assert dict(params(url))["startdatetime"] == "20261205060000"


def test_gdelt_slices_halve_down_to_fifteen_minutes() -> None:
    day = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    halves = gdelt.split_slice(day, day + dt.timedelta(days=1))
    assert halves == (
        (day, day + dt.timedelta(hours=12)),
        (day + dt.timedelta(hours=12), day + dt.timedelta(days=1)),
    )
    assert gdelt.split_slice(day, day + dt.timedelta(minutes=30)) == (
        (day, day + dt.timedelta(minutes=15)),
        (day + dt.timedelta(minutes=15), day + dt.timedelta(minutes=30)),
    )
    assert gdelt.split_slice(day, day + dt.timedelta(minutes=29)) is None
    # an odd number of seconds: whole-second halves that still cover the slice
    first, second = gdelt.split_slice(day, day + dt.timedelta(minutes=45, seconds=1)) or ()
    assert (
        first[0] == day and first[1] == second[0] and second[1] == day + dt.timedelta(minutes=45, seconds=1)
    )
    assert first[1].microsecond == 0


@pytest.mark.parametrize("body", ["", "{}", '{"articles": []}'])
def test_gdelt_no_articles_is_an_empty_list(body: str) -> None:
    assert gdelt.parse_articles(body, "w") == []


def test_gdelt_articles_become_discovered_urls_with_seendate_and_title() -> None:
    body = json.dumps(
        {
            "articles": [
                {
                    "url": "https://news.example/a",
                    "title": " Strikes\n hit  depot ",
                    "seendate": "20261205T101500Z",
                },
                {"url": "javascript:alert(1)", "title": "x", "seendate": "20261205T101500Z"},
                {"url": "https://user:password@news.example/b", "seendate": "20261205T101500Z"},
                {"url": "https://news.example/c", "seendate": "not a date"},
                "not an article",
            ]
        }
    )
    items = [gdelt.to_discovered(a) for a in gdelt.parse_articles(body, "w")]
    assert items[0] is not None and items[0].url == "https://news.example/a"
    assert items[0].published == dt.datetime(2026, 12, 5, 10, 15, tzinfo=dt.UTC)
    assert items[0].title == "Strikes hit depot"
    assert items[1] is None and items[2] is None  # not http(s), credentials: refused like any input URL
    assert items[3] is not None and items[3].published is None
    assert len(items) == 4


def test_gdelt_malformed_json_is_a_discovery_error_saying_where() -> None:
    with pytest.raises(DiscoveryError, match=r"w: malformed JSON \(.* at line 1 column \d+"):
        gdelt.parse_articles('{"articles": [{"url": "https://news.example/a", "ti', "w")
    with pytest.raises(DiscoveryError, match="expected a JSON object"):
        gdelt.parse_articles("[1, 2]", "w")
    with pytest.raises(DiscoveryError, match="'articles' is str, not a list"):
        gdelt.parse_articles('{"articles": "none"}', "w")


def test_stray_backslashes_in_titles_are_repaired_not_fatal() -> None:
    body = r'{"articles": [{"url": "https://news.example/a", "title": "C:\drive \q", "seendate": "20261205T000000Z"}]}'
    (article,) = gdelt.parse_articles(body, "w")
    assert article["title"] == r"C:\drive \q"
    assert parse_json('{"t": "tab\there"}', "w") == {"t": "tab\there"}  # a raw control character


def test_the_public_gdelt_host_is_never_asked_more_than_once_every_five_seconds() -> None:
    fast = Source(id="g", kind="gdelt_doc", url=GDELT_URL, rate_limit_per_s=2.0)
    assert gdelt.polite_source(fast).rate_limit_per_s == pytest.approx(0.2)
    assert gdelt.polite_source(
        Source(id="g", kind="gdelt_doc", url=GDELT_URL, rate_limit_per_s=None)
    ).rate_limit_per_s == pytest.approx(0.2)
    slow = Source(id="g", kind="gdelt_doc", url=GDELT_URL, rate_limit_per_s=0.1)
    assert gdelt.polite_source(slow) is slow
    replica = Source(id="g", kind="gdelt_doc", url="http://127.0.0.1:8/api/v2/doc/doc", rate_limit_per_s=50)
    assert gdelt.polite_source(replica) is replica


# --- ReliefWeb requests and answers --------------------------------------------------------------------------


def test_reliefweb_request_filters_by_the_day_and_the_facets() -> None:
    options = reliefweb.Options(
        appname="ci-x1",
        query='airstrike OR "air strike"',
        countries=["UKR", "SYR"],
        themes=["Protection and Human Rights"],
        languages=["en"],
        max_records=50,
    )
    url = reliefweb.request_url(RELIEFWEB_URL, options, DAY, NEXT, offset=100)
    args = nest(params(url))
    assert args["appname"] == "ci-x1" and args["query"] == {"value": 'airstrike OR "air strike"'}
    assert args["filter"] == {
        "operator": "AND",
        "conditions": [
            {
                "field": "date.created",
                "value": {"from": "2026-12-05T00:00:00+00:00", "to": "2026-12-05T23:59:59+00:00"},
            },
            {"field": "country.iso3", "value": ["UKR", "SYR"], "operator": "OR"},
            {"field": "theme.name", "value": ["Protection and Human Rights"], "operator": "OR"},
            {"field": "language.code", "value": ["en"], "operator": "OR"},
        ],
    }
    assert args["fields"] == {"include": ["title", "url", "url_alias", "date.created", "date.original"]}
    assert args["sort"] == ["date.created:asc", "id:asc"]
    assert (args["limit"], args["offset"]) == ("50", "100")
    assert "%2B00%3A00" in url  # the offset's "+" is encoded, as ReliefWeb's docs warn


def test_reliefweb_window_of_several_days_and_original_dates() -> None:
    options = reliefweb.Options(appname="a", date_field="original")
    condition = reliefweb.request_filter(options, DAY, DAY + dt.timedelta(days=3))["conditions"][0]
    assert condition == {
        "field": "date.original",
        "value": {"from": "2026-12-05T00:00:00+00:00", "to": "2026-12-07T23:59:59+00:00"},
    }
    assert "query" not in nest(params(reliefweb.request_url(RELIEFWEB_URL, options, DAY, NEXT, 0)))


def test_reliefweb_countries_by_code_or_name_either_matches() -> None:
    assert reliefweb.country_condition(["Ukraine"]) == {
        "field": "country.name",
        "value": ["Ukraine"],
        "operator": "OR",
    }
    assert reliefweb.country_condition(["UKR", "Syrian Arab Republic"]) == {
        "operator": "OR",
        "conditions": [
            {"field": "country.iso3", "value": ["UKR"], "operator": "OR"},
            {"field": "country.name", "value": ["Syrian Arab Republic"], "operator": "OR"},
        ],
    }


def test_reliefweb_page_is_read_as_documented() -> None:
    body = json.dumps(
        {
            "totalCount": 2,
            "count": 2,
            "data": [
                {
                    "id": "1",
                    "fields": {
                        "title": "Ukraine: flash update",
                        "url": "https://reliefweb.int/node/1",
                        "url_alias": "https://reliefweb.int/report/ukraine/flash-update",
                        "date": {
                            "created": "2026-12-05T08:00:00+00:00",
                            "original": "2026-12-04T00:00:00+00:00",
                        },
                    },
                },
                {
                    "id": "2",
                    "fields": {
                        "url": "https://reliefweb.int/node/2",
                        "date": {"created": "2026-12-05T09:00:00+00:00"},
                    },
                },
            ],
        }
    )
    reports, total = reliefweb.parse_page(body, "w")
    assert total == 2
    first, second = (reliefweb.to_discovered(r, "created") for r in reports)
    assert first is not None and first.url == "https://reliefweb.int/report/ukraine/flash-update"
    assert (
        first.published == dt.datetime(2026, 12, 5, 8, tzinfo=dt.UTC)
        and first.title == "Ukraine: flash update"
    )
    assert second is not None and second.url == "https://reliefweb.int/node/2" and second.title is None
    original = reliefweb.to_discovered(reports[0], "original")
    assert original is not None and original.published == dt.datetime(2026, 12, 4, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "empty answer"),
        ('{"totalCount": 3, "data": [', "malformed JSON"),
        (
            '{"status": 400, "error": {"message": "Invalid \\"limit\\" specified."}}',
            'refused the request: \'Invalid "limit"',
        ),
        ('{"data": []}', "no 'data' list and 'totalCount' number"),
        ("[]", "expected a JSON object"),
    ],
)
def test_reliefweb_bad_answers_are_discovery_errors(body: str, message: str) -> None:
    with pytest.raises(DiscoveryError) as caught:
        reliefweb.parse_page(body, "source 'r': page")
    assert message in str(caught.value) and "source 'r'" in str(caught.value)


# --- the fetcher reads JSON for these kinds only ---------------------------------------------------------


def test_json_answers_are_accepted_only_when_asked_for() -> None:
    assert not PAGES.allows("application/json") and PAGES.allows("application/rss+xml")
    assert JSON_API.allows("application/json") and JSON_API.allows("application/vnd.api+json")
    assert JSON_API.allows("text/plain") and not JSON_API.allows("application/pdf")
    assert JSON_API.empty_ok and not PAGES.empty_ok


# --- sources check knows the search kinds -------------------------------------------------------------------


def test_sources_check_accepts_search_keys_and_names_a_bad_one(tmp_path: Path) -> None:
    import yaml

    from conflict_ingest.sources.check import check_file

    pools = tmp_path / "pools.json"
    pools.write_text(json.dumps({"fetch_gdelt": {"slots": 1}, "fetch_reliefweb": {"slots": 1}}))
    good = [
        gdelt_entry(family="gdelt", description="d", source_language="english"),
        {**gdelt_entry(family="gdelt", description="d"), "id": "gdelt-two", "query": "shelling"},
        reliefweb_entry(
            family="reliefweb", description="d", countries=["UKR"], appname="${RELIEFWEB_APPNAME}"
        ),
    ]
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": good}))
    report = check_file(path, pools_path=pools, environ={"RELIEFWEB_APPNAME": "ci-x1"})
    assert report.errors == [] and report.warnings == []  # two searches of one API are not a duplicate

    bad = [
        reliefweb_entry(family="reliefweb", description="d", source_language="en"),
        {**reliefweb_entry(family="reliefweb", description="d", max_records=5000), "id": "reliefweb-big"},
    ]
    path.write_text(yaml.safe_dump({"sources": bad}))
    problems = [str(p) for p in check_file(path, pools_path=pools, environ={}).errors]
    assert any("reliefweb-conflict: source_language: unknown key" in p for p in problems), problems
    assert any("reliefweb-big" in p and "max_records must be between 1 and 1000" in p for p in problems), (
        problems
    )
