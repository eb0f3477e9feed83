"""The typed payloads the stages write keep the work area's JSON as the readers expect it."""

from __future__ import annotations

import collections
import dataclasses
import gzip
import json

import pytest

from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.extract.relevance import page_verdict
from conflict_ingest.pipeline.clean import clean_stage
from conflict_ingest.pipeline.extract import extract_stage, records_for_page
from conflict_ingest.pipeline.payloads import (
    CleanedRow,
    CleanSummary,
    ExtractSummary,
    FetchedPage,
    FetchSummary,
)
from conflict_ingest.settings import ValidationSettings
from conflict_ingest.storage.store import ObjectStore
from conflict_ingest.validate.config import ValidationConfig


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


# --- the cleaned row and the stage summaries: the same bytes as the dicts the stages built --------------

_ARTICLE = (
    "<html><head><title>Strikes on the city</title>"
    '<meta property="article:published_time" content="2016-12-01T08:00:00+00:00"></head>'
    "<body><article><h1>Strikes on the city</h1>"
    "<p>Russian aircraft carried out 12 airstrikes on the city on Thursday, the monitor said.</p>"
    "<p>Officials said 40 strikes hit the eastern districts over the past week.</p>"
    "</article></body></html>"
)


def _stored_batch(store: ObjectStore) -> tuple[str, dict[str, object]]:
    raw_key = "raw/source=t/dt=2016-12-01/abc.html.gz"
    store.put_bytes(raw_key, gzip.compress(_ARTICLE.encode()))
    page = _page(raw_key=raw_key, published_hint="2016-12-01").to_json()
    fetched_key = "work/dt=2016-12-01/run=t/fetched/t-00000.json"
    store.put_json(fetched_key, {"source_id": "t", "day": "2016-12-01", "pages": [page], "errors": []})
    return fetched_key, page


def test_cleaned_rows_and_summaries_keep_the_exact_json_the_stages_wrote_before(store: ObjectStore) -> None:
    fetched_key, _ = _stored_batch(store)
    page = store.get_json(fetched_key)["pages"][
        0
    ]  # the entry as the stage reads it (keys sorted by put_json)

    summary = clean_stage(store, fetched_key)
    rows = store.get_jsonl_gz(summary["key"])

    # the row and summary exactly as the clean stage built them as dicts (same keys, order, values)
    cleaned = clean_html(gzip.decompress(store.get_bytes(str(page["raw_key"]))), str(page["final_url"]))
    old_row = {
        **page,
        "source_id": "t",
        "title": cleaned.title or page.get("title_hint") or "",
        "published_at": cleaned.published_at or page.get("published_hint") or None,
        "page_published_at": cleaned.published_at,
        "canonical_url": cleaned.canonical_url or page["final_url"],
        "text": cleaned.text,
        "blocks": [dataclasses.asdict(b) for b in cleaned.blocks],
        "clean_notes": list(cleaned.notes),
        "language": "en",
        "relevance": {"read": True, "reason": page_verdict(cleaned).reason},
        "published_month": None,  # added after: the month of a page that gives no day
    }
    fallbacks = dict(sorted(collections.Counter(n.split(":", 1)[0] for n in cleaned.notes).items()))
    old_summary = {
        "key": summary["key"],
        "pages": 1,
        "errors": 0,
        "abandoned": 0,
        "fallbacks": fallbacks,
        "failed": [],
        "languages": {"en": 1},
        "relevance": {"read": 1, "not_read": 0, "reasons": {"too short to judge by density": 1}},
    }
    assert cleaned.text and cleaned.blocks
    assert [json.dumps(r, sort_keys=False) for r in rows] == [json.dumps(old_row, sort_keys=False)]
    assert json.dumps(summary, sort_keys=False) == json.dumps(old_summary, sort_keys=False)
    # and each payload reads back to the same bytes
    row = CleanedRow.from_json(rows[0])
    assert json.dumps(row.to_json(), sort_keys=False) == json.dumps(rows[0], sort_keys=False)
    assert json.dumps(CleanSummary.from_json(summary).to_json()) == json.dumps(summary)

    extracted = extract_stage(store, summary["key"])
    records = store.get_jsonl_gz(extracted["key"])
    assert records and records_for_page(rows[0]) == records_for_page(row)
    assert len(records) == len(records_for_page(row))
    old_extracted = {
        "key": extracted["key"],
        "pages": 1,
        "records": len(records),
        "errors": 0,
        "abandoned": 0,
        "abandoned_pages": [],
        "skipped_language": {},
        "not_relevant": 0,
    }
    assert json.dumps(extracted, sort_keys=False) == json.dumps(old_extracted, sort_keys=False)
    assert json.dumps(ExtractSummary.from_json(extracted).to_json()) == json.dumps(extracted)


def test_fetch_summary_json_has_the_keys_in_the_order_the_dag_reads() -> None:
    old = {
        "batch": "t-00000",
        "key": "work/dt=2016-12-01/run=t/fetched/t-00000.json",
        "pages": 3,
        "not_modified": 1,
        "errors": 1,
        "failed": [{"url": "https://news.example/x", "error": "HTTP 500"}],
    }
    assert json.dumps(FetchSummary.from_json(old).to_json(), sort_keys=False) == json.dumps(
        old, sort_keys=False
    )


def test_a_payload_missing_a_required_key_or_with_an_unknown_one_is_refused_by_name() -> None:
    row = {"url": "https://news.example/a", "raw_key": "raw/k"}
    assert FetchedPage.from_json(row).seen_urls == ["https://news.example/a"]
    with pytest.raises(ValueError, match="missing \\['raw_key'\\]"):
        FetchedPage.from_json({"url": "https://news.example/a"})
    with pytest.raises(ValueError, match="unknown \\['surprise'\\]"):
        FetchedPage.from_json({**row, "surprise": 1})
    with pytest.raises(ValueError, match="sha256"):
        CleanedRow.from_json(
            {
                **row,
                "source_id": "t",
                "title": "",
                "published_at": None,
                "canonical_url": "u",
                "text": "",
                "blocks": [],
                "fetched_at": None,
            }
        )


def test_a_malformed_fetched_entry_loses_only_its_own_page(store: ObjectStore) -> None:
    fetched_key, page = _stored_batch(store)
    store.put_json(
        fetched_key,
        {"source_id": "t", "day": "2016-12-01", "pages": [{**page, "surprise": 1}, page], "errors": []},
    )
    summary = clean_stage(store, fetched_key)
    assert summary["pages"] == 1 and summary["errors"] == 1
    assert "surprise" in summary["failed"][0]["error"]


# --- validation's tunables: one class ------------------------------------------------------------------


def test_validation_config_is_the_settings_class_with_its_fields_written_once() -> None:
    assert ValidationConfig is ValidationSettings
    env = {"CONFLICT_INGEST_HISTORY_DAYS": "9", "CONFLICT_INGEST_SPIKE_FACTOR": "3.5"}
    settings = ValidationSettings.from_env(env)
    config = ValidationConfig.from_settings(settings)
    assert config == ValidationConfig.from_env(env) and config.history_days == 9
    assert config.max_count_per_metric is not settings.max_count_per_metric
    assert ValidationConfig() == ValidationConfig.from_env({})
