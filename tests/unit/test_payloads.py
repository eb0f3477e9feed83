"""The typed payloads the stages write keep the work area's JSON as the readers expect it."""

from __future__ import annotations

import json

from conflict_ingest.pipeline.payloads import FetchedPage


def _page(**overrides: object) -> FetchedPage:
    fields: dict[str, object] = {
        "url": "https://news.example/a",
        "final_url": "https://news.example/a?x=1",
        "seen_urls": ["https://news.example/a", "https://news.example/a?x=1"],
        "raw_key": "raw/source=s/dt=2016-12-01/abc.html.gz",
        "sha256": "abc",
        "content_type": "text/html",
        "fetched_at": "2016-12-01T00:00:00+00:00",
        "not_modified": False,
        "published_hint": None,
        "title_hint": "A title",
    }
    fields.update(overrides)
    return FetchedPage(**fields)  # type: ignore[arg-type]


def test_fetched_page_json_round_trips_with_every_field_the_clean_stage_reads() -> None:
    page = _page()
    data = json.loads(json.dumps(page.to_json()))
    assert FetchedPage(**data) == page
    assert {"url", "raw_key", "final_url", "seen_urls", "published_hint", "title_hint"} <= set(data)


def test_a_page_served_at_more_urls_keeps_every_url_once_first_seen_first() -> None:
    page = _page()
    first = list(page.seen_urls)
    page.add_urls("https://news.example/b", first[0], "https://news.example/b", "https://news.example/c")
    assert page.seen_urls == [*first, "https://news.example/b", "https://news.example/c"]
