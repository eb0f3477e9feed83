"""A page that takes more CPU than its budget is abandoned with a recorded reason (issue 11)."""

from __future__ import annotations

import dataclasses

import pytest

from conflict_ingest.clean.cleaner import clean_html
from conflict_ingest.clean.page import Block, CleanedPage
from conflict_ingest.extract.reader import PAGE_CPU_BUDGET_S, PageBudgetExceeded, extract_records
from conflict_ingest.pipeline.extract import extract_stage
from conflict_ingest.storage.store import ObjectStore

URL = "https://news.example/2020/06/16/strikes"
SMALL_HTML = "<html><body><p>Coalition jets conducted 14 strikes near Mosul on Tuesday, officials said.</p></body></html>"
BIG_COUNTS = 1500
# A long cleaned page: a count per paragraph, each with its own date and place (about 0.2 s of CPU).
BIG_PAGE = CleanedPage(
    title="Strikes",
    published_at="2020-06-16",
    text="",
    canonical_url=None,
    blocks=tuple(
        Block("p", f"The coalition conducted {12 + i} strikes near Mosul on Oct. {1 + i % 28}.")
        for i in range(BIG_COUNTS)
    ),
)
TINY_BUDGET_S = 0.001


def test_the_default_budget_is_generous_for_a_real_page() -> None:
    assert PAGE_CPU_BUDGET_S >= 1
    records = extract_records(BIG_PAGE, URL)
    assert len(records) == BIG_COUNTS


def test_a_page_over_its_cpu_budget_is_abandoned_with_a_reason() -> None:
    with pytest.raises(PageBudgetExceeded) as info:
        extract_records(BIG_PAGE, URL, cpu_budget_s=TINY_BUDGET_S)
    assert info.value.url == URL
    assert info.value.budget_s == TINY_BUDGET_S
    assert info.value.spent_s > TINY_BUDGET_S
    assert "abandoned" in str(info.value) and "budget" in str(info.value)
    # the same page without a budget is read in full
    assert len(extract_records(BIG_PAGE, URL, cpu_budget_s=None)) == BIG_COUNTS


def _cleaned_row(cleaned: CleanedPage, url: str) -> dict[str, object]:
    return {
        "url": url,
        "final_url": url,
        "source_id": "test-news",
        "raw_key": f"raw/source=test-news/dt=2020-06-16/{abs(hash(url))}.html.gz",
        "sha256": "0" * 64,
        "fetched_at": "2020-06-16T12:00:00+00:00",
        "title": cleaned.title or "",
        "published_at": "2020-06-16",
        "canonical_url": url,
        "text": cleaned.text,
        "blocks": [dataclasses.asdict(b) for b in cleaned.blocks],
    }


def test_extract_stage_lists_pages_abandoned_over_budget_and_keeps_the_others(store: ObjectStore) -> None:
    big_url = "https://news.example/2020/06/16/big"
    key = "work/strike_counts/dt=2020-06-16/run=t/cleaned/test-news-00000.jsonl.gz"
    store.put_jsonl_gz(key, [_cleaned_row(clean_html(SMALL_HTML, URL), URL), _cleaned_row(BIG_PAGE, big_url)])

    # a budget the small page fits and the big one does not
    summary = extract_stage(store, key, cpu_budget_s=0.05)

    assert summary["pages"] == 2
    assert summary["errors"] == 0
    assert summary["abandoned"] == 1
    [abandoned] = summary["abandoned_pages"]
    assert abandoned["url"] == big_url
    assert "budget" in abandoned["reason"]
    rows = list(store.get_jsonl_gz(summary["key"]))
    assert summary["records"] == len(rows) == 1
    assert rows[0]["count"] == 14 and rows[0]["source_url"] == URL

    # without a budget problem nothing is abandoned
    summary = extract_stage(store, key)
    assert summary["abandoned"] == 0 and summary["abandoned_pages"] == []
    assert summary["records"] == BIG_COUNTS + 1
