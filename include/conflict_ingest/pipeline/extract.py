"""Task ``extract``: a cleaned batch's pages into records."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from conflict_ingest.pipeline.payloads import CleanedRow, ExtractSummary
from conflict_ingest.records import PageMeta, Record
from conflict_ingest.storage import keys
from conflict_ingest.storage.store import ObjectStore

logger = logging.getLogger(__name__)


def _parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value[:10]), dt.time())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def records_for_page(row: CleanedRow | dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    """Extract the records of one cleaned page (a row of ``cleaned/*.jsonl.gz``, typed or its JSON).

    ``options`` go to :func:`~conflict_ingest.extract.reader.extract_records` (``cpu_budget_s``: the page's CPU
    budget, ``PAGE_CPU_BUDGET_S`` unless given); a page over it raises ``PageBudgetExceeded``."""
    from conflict_ingest.clean.page import Block, CleanedPage
    from conflict_ingest.extract.reader import extract_records

    if not isinstance(row, CleanedRow):
        row = CleanedRow.from_json(row)
    page = CleanedPage(
        title=row.title,
        published_at=row.published_at,
        text=row.text,
        canonical_url=row.canonical_url,
        blocks=tuple(Block(**b) for b in row.blocks),
        language=row.language,
        published_month=row.published_month,
    )
    meta = PageMeta(
        source_id=row.source_id,
        source_url=row.url,
        canonical_url=row.canonical_url,
        title=row.title,
        published_at=_parse_datetime(row.published_at),
        fetched_at=_parse_datetime(row.fetched_at) or dt.datetime.now(dt.UTC),
        raw_key=row.raw_key,
        # None only for a re-derived page whose meta lacks it: passed on, validation flags it (required)
        content_sha256=row.sha256,  # type: ignore[arg-type]
        language=row.language,
    )
    out: dict[str, dict[str, Any]] = {}
    for ex in extract_records(page, row.canonical_url, **options):
        rec = Record.build(meta, ex).to_row()
        out.setdefault(rec["record_id"], rec)
    return list(out.values())


def extract_stage(store: ObjectStore, cleaned_key: str, **options: Any) -> dict[str, Any]:
    """Extract records from each cleaned page of a batch; a page that fails is reported, not fatal.

    A page that takes more than its CPU budget (``options``: see :func:`records_for_page`) is abandoned:
    it gives no records, the summary's ``abandoned`` counts it and ``abandoned_pages`` lists it (``url``,
    ``reason``). Pages the rules do not read give no records and are counted: ``skipped_language`` per
    language (a page known to be in another language than English), ``not_relevant`` (not about armed
    conflict, as the clean stage recorded)."""
    from conflict_ingest.extract.reader import PageBudgetExceeded
    from conflict_ingest.extract.relevance import RULES_LANGUAGE

    rows: list[dict[str, Any]] = []
    pages = errors = 0
    abandoned: list[dict[str, str]] = []
    skipped_language: dict[str, int] = {}
    not_relevant = 0
    for page in store.get_jsonl_gz(cleaned_key):
        pages += 1
        language, relevance = page.get("language"), page.get("relevance")
        if language and language != RULES_LANGUAGE:
            skipped_language[language] = skipped_language.get(language, 0) + 1
        elif relevance and not relevance.get("read"):
            not_relevant += 1
        try:
            rows.extend(records_for_page(page, **options))
        except PageBudgetExceeded as exc:
            logger.warning("extraction abandoned for %s: %s", page.get("url"), exc)
            abandoned.append({"url": str(page.get("url")), "reason": str(exc)})
        except Exception:
            logger.exception("extraction failed for %s", page.get("url"))
            errors += 1
    out_key = keys.extracted_key(cleaned_key)
    store.put_jsonl_gz(out_key, rows)
    return ExtractSummary(
        key=out_key,
        pages=pages,
        records=len(rows),
        errors=errors,
        abandoned=len(abandoned),
        abandoned_pages=abandoned,
        skipped_language=dict(sorted(skipped_language.items())),
        not_relevant=not_relevant,
    ).to_json()
