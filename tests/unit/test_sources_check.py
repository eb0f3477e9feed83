"""``conflict-ingest sources check``: every problem of a sources file, with its source and key.

Bad files are written to a temporary folder; each test names the problem it plants and checks that
the report names it (level, source id, key) and that a good file passes. Discovery is covered by
tests/integration/test_sources_check_cli.py against the sample site.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
import yaml

from conflict_ingest.cli import main
from conflict_ingest.sources.check import ERROR, WARNING, CheckReport, Problem, check_file
from conflict_ingest.sources.registry import SEARCH_KINDS, load_sources

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "include" / "sources.yaml"
CATALOGUE = ROOT / "include" / "catalogue" / "sources.yaml"
POOLS = ROOT / "include" / "pools.json"

GOOD_SOURCE = {
    "id": "good-feed",
    "kind": "rss",
    "url": "https://news.example/feed.xml",
    "family": "news_example",
    "description": "A feed",
}


@pytest.fixture
def pools(tmp_path: Path) -> Path:
    path = tmp_path / "pools.json"
    path.write_text(json.dumps({"fetch_default": {"slots": 1}, "fetch_news_example": {"slots": 1}}))
    return path


def write(tmp_path: Path, doc: object, name: str = "sources.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def check(tmp_path: Path, pools: Path, *sources: dict, **top: object) -> CheckReport:
    return check_file(write(tmp_path, {**top, "sources": list(sources)}), pools_path=pools, environ={})


def found(report: CheckReport, level: str, source: str | None, key: str | None) -> list[Problem]:
    return [p for p in report.problems if (p.level, p.source, p.key) == (level, source, key)]


def test_a_good_file_has_no_problem(tmp_path: Path, pools: Path) -> None:
    report = check(
        tmp_path, pools, GOOD_SOURCE, {**GOOD_SOURCE, "id": "other", "url": "https://news.example/b"}
    )
    assert report.problems == [] and report.ok
    assert (report.sources, report.enabled, report.families) == (2, 2, ("news_example",))


@pytest.mark.parametrize("path", [BUNDLED, CATALOGUE], ids=["bundled", "catalogue"])
def test_the_bundled_files_have_no_error(path: Path) -> None:
    report = check_file(path, pools_path=POOLS, environ={})
    assert report.errors == [], [str(p) for p in report.errors]
    assert report.sources == len(load_sources(path, environ={}, include_disabled=True))


def test_the_bundled_file_warns_only_of_its_disabled_source() -> None:
    report = check_file(BUNDLED, pools_path=POOLS, environ={})
    assert [(p.level, p.source, p.key) for p in report.problems] == [(WARNING, "sample-urls", "enabled")]


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"kind": "atomic"}, "kind", "must be one of"),
        ({"url": "ftp://news.example/feed.xml"}, "url", "not an http(s) URL"),
        ({"url": "https://user:password@news.example/feed.xml"}, "url", "credentials"),
        ({"url": None}, "url", "needs its feed or sitemap URL"),
        ({"urls": ["https://news.example/a"]}, "urls", "takes one url"),
        ({"rate_limit_per_s": -1}, "rate_limit_per_s", "positive"),
        ({"timeout_s": "slow"}, "timeout_s", "number"),
        ({"max_bytes": 1.5}, "max_bytes", "whole number"),
        ({"enabled": "yes"}, "enabled", "true or false"),
        ({"allow_private": 1}, "allow_private", "true or false"),
        ({"family": "News-Example"}, "family", "must match"),
        ({"description": 7}, "description", "text"),
        ({"owner": "  "}, "owner", "non-empty text"),
        ({"checked_how": ""}, "checked_how", "non-empty text"),
        ({"last_checked": "last week"}, "last_checked", "YYYY-MM-DD"),
        ({"last_checked": "2999-01-01"}, "last_checked", "in the future"),
        ({"colour": "red"}, "colour", "unknown key"),
        ({"url": "${FEED_HOST}/feed.xml"}, "url", "FEED_HOST is not set"),
        ({"url": "${FEED_HOST/feed.xml"}, "url", "malformed environment reference"),
    ],
)
def test_each_problem_is_an_error_naming_its_source_and_key(
    tmp_path: Path, pools: Path, change: dict, key: str, words: str
) -> None:
    source = {k: v for k, v in {**GOOD_SOURCE, **change}.items() if v is not None}
    report = check(tmp_path, pools, source)
    problems = found(report, ERROR, "good-feed", key)
    assert problems, [str(p) for p in report.problems]
    assert words in problems[0].message
    assert not report.ok
    assert f"error: good-feed: {key}: " in str(problems[0])


def test_every_problem_of_a_file_is_reported_not_only_the_first(tmp_path: Path, pools: Path) -> None:
    report = check(
        tmp_path,
        pools,
        {**GOOD_SOURCE, "kind": "atomic", "colour": "red"},
        {**GOOD_SOURCE, "id": "second", "timeout_s": 0, "url": "https://news.example/2"},
        {**GOOD_SOURCE, "id": "second", "url": "https://news.example/3"},
        {"kind": "rss", "url": "https://news.example/4"},
        "not a mapping",
        extra_top="x",
    )
    keys = {(p.source, p.key) for p in report.errors}
    assert {
        ("good-feed", "kind"),
        ("good-feed", "colour"),
        ("second", "timeout_s"),
        ("second", "id"),  # the duplicate
        ("sources[3]", "id"),  # no id
        ("sources[4]", None),  # not a mapping
        (None, "extra_top"),
    } <= keys
    assert len(report.errors) == 7, [str(p) for p in report.errors]


def test_an_environment_reference_with_a_default_or_a_set_variable_is_fine(
    tmp_path: Path, pools: Path
) -> None:
    path = write(
        tmp_path, {"sources": [{**GOOD_SOURCE, "url": "${FEED_HOST:-https://news.example}/feed.xml"}]}
    )
    assert check_file(path, pools_path=pools, environ={}).problems == []
    path = write(tmp_path, {"sources": [{**GOOD_SOURCE, "url": "${FEED_HOST}/feed.xml"}]})
    report = check_file(path, pools_path=pools, environ={"FEED_HOST": "https://news.example"})
    assert report.problems == []


def test_warnings_are_apart_from_errors_and_leave_the_file_ok(tmp_path: Path, pools: Path) -> None:
    report = check(
        tmp_path,
        pools,
        {**GOOD_SOURCE, "enabled": False},
        {**GOOD_SOURCE, "id": "same-feed"},  # the same URL again
        {**GOOD_SOURCE, "id": "other-lane", "url": "https://news.example/other.xml", "family": "elsewhere"},
        {"id": "no-words", "kind": "rss", "url": "https://quiet.example/feed.xml", "family": "news_example"},
    )
    assert report.ok and report.errors == []
    assert found(report, WARNING, "good-feed", "enabled")
    assert "read twice" in found(report, WARNING, "same-feed", "url")[0].message
    assert "share a family" in found(report, WARNING, "other-lane", "family")[0].message
    assert "no pool 'fetch_elsewhere'" in found(report, WARNING, "other-lane", "family")[1].message
    assert found(report, WARNING, "no-words", "description")
    assert report.enabled == 3


def test_defaults_are_checked_and_applied(tmp_path: Path, pools: Path) -> None:
    report = check(tmp_path, pools, GOOD_SOURCE, defaults={"timeout_s": -2, "colour": 1})
    assert found(report, ERROR, None, "defaults.timeout_s")
    assert found(report, ERROR, None, "defaults.colour")
    report = check(tmp_path, pools, GOOD_SOURCE, defaults={"rate_limit_per_s": 0.5})
    assert report.problems == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sources: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "a mapping with a 'sources' list"),
        ("sources: []\n", "non-empty list"),
    ],
)
def test_a_file_that_is_not_a_sources_file_is_one_error(
    tmp_path: Path, pools: Path, text: str, words: str
) -> None:
    report = check_file(write(tmp_path, text), pools_path=pools, environ={})
    assert len(report.errors) == 1 and words in report.errors[0].message


def test_an_unreadable_pools_file_is_an_error_and_the_sources_are_still_checked(tmp_path: Path) -> None:
    report = check_file(
        write(tmp_path, {"sources": [{**GOOD_SOURCE, "kind": "atomic"}]}),
        pools_path=tmp_path / "missing.json",
        environ={},
    )
    assert found(report, ERROR, None, "pools") and found(report, ERROR, "good-feed", "kind")


def test_a_kind_the_checks_do_not_know_is_still_held_to_the_loader(
    tmp_path: Path, pools: Path, monkeypatch
) -> None:
    """A source kind added later (with keys of its own) is checked by the loader: what it refuses is an
    error even when no per-key check names it."""
    from conflict_ingest.sources import registry

    monkeypatch.setattr(registry, "KINDS", (*registry.KINDS, "novel"))
    assert check(tmp_path, pools, {**GOOD_SOURCE, "kind": "novel"}).problems == []
    report = check(tmp_path, pools, {**GOOD_SOURCE, "kind": "novel", "urls": ["https://news.example/a"]})
    problems = found(report, ERROR, "good-feed", None)
    assert problems and "refused by the loader" in problems[0].message


def test_the_command_prints_every_problem_and_exits_1_on_errors(tmp_path: Path, pools: Path, capsys) -> None:
    bad = write(tmp_path, {"sources": [{**GOOD_SOURCE, "kind": "atomic", "timeout_s": 0}]})
    assert main(["sources", "check", str(bad), "--pools", str(pools)]) == 1
    out = capsys.readouterr().out
    assert "error: good-feed: kind: " in out and "error: good-feed: timeout_s: " in out
    assert "2 error(s), 0 warning(s)" in out


def test_the_command_exits_0_with_warnings_only(tmp_path: Path, pools: Path, capsys) -> None:
    ok = write(tmp_path, {"sources": [{**GOOD_SOURCE, "enabled": False}]})
    assert main(["sources", "check", str(ok), "--pools", str(pools)]) == 0
    out = capsys.readouterr().out
    assert "warning: good-feed: enabled: " in out and "0 error(s), 1 warning(s)" in out


def test_the_command_checks_the_configured_file_by_default(
    tmp_path: Path, pools: Path, capsys, monkeypatch
) -> None:
    path = write(tmp_path, {"sources": [{**GOOD_SOURCE, "colour": "red"}]}, "mine.yaml")
    monkeypatch.setenv("CONFLICT_INGEST_SOURCES", str(path))
    assert main(["sources", "check", "--pools", str(pools)]) == 1
    assert str(path) in capsys.readouterr().out


def test_discovery_is_not_tried_when_the_file_has_errors(tmp_path: Path, pools: Path, capsys) -> None:
    bad = write(tmp_path, {"sources": [{**GOOD_SOURCE, "kind": "atomic"}]})
    assert main(["sources", "check", str(bad), "--pools", str(pools), "--discover", "2016-12-01"]) == 1
    assert "discovery for" not in capsys.readouterr().out


def test_a_bad_discovery_day_is_refused(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sources", "check", str(BUNDLED), "--discover", "2016-13-01"])
    assert exc.value.code == 2
    assert "--discover" in capsys.readouterr().err


def test_last_checked_accepts_a_yaml_date_or_iso_text(tmp_path: Path, pools: Path) -> None:
    text = textwrap.dedent(
        """\
        sources:
          - {id: a, kind: rss, url: "https://news.example/a", family: news_example, description: A,
             owner: News, last_checked: 2026-01-02, checked_how: "its RSS page"}
          - {id: b, kind: rss, url: "https://news.example/b", family: news_example, description: B,
             last_checked: "2026-01-02"}
        """
    )
    assert check_file(write(tmp_path, text), pools_path=pools, environ={}).problems == []
    assert yaml.safe_load(text)["sources"][0]["last_checked"] == dt.date(2026, 1, 2)


def test_the_catalogue_lists_at_least_15_sources_each_with_its_owner_and_how_it_was_checked() -> None:
    rows = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["sources"]
    assert len(rows) >= 15
    for row in rows:
        for key in (
            "owner",
            "kind",
            "family",
            "rate_limit_per_s",
            "description",
            "last_checked",
            "checked_how",
        ):
            assert row.get(key), f"{row['id']}: no {key}"
        assert isinstance(row["last_checked"], dt.date)
    feeds = [row for row in rows if row["kind"] not in SEARCH_KINDS]
    assert len({row["url"] for row in feeds}) == len(feeds)  # two searches may ask one API endpoint
    searches = [(row["url"], row["query"]) for row in rows if row["kind"] in SEARCH_KINDS]
    assert len(set(searches)) == len(searches)  # ... but never the same question
    report = check_file(CATALOGUE, pools_path=POOLS, environ={})
    # no error, and no warning but the one the ReliefWeb API entry carries on purpose: it stays disabled
    # until an approved appname is set (RELIEFWEB_APPNAME, unset here)
    assert [str(p) for p in report.problems] == [
        "warning: reliefweb-conflict: enabled: disabled: validated, but never read"
    ]
    assert report.enabled == len(rows) - 1


def test_the_pools_file_has_the_news_search_families() -> None:
    """The news-search kinds (GDELT DOC 2.0, ReliefWeb) fetch in families of their own."""
    pools = json.loads(POOLS.read_text(encoding="utf-8"))
    assert {"fetch_gdelt", "fetch_reliefweb"} <= set(pools)
    assert all(pool["slots"] >= 1 for pool in pools.values())
